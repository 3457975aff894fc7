"""A projection runner in its own process, for tests that kill it.

With DASHLOOM_TEST_STALL_AT_SEQ set, the batch holding that sequence writes its rows, then
announces it (a file) and hangs before committing: the test kills the process there.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from services.eventlog.connection import connect
from services.gateway.projections import generation_status
from services.readmodels.database import create_read_model_engine
from services.readmodels.projection import Rows
from services.readmodels.runner import ProjectionRunner, create_read_model_tables


def stall_inside_the_batch(stall_at: int, signal_file: Path) -> None:
    original_flush = Rows.flush

    def flush(self: Rows) -> None:
        original_flush(self)
        touched = self["generations"].cached
        if any(key == os.environ["DASHLOOM_TEST_STALL_AT_KEY"] for key in touched):
            signal_file.write_text(str(stall_at))
            time.sleep(3600)

    Rows.flush = flush


async def main(nats_url: str, database_url: str) -> None:
    if os.environ.get("DASHLOOM_TEST_STALL_AT_KEY"):
        stall_inside_the_batch(int(os.environ["DASHLOOM_TEST_STALL_AT_SEQ"]), Path(os.environ["DASHLOOM_TEST_SIGNAL"]))
    nc = await connect(nats_url, "projection-process")
    engine = create_read_model_engine(database_url)
    create_read_model_tables(engine, generation_status)
    await ProjectionRunner(nc.jetstream(), engine, generation_status, f"process-{os.getpid()}",
                           batch_size=50, lease_ttl=2.0).run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
