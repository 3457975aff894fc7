"""What wakes the sender: a new delivery in the log, once the webhooks read model holds it.

A delivery (first sent or redelivered) begins with `WebhookDeliveryScheduled` on
`events.webhookdelivery.<id>`; an ordered consumer of those subjects (headers only) notes the
newest such sequence, and the sender's next round reads the table after the projection applied it.
The sender's own events (attempted, succeeded, failed) wake nobody: it knows what it recorded, and
a round after each would only poll the table. A retry's time is the sender's own timer; a moved
test clock calls `wake`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import Engine

from contracts import TYPE_HEADER, WebhookDeliveryScheduled, subject_for
from services.eventlog.connection import FOLLOWER_HEARTBEAT
from services.eventlog.reader import sequence_and_time
from services.readmodels.consistency import wait_for_checkpoint

PROJECTION = "webhooks"
SCHEDULED = WebhookDeliveryScheduled.model_fields["type"].default


class DeliveryChanges:
    def __init__(self, js: JetStreamContext, engine: Engine, catch_up_seconds: float = 5.0) -> None:
        self.js = js
        self.engine = engine
        self.catch_up_seconds = catch_up_seconds
        self.newest = 0  # the stream sequence of the newest delivery event noted
        self.changed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def followed(self) -> AsyncIterator[None]:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW, headers_only=True, idle_heartbeat=FOLLOWER_HEARTBEAT)
        subscription = await self.js.subscribe(subject_for("webhookdelivery", ">"), cb=self._on_event,
                                               ordered_consumer=True, config=config)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _on_event(self, msg: Msg) -> None:
        if (msg.headers or {}).get(TYPE_HEADER) == SCHEDULED:
            self.note(sequence_and_time(msg.reply)[0])

    def note(self, seq: int) -> None:
        """A delivery changed at `seq` (the log is ahead of the row the sender read)."""
        self.newest = max(self.newest, seq)
        self.changed.set()

    def wake(self) -> None:
        self.changed.set()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until a delivery changed and the read model holds the change, `stop` is set, or `seconds` pass."""
        waits = [asyncio.ensure_future(self.changed.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        self.changed.clear()  # before the catch-up: a change noted meanwhile wakes the next wait at once
        if self.newest and not stop.is_set():
            await wait_for_checkpoint(self.engine, PROJECTION, self.newest, self.catch_up_seconds)
