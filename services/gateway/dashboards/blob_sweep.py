"""The files of deleted dashboards, removed again by a sweep.

The DELETE route removes a dashboard's spec, PDF and upload right after `DashboardDeleted` is in
the log; a gateway that stops between the two would leave them. Every minute each gateway removes
the files of the dashboards deleted since its last sweep (a margin for the read model's lag); its
first sweep after a start looks back a week. Removing a missing file is harmless, so replicas may
sweep at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from services.eventlog.blobs import BlobStore, open_blob_store
from services.gateway.dashboards.queries import files_deleted_since
from services.gateway.edge.dependencies import off_the_loop
from services.runtime.sweeps import run_sweeps

LOOK_BACK_SECONDS = 7 * 86400.0
LAG_MARGIN_SECONDS = 300.0


class DeletedDashboardFiles:
    def __init__(self, blobs: BlobStore, engine: Engine, clock: Callable[[], float] = time.time,
                 look_back: float = LOOK_BACK_SECONDS, margin: float = LAG_MARGIN_SECONDS) -> None:
        self.blobs = blobs
        self.engine = engine
        self.clock = clock
        self.look_back = look_back
        self.margin = margin
        self.swept_at: float | None = None

    async def sweep(self) -> list[str]:
        """Remove the files of the dashboards deleted since the last sweep; answer their names."""
        now = self.clock()
        since = now - self.look_back if self.swept_at is None else self.swept_at - self.margin
        names = await off_the_loop(self.engine, lambda conn: files_deleted_since(conn, datetime.fromtimestamp(since, UTC)))
        for name in names:
            await self.blobs.delete(name)
        self.swept_at = now
        return names


async def sweep_deleted_dashboards(context) -> None:
    """The gateway service's task: sweep every minute until the service stops."""
    settings = context.settings
    blobs = open_blob_store(settings.blob_backend, settings.blob_dir, context.js, settings.stream_replicas)
    await run_sweeps(context.stop, "deleted dashboards' files", DeletedDashboardFiles(blobs, context.engine).sweep)
