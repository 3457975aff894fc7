"""The EVENTS stream: created once by the runtime or an operator, never redeclared by services."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

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


async def ensure_events_stream(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the stream when missing; an existing one is left as its operator configured it."""
    try:
        await js.stream_info(STREAM_NAME)
    except NotFoundError:
        await js.add_stream(events_stream_config(replicas))
