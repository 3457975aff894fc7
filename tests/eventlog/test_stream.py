"""The EVENTS stream's declaration, against a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from contracts import STREAM_NAME
from services.eventlog.connection import connect
from services.eventlog.stream import ensure_events_stream


@pytest.mark.own_nats_server
async def test_a_store_the_server_cannot_make_at_once_is_asked_for_again(nats_server):
    """A deleted stream's folder still going away once failed the next declaration in CI ('error creating
    store for stream'). Here a file stands where the stream's folder must be for 0.3 s: nats-server
    removes it after each failure, and it is put back until the 0.3 s are over."""
    folder = nats_server.store_dir / "jetstream" / "$G" / "streams" / STREAM_NAME
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("in the way")

    async def in_the_way(seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if not folder.exists():
                with contextlib.suppress(OSError):
                    folder.write_text("in the way")
            await asyncio.sleep(0.002)
        with contextlib.suppress(OSError):
            if folder.is_file():
                folder.unlink()

    client = await connect(nats_server.url, "tests")
    try:
        blocking = asyncio.create_task(in_the_way(0.3))
        await ensure_events_stream(client.jetstream())
        await blocking
        assert (await client.jetstream().stream_info(STREAM_NAME)).config.name == STREAM_NAME
    finally:
        await client.close()
