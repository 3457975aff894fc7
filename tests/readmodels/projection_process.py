"""A projection runner in its own process, for tests that kill it.

With DASHLOOM_TEST_STALL_AT_SEQ set, the batch holding that sequence writes its rows, then
announces it (a file) and hangs before committing: the test kills the process there. With
DASHLOOM_TEST_PROJECTION=event_counts it runs `event_counts`, a counter that a batch applied
twice would show, and hangs once it has written the checkpoint of that batch.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

from contracts import (
    DashboardRequested,
    GenerationCompleted,
    GenerationFailed,
    GenerationProgressed,
    GenerationStarted,
)
from services.eventlog.connection import connect
from services.gateway.generation.projections import generation_status
from services.readmodels import batches
from services.readmodels.database import create_read_model_engine
from services.readmodels.projection import Projection, Rows
from services.readmodels.runner import ProjectionRunner, create_read_model_tables

event_counts = Projection("event_counts", Table("event_counts", MetaData(), Column("type", String, primary_key=True),
                                                Column("count", Integer, nullable=False)))


def _count(event, rows: Rows) -> None:
    counted = rows["event_counts"].get(event.type) or {"type": event.type, "count": 0}
    rows["event_counts"].put({**counted, "count": counted["count"] + 1})


for _counted in (DashboardRequested, GenerationStarted, GenerationProgressed, GenerationCompleted, GenerationFailed):
    event_counts.on(_counted)(_count)


def stall_inside_the_batch(stall_at: int, signal_file: Path) -> None:
    original_flush = Rows.flush

    def flush(self: Rows) -> None:
        original_flush(self)
        touched = self["generations"].cached
        if any(key == os.environ["DASHLOOM_TEST_STALL_AT_KEY"] for key in touched):
            signal_file.write_text(str(stall_at))
            time.sleep(3600)

    Rows.flush = flush  # type: ignore[method-assign]  # this process stalls inside a batch on purpose


def stall_after_the_checkpoint(stall_at: int, signal_file: Path) -> None:
    original_write = batches.write_checkpoint

    def write_checkpoint(conn, name: str, seq: int) -> None:
        original_write(conn, name, seq)
        if seq >= stall_at:
            signal_file.write_text(str(seq))
            time.sleep(3600)

    batches.write_checkpoint = write_checkpoint  # type: ignore[assignment]  # stalls after the checkpoint on purpose


async def main(nats_url: str, database_url: str) -> None:
    projection = event_counts if os.environ.get("DASHLOOM_TEST_PROJECTION") == "event_counts" else generation_status
    if os.environ.get("DASHLOOM_TEST_STALL_AT_SEQ"):
        stall = stall_after_the_checkpoint if projection is event_counts else stall_inside_the_batch
        stall(int(os.environ["DASHLOOM_TEST_STALL_AT_SEQ"]), Path(os.environ["DASHLOOM_TEST_SIGNAL"]))
    nc = await connect(nats_url, "projection-process")
    engine = create_read_model_engine(database_url)
    create_read_model_tables(engine, projection)
    await ProjectionRunner(nc.jetstream(), engine, projection, f"process-{os.getpid()}",
                           batch_size=50, lease_ttl=2.0).run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
