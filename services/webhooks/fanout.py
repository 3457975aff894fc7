"""From public events to deliveries: exactly one WebhookDeliveryScheduled per (endpoint, event).

A durable consumer of the log (not a projection: a rebuild never runs it) reads events in order.
For an event at stream sequence S it waits until the webhooks projection has applied S, asks
which endpoints of the project existed at S and want the type, and appends one Scheduled per
endpoint. The delivery id and event id derive from (event, endpoint), and the append expects a
new aggregate: a redelivered or replayed event finds its deliveries already there. A delivery it
appended anew is handed to the sender of this process (`hand_over`), which sends it without
waiting for the read model; one that was there already is not.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import cast

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Engine, select

from contracts import STREAM_NAME, STREAM_SUBJECTS, WebhookDeliveryScheduled
from contracts.public_events import PUBLIC, public_body
from services.eventlog.reader import StoredEvent, fetch_unless_stopped
from services.eventlog.store import EventStore
from services.readmodels.consistency import wait_for_checkpoint
from services.webhooks.delivery_lanes import DueDelivery
from services.webhooks.models import webhook_subscriptions

log = logging.getLogger(__name__)
DURABLE = "webhook-fanout"
ACK_WAIT = 30.0


def delivery_id(source_event_id: str, endpoint_id: str) -> str:
    return uuid.uuid5(uuid.UUID(source_event_id), f"webhook-delivery:{endpoint_id}").hex


def endpoints_of(engine: Engine, project_ids: set[str], before_seq: int) -> dict[str, list]:
    """Enabled endpoints of the projects registered before `before_seq`, by project, in id order;
    with what the sender needs of them."""
    c = webhook_subscriptions.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.endpoint_id, c.project_id, c.event_types, c.registered_seq, c.url, c.status,
                                   c.sealed_secret, c.previous_sealed_secret, c.previous_valid_until, c.failing_since)
                            .where(c.project_id.in_(project_ids), c.registered_seq < before_seq, c.status == "enabled")
                            .order_by(c.endpoint_id)).all()
    by_project: dict[str, list] = defaultdict(list)
    for row in rows:
        by_project[row.project_id].append(row)
    return by_project


def subscribers_at(endpoints: dict[str, list], project_id: str, seq: int, event_type: str) -> list:
    """Of `endpoints_of`, those of the project registered before `seq` that want the type."""
    return [row for row in endpoints.get(project_id, ()) if row.registered_seq < seq and event_type in row.event_types]


def due_delivery(scheduled: WebhookDeliveryScheduled, seq: int, endpoint) -> DueDelivery:
    payload = scheduled.payload
    return DueDelivery(scheduled.aggregate_id, scheduled.project_id, payload.endpoint_id, payload.message_id,
                       payload.body, 0, seq, endpoint.url, endpoint.status, endpoint.sealed_secret,
                       endpoint.previous_sealed_secret, endpoint.previous_valid_until, endpoint.failing_since)


class FanOut:
    def __init__(self, js: JetStreamContext, engine: Engine, batch_size: int = 100,
                 hand_over: Callable[[DueDelivery], None] | None = None) -> None:
        self.js = js
        self.store = EventStore(js)
        self.engine = engine
        self.batch_size = batch_size
        self.hand_over = hand_over

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._follow(stop)
            except Exception:
                log.exception("webhook fan-out failed; resuming from the consumer's ack floor")
                await asyncio.sleep(1.0)

    async def _follow(self, stop: asyncio.Event) -> None:
        # DeliverPolicy.ALL on first start is safe: endpoints registered later match no old event.
        # Each message is acked on its own (EXPLICIT): with AckPolicy.ALL, a restarted process's
        # ack would also cover the batch a killed process had fetched and never handled.
        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT, max_deliver=-1,
                                max_ack_pending=10_000, deliver_policy=DeliverPolicy.ALL)
        subscription = await self.js.pull_subscribe(STREAM_SUBJECTS[0], durable=DURABLE, stream=STREAM_NAME,
                                                    config=config)
        try:
            while not stop.is_set():
                msgs = await fetch_unless_stopped(subscription, self.batch_size, 1.0, stop)
                if msgs is None:
                    return
                if not msgs:
                    continue
                events = [StoredEvent.from_msg(msg) for msg in msgs]
                def still_working(batch=msgs):
                    return asyncio.gather(*(msg.in_progress() for msg in batch))

                if await self.schedule(events, stop, still_working) is None:
                    return  # stopping: the batch stays unacked and comes again
                for msg in msgs:
                    await msg.ack()
        finally:
            await subscription.unsubscribe()

    async def schedule(self, events: list[StoredEvent], stop: asyncio.Event, still_working=None) -> int | None:
        """Append the deliveries of a batch of stored events, all at once: how many (None: stopped first)."""
        public = [stored for stored in events if stored.type in PUBLIC]
        if not public:
            return 0
        while not await wait_for_checkpoint(self.engine, "webhooks", public[-1].seq, timeout=1.0):
            if stop.is_set():
                return None
            if still_working is not None:
                await still_working()  # the projection is behind (a rebuild holds it): keep the messages
        deliveries = await asyncio.to_thread(self._deliveries, public)
        stored_before = await self.store.last_sequence() if self.hand_over and deliveries else 0
        await asyncio.gather(*(self._append(scheduled, endpoint, stored_before) for scheduled, endpoint in deliveries))
        return len(deliveries)

    async def _append(self, scheduled: WebhookDeliveryScheduled, endpoint, stored_before: int) -> None:
        seq = await self.store.append(scheduled, expected_last_seq=0)
        if self.hand_over is not None and seq > stored_before:  # an append of one already there answers its old seq
            self.hand_over(due_delivery(scheduled, seq, endpoint))

    def _deliveries(self, public: list[StoredEvent]) -> list[tuple[WebhookDeliveryScheduled, object]]:
        """Each delivery to schedule, with its endpoint."""
        scheduled: list[tuple[WebhookDeliveryScheduled, object]] = []
        endpoints = endpoints_of(self.engine, {stored.event.project_id for stored in public}, public[-1].seq)
        for stored in public:
            event, body = stored.event, public_body(stored.event)
            if body is None:  # not a public event after all (PUBLIC holds its type)
                continue
            for endpoint in subscribers_at(endpoints, event.project_id, stored.seq, body["type"]):
                delivery = delivery_id(str(event.event_id), endpoint.endpoint_id)
                delivery_event = event.caused(
                    WebhookDeliveryScheduled, aggregate_id=delivery, name=f"webhook:{endpoint.endpoint_id}",
                    payload={"endpoint_id": endpoint.endpoint_id, "message_id": f"msg_{delivery}",
                             "event_type": body["type"], "source_event_id": str(event.event_id), "body": body})
                scheduled.append((cast(WebhookDeliveryScheduled, delivery_event), endpoint))
        return scheduled
