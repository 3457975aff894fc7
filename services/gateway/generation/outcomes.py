"""Waiting for a generation's outcome: woken by its GenerationCompleted or GenerationFailed on the bus.

An ordered consumer reads the generation's own subject from its first event, so an outcome stored
before the wait began is found as surely as one stored during it.
"""

from __future__ import annotations

import asyncio
import contextlib

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import subject_for
from services.eventlog.reader import StoredEvent

OUTCOMES = frozenset({"GenerationCompleted", "GenerationFailed"})


async def outcome_seq(js: JetStreamContext, generation_id: str, wait: float) -> int | None:
    """The stream sequence of the generation's outcome, or None if it has none within `wait` seconds."""
    found: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_message(msg) -> None:
        stored = StoredEvent.from_msg(msg)
        if stored.type in OUTCOMES and not found.done():
            found.set_result(stored.seq)

    config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL, headers_only=True)  # the type is a header
    subscription = await js.subscribe(subject_for("generation", generation_id), cb=on_message,
                                      ordered_consumer=True, config=config)
    try:
        async with asyncio.timeout(wait):
            return await found
    except TimeoutError:
        return None
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
