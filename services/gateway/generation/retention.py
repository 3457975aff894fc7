"""Uploads are kept only while DASHLOOM_UPLOAD_RETENTION_SECONDS says, after their generation ends.

The gateway writes every upload as `uploads/<project>/<generation>/<id>`; a sweep deletes those
whose generation completed or failed longer ago than the retention period. A generation still
processing keeps its upload whatever its age. Deleting is idempotent, so gateway replicas may
sweep at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from services.eventlog.blobs import BlobStore, open_blob_store
from services.gateway.generation.models import generations

log = logging.getLogger(__name__)
UPLOADS = "uploads/"
SWEEP_EVERY_SECONDS = 60.0
QUERY_IDS = 500


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
        ended: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(generation_ids), QUERY_IDS):
                ids = generation_ids[start:start + QUERY_IDS]
                ended.update(conn.execute(select(generations.c.generation_id).where(
                    generations.c.generation_id.in_(ids), generations.c.status.in_(("completed", "failed")),
                    generations.c.updated_at <= cutoff)).scalars())
        return ended

    async def run(self, stop: asyncio.Event, every: float = SWEEP_EVERY_SECONDS) -> None:
        await run_sweeps(stop, "uploads past their retention", self.sweep, every)


async def run_sweeps(stop: asyncio.Event, what: str, sweep: Callable[[], Awaitable[list[str]]],
                     every: float = SWEEP_EVERY_SECONDS) -> None:
    """Call `sweep` every `every` seconds until `stop`; a failed round is logged and tried again."""
    while not stop.is_set():
        try:
            deleted = await sweep()
            if deleted:
                log.info("deleted %d files: %s", len(deleted), what)
        except Exception as error:  # the bus or the database away: next round
            log.warning("sweep of %s failed: %s", what, type(error).__name__)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def sweep_uploads(context) -> None:
    """The gateway service's task: sweep every minute until the service stops."""
    settings = context.settings
    blobs = open_blob_store(settings.blob_backend, settings.blob_dir, context.js, settings.stream_replicas)
    await UploadRetention(blobs, context.engine, settings.upload_retention_seconds).run(context.stop)
