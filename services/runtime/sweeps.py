"""A sweep run every minute until the service stops: a failed round is logged and tried again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 60.0


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
