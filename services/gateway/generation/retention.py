"""Uploads are kept only while DASHLOOM_UPLOAD_RETENTION_SECONDS says, after their generation ends.

The gateway writes every upload as `uploads/<project>/<generation>/<id>`; a sweep deletes those
whose generation completed or failed longer ago than the retention period. A generation still
processing keeps its upload whatever its age. Deleting is idempotent, so gateway replicas may
sweep at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from services.eventlog.blobs import BlobStore, open_blob_store
from services.gateway.generation.queries import ended_before
from services.runtime.sweeps import SWEEP_EVERY_SECONDS, run_sweeps

UPLOADS = "uploads/"


class UploadRetention:
    def __init__(self, blobs: BlobStore, engine: Engine, retention_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.blobs = blobs
        self.engine = engine
        self.retention_seconds = retention_seconds
        self.clock = clock

    async def sweep(self) -> list[str]:
        """Delete the uploads past their retention; answer their names."""
        by_generation: dict[str, list[str]] = {}
        for name in await self.blobs.names(UPLOADS):
            parts = name.split("/")
            if len(parts) == 4:
                by_generation.setdefault(parts[2], []).append(name)
        cutoff = datetime.fromtimestamp(self.clock() - self.retention_seconds, UTC)
        ended = await asyncio.to_thread(self._ended_before, list(by_generation), cutoff)
        expired = [name for generation_id in ended for name in by_generation[generation_id]]
        for name in expired:
            await self.blobs.delete(name)
        return expired

    def _ended_before(self, generation_ids: list[str], cutoff: datetime) -> set[str]:
        with self.engine.connect() as conn:
            return ended_before(conn, generation_ids, cutoff)

    async def run(self, stop: asyncio.Event, every: float = SWEEP_EVERY_SECONDS) -> None:
        await run_sweeps(stop, "uploads past their retention", self.sweep, every)


async def sweep_uploads(context) -> None:
    """The gateway service's task: sweep every minute until the service stops."""
    settings = context.settings
    blobs = open_blob_store(settings.blob_backend, settings.blob_dir, context.js, settings.stream_replicas)
    await UploadRetention(blobs, context.engine, settings.upload_retention_seconds).run(context.stop)
