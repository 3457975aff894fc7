"""The EVENTS stream: created once by the runtime or an operator, never redeclared by services."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError, ServerError

from contracts import STREAM_NAME, STREAM_SUBJECTS

DUPLICATE_WINDOW_SECONDS = 120.0


def events_stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=STREAM_NAME,
        subjects=STREAM_SUBJECTS,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=0,
        max_msgs=-1,
        max_bytes=-1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
        deny_delete=True,
        deny_purge=True,
        allow_direct=True,
    )


CREATE_ATTEMPTS = 5  # over about a second: a store the server could not make at once


async def ensure_events_stream(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the stream when missing; an existing one is left as its operator configured it. A store
    the server could not make (its folder still being removed after a stream of that name was
    deleted: 'mkdir .../streams: no such file or directory') is asked for again."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            await js.stream_info(STREAM_NAME)
            return
        except NotFoundError:
            pass
        try:
            await js.add_stream(events_stream_config(replicas))
            return
        except ServerError:
            if attempt == CREATE_ATTEMPTS:
                raise
            await asyncio.sleep(0.1 * attempt)
