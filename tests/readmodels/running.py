"""Running a live projection runner inside a test, and reading what it wrote."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import Engine, select

from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.projection import Projection
from services.readmodels.runner import ProjectionRunner, create_read_model_tables


@contextlib.asynccontextmanager
async def running(js, engine: Engine, projection: Projection, owner: str = "test", **options):
    create_read_model_tables(engine, projection)
    stop = asyncio.Event()
    runner = ProjectionRunner(js, engine, projection, owner, **options)
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def caught_up(engine: Engine, projection: Projection, seq: int, timeout: float = 30) -> None:
    assert await wait_for_checkpoint(engine, projection.name, seq, timeout), f"{projection.name} never reached {seq}"


def all_rows(engine: Engine, projection: Projection) -> dict[str, list[tuple]]:
    """Every row, in key order."""
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for name, table in projection.tables().items()}
