"""Uploads and rendered artifacts: too large for events, so events carry a name and a SHA-256.

Two backends pass the same tests: `DiskBlobStore` (one machine, the embedded default) and
`ObjectStoreBlobStore` (JetStream Object Store: several machines, no extra server).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectMetaOptions, StorageType
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError

from contracts import BlobRef

CHUNK = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,250}$")


class BlobNotFound(Exception):
    pass


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"invalid blob name: {name!r}")
    return name


class BlobStore(Protocol):
    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> BlobRef: ...
    def read(self, name: str) -> AsyncIterator[bytes]: ...  # an async generator
    async def copy_to_file(self, name: str, path: Path) -> None: ...
    async def local_file(self, name: str, directory: Path) -> Path:
        """A file holding the blob, for readers that want a path: the blob's own file where
        there is one (disk), else a copy made in `directory`."""
    async def exists(self, name: str) -> bool: ...
    async def delete(self, name: str) -> None: ...
    async def names(self, prefix: str) -> list[str]:
        """The names of the blobs under `prefix` (a folder, ending in "/")."""


SPOOL_BATCH = 1024 * 1024
SPOOL_IN_FLIGHT = 8  # batches handed to the writer and not yet written: memory stays under ~8 MB
SYNC_EVERY = 16 * 1024 * 1024  # bytes written between two flushes to disk while the upload streams in


async def _spool(chunks: AsyncIterator[bytes], path: Path) -> BlobRef:
    """Write chunks to `path`, hashing and counting as they arrive; memory stays flat.

    Hashing and writing happen on one writer thread (both release the GIL), in order, while the
    event loop goes on receiving and checking the next bytes: a 297 MB upload kept the gateway's
    one core busy for 1.0-1.4 s, SHA-256 and the writes were ~0.4 s of it.
    What is written goes to disk on a third thread every SYNC_EVERY bytes, while more arrives: the
    fsync that makes the blob durable then has little left to write (297 MB: 0.10-0.15 s -> ~0.015 s
    between the last byte and the answer). A flush that failed fails the upload.
    """
    digest, size = hashlib.sha256(), 0
    loop = asyncio.get_running_loop()
    in_flight: deque[asyncio.Future] = deque()
    batch: list[bytes] = []
    batch_bytes = 0
    unsynced = 0
    flushing: Future | None = None

    def hash_and_write(pieces: list[bytes]) -> None:
        nonlocal unsynced, flushing
        for piece in pieces:
            digest.update(piece)
            out.write(piece)
            unsynced += len(piece)
        if unsynced >= SYNC_EVERY and (flushing is None or flushing.done()):
            if flushing is not None:
                flushing.result()
            out.flush()
            flushing = flusher.submit(os.fdatasync, out.fileno())
            unsynced = 0

    def hand_over() -> None:
        nonlocal batch_bytes
        in_flight.append(loop.run_in_executor(writer, hash_and_write, batch.copy()))
        batch.clear()
        batch_bytes = 0

    # exited in reverse: the flusher and the writer are done with the file before it is closed
    with open(path, "wb") as out, ThreadPoolExecutor(1, thread_name_prefix="spool") as writer, \
            ThreadPoolExecutor(1, thread_name_prefix="spool-flush") as flusher:
        try:
            async for chunk in chunks:
                size += len(chunk)
                batch.append(chunk)
                batch_bytes += len(chunk)
                if batch_bytes >= SPOOL_BATCH:
                    hand_over()
                    if len(in_flight) >= SPOOL_IN_FLIGHT:
                        await in_flight.popleft()
            hand_over()
            while in_flight:
                await in_flight.popleft()
            def sync() -> None:
                out.flush()
                if flushing is not None:
                    flushing.result()
                os.fsync(out.fileno())
            await loop.run_in_executor(writer, sync)
        finally:  # a refused upload: let the writer and a flush finish before the file is closed and removed
            await asyncio.gather(*in_flight, return_exceptions=True)
            if flushing is not None:
                await asyncio.gather(asyncio.wrap_future(flushing), return_exceptions=True)
    return BlobRef(name=path.name, sha256=digest.hexdigest(), size=size)


def _sync_folders(folders: list[Path]) -> None:
    for folder in folders:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class DiskBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> BlobRef:
        target = self._path(name)
        created = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        os.close(fd)
        try:
            ref = await _spool(chunks, Path(temporary))
            os.replace(temporary, target)  # readers never see a half-written blob
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        try:  # the new name, and the folders made for it, are durable before the blob is answered
            await asyncio.to_thread(_sync_folders, [target.parent, *(folder.parent for folder in created)])
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return ref.model_copy(update={"name": name})

    async def read(self, name: str) -> AsyncIterator[bytes]:
        path = self._path(name)
        if not path.exists():
            raise BlobNotFound(name)
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    async def local_file(self, name: str, directory: Path) -> Path:
        path = self._path(name)
        if not path.exists():
            raise BlobNotFound(name)
        return path  # blobs are never rewritten in place (put replaces the file), so reading it is safe

    async def copy_to_file(self, name: str, path: Path) -> None:
        source = self._path(name)
        if not source.exists():
            raise BlobNotFound(name)
        shutil.copyfile(source, path)

    async def exists(self, name: str) -> bool:
        return self._path(name).exists()

    async def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    async def names(self, prefix: str) -> list[str]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return sorted(path.relative_to(self.root).as_posix() for path in folder.rglob("*")
                      if path.is_file() and not path.name.startswith(".incoming-"))


class ObjectStoreBlobStore:
    """JetStream Object Store with 1 MB chunks (2.6x faster puts than the 128 KB default).

    Reads always go through a file (`get(..., writeinto=)`): nats-py's plain `get` grows its
    result with `bytes +=` and takes minutes on a few hundred MB.
    """

    def __init__(self, js: JetStreamContext, bucket: str = "blobs", replicas: int = 1,
                 spool_dir: Path | None = None) -> None:
        self.js = js
        self.bucket = bucket
        self.replicas = replicas
        self.spool_dir = spool_dir
        self._store = None

    async def _object_store(self):
        if self._store is None:
            try:
                self._store = await self.js.object_store(self.bucket)
            except BucketNotFoundError:
                self._store = await self.js.create_object_store(
                    self.bucket, storage=StorageType.FILE, replicas=self.replicas)
        return self._store

    async def put(self, name: str, chunks: AsyncIterator[bytes]) -> BlobRef:
        store = await self._object_store()
        with tempfile.TemporaryDirectory(dir=self.spool_dir) as spool:
            path = Path(spool) / "upload"
            ref = await _spool(chunks, path)
            with open(path, "rb") as source:
                meta = ObjectMeta(name=check_name(name), options=ObjectMetaOptions(max_chunk_size=CHUNK))
                await store.put(name, source, meta=meta)
        return ref.model_copy(update={"name": name})

    async def read(self, name: str) -> AsyncIterator[bytes]:
        with tempfile.TemporaryDirectory(dir=self.spool_dir) as spool:
            path = Path(spool) / "download"
            await self.copy_to_file(name, path)
            with open(path, "rb") as source:
                while chunk := source.read(CHUNK):
                    yield chunk

    async def local_file(self, name: str, directory: Path) -> Path:
        path = Path(directory) / "blob"
        await self.copy_to_file(name, path)
        return path

    async def copy_to_file(self, name: str, path: Path) -> None:
        store = await self._object_store()
        with open(path, "wb") as out:
            try:
                await store.get(check_name(name), writeinto=out)
            except (ObjectNotFoundError, NotFoundError) as missing:
                raise BlobNotFound(name) from missing

    async def exists(self, name: str) -> bool:
        store = await self._object_store()
        try:
            info = await store.get_info(check_name(name))
        except (ObjectNotFoundError, NotFoundError):
            return False
        return not info.deleted

    async def delete(self, name: str) -> None:
        store = await self._object_store()
        try:
            await store.delete(check_name(name))
        except (ObjectNotFoundError, NotFoundError):
            pass

    async def names(self, prefix: str) -> list[str]:
        store = await self._object_store()
        try:
            infos = await store.list(ignore_deletes=True)
        except NotFoundError:  # nats-py's answer for an empty bucket
            return []
        return sorted(info.name for info in infos if info.name.startswith(prefix))


def open_blob_store(backend: str, root: Path, js: JetStreamContext, replicas: int = 1) -> BlobStore:
    """The configured backend: "disk" under `root`, or "nats" (the JetStream Object Store)."""
    if backend == "nats":
        return ObjectStoreBlobStore(js, replicas=replicas)
    return DiskBlobStore(root)
