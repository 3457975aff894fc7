"""One set of cases, both blob-store backends."""

import hashlib
import os

import pytest

from services.eventlog.blobs import BlobNotFound, DiskBlobStore, ObjectStoreBlobStore


@pytest.fixture(params=["disk", "nats"])
def blobs(request, tmp_path, js):
    if request.param == "disk":
        return DiskBlobStore(tmp_path / "blobs")
    return ObjectStoreBlobStore(js, spool_dir=tmp_path)


async def chunks_of(data: bytes, size: int = 100_000):
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_put_answers_name_digest_and_size_and_read_returns_the_bytes(blobs):
    data = os.urandom(12 * 1024 * 1024 + 17)  # more 1 MB batches than the writer thread holds at once
    ref = await blobs.put("uploads/a.csv", chunks_of(data, 64 * 1024))
    assert ref.name == "uploads/a.csv"
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == len(data)
    assert b"".join([c async for c in blobs.read("uploads/a.csv")]) == data


async def test_copy_to_file(blobs, tmp_path):
    await blobs.put("b", chunks_of(b"hello"))
    await blobs.copy_to_file("b", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"hello"


async def test_local_file_holds_the_blob(blobs, tmp_path):
    await blobs.put("c", chunks_of(b"local bytes"))
    assert (await blobs.local_file("c", tmp_path)).read_bytes() == b"local bytes"
    with pytest.raises(BlobNotFound):
        await blobs.local_file("nothing", tmp_path)


async def test_missing_and_deleted_blobs(blobs, tmp_path):
    assert not await blobs.exists("nothing")
    with pytest.raises(BlobNotFound):
        await blobs.copy_to_file("nothing", tmp_path / "x")
    await blobs.put("gone", chunks_of(b"x"))
    assert await blobs.exists("gone")
    await blobs.delete("gone")
    assert not await blobs.exists("gone")
    with pytest.raises(BlobNotFound):
        [c async for c in blobs.read("gone")]


async def test_an_empty_blob(blobs):
    ref = await blobs.put("empty", chunks_of(b""))
    assert ref.size == 0 and ref.sha256 == hashlib.sha256(b"").hexdigest()
    assert b"".join([c async for c in blobs.read("empty")]) == b""


async def test_a_failed_upload_leaves_nothing(blobs):
    async def broken():
        async for chunk in chunks_of(os.urandom(5 * 1024 * 1024)):  # some of it already with the writer
            yield chunk
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await blobs.put("half", broken())
    assert not await blobs.exists("half")


@pytest.mark.parametrize("name", ["../escape", "/abs", "a/../../b", ""])
async def test_names_cannot_escape(blobs, name):
    with pytest.raises(ValueError):
        await blobs.put(name, chunks_of(b"x"))


async def test_names_lists_the_blobs_under_a_prefix(blobs):
    assert await blobs.names("uploads/") == []
    for name in ("uploads/p1/g1/a", "uploads/p1/g2/b", "specs/s.json"):
        await blobs.put(name, chunks_of(b"x"))
    await blobs.delete("uploads/p1/g2/b")
    assert await blobs.names("uploads/") == ["uploads/p1/g1/a"]
    assert await blobs.names("uploads/p1/g1/") == ["uploads/p1/g1/a"]


def recording_syncs(monkeypatch) -> list[tuple[str, str, int]]:
    """Each fsync and fdatasync as (call, the path synced, its size then), the real call made after."""
    synced: list[tuple[str, str, int]] = []
    for call in ("fsync", "fdatasync"):
        real = getattr(os, call)

        def record(descriptor: int, call=call, real=real) -> None:
            synced.append((call, os.readlink(f"/proc/self/fd/{descriptor}"), os.fstat(descriptor).st_size))
            real(descriptor)
        monkeypatch.setattr(os, call, record)
    return synced


async def test_a_disk_blob_and_its_new_folders_are_on_disk_before_it_is_answered(tmp_path, monkeypatch):
    store = DiskBlobStore(tmp_path / "blobs")
    synced = recording_syncs(monkeypatch)
    data = os.urandom(40 * 1024 * 1024)
    await store.put("uploads/p1/g1/a.csv", chunks_of(data, 256 * 1024))
    blob = tmp_path / "blobs" / "uploads" / "p1" / "g1"
    flushes = [size for call, _, size in synced if call == "fdatasync"]
    assert flushes and max(flushes) < len(data)  # flushed while the rest still streamed in
    file_syncs = [(path, size) for call, path, size in synced if call == "fsync" and ".incoming-" in path]
    assert [size for _, size in file_syncs] == [len(data)]  # all of it, before the rename
    folders = [path for call, path, _ in synced if call == "fsync" and ".incoming-" not in path]
    # the blob's name in its folder, and each folder made for it in the one above
    assert sorted(folders) == sorted(str(p) for p in (blob, blob.parent, blob.parent.parent, blob.parent.parent.parent))
    assert synced.index(next(s for s in synced if s[1] == str(blob))) > synced.index(
        next(s for s in synced if ".incoming-" in s[1] and s[0] == "fsync"))


async def test_a_flush_that_failed_fails_the_upload_and_leaves_nothing(tmp_path, monkeypatch):
    store = DiskBlobStore(tmp_path / "blobs")

    def failing(descriptor: int) -> None:
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fdatasync", failing)  # the disk lost what was written; a later fsync may not say so
    with pytest.raises(OSError):
        await store.put("uploads/lost.csv", chunks_of(os.urandom(40 * 1024 * 1024), 256 * 1024))
    assert not await store.exists("uploads/lost.csv")
    assert not any(path.name.startswith(".incoming-") for path in (tmp_path / "blobs").rglob("*"))
