"""Bounded waits for tests: a hang is a failure with a message, never a CI timeout."""

from __future__ import annotations

import asyncio
import time


async def until(check, seconds: float, interval: float = 0.1):
    """Call `check` until it answers something truthy or `seconds` pass; answer its last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)
