"""Read-your-writes: wait, bounded, until a projection has applied a given stream sequence."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine

from services.readmodels.checkpoints import read_checkpoint


async def wait_for_checkpoint(engine: Engine, projection: str, stream_seq: int,
                              timeout: float = 3.0, poll: float = 0.01) -> bool:
    """True once `projection` has applied `stream_seq`; False if `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(_checkpoint_of, engine, projection) >= stream_seq:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll)


def _checkpoint_of(engine: Engine, projection: str) -> int:
    with engine.connect() as conn:
        return read_checkpoint(conn, projection)
