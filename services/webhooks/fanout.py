"""From public events to deliveries: exactly one WebhookDeliveryScheduled per (endpoint, event).

A durable consumer of the log (not a projection: a rebuild never runs it) reads events in order.
For an event at stream sequence S it waits until the webhooks projection has applied S, asks
which endpoints of the project existed at S and want the type, and appends one Scheduled per
endpoint. The delivery id and event id derive from (event, endpoint), and the append expects a
new aggregate: a redelivered or replayed event finds its deliveries already there.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Engine, select

from contracts import STREAM_NAME, STREAM_SUBJECTS, Event, WebhookDeliveryScheduled
from contracts.public_events import PUBLIC, public_body
from services.eventlog.reader import StoredEvent, fetch_unless_stopped
from services.eventlog.store import EventStore
from services.readmodels.consistency import wait_for_checkpoint
from services.webhooks.models import webhook_subscriptions

log = logging.getLogger(__name__)
DURABLE = "webhook-fanout"
ACK_WAIT = 30.0


def delivery_id(source_event_id: str, endpoint_id: str) -> str:
    return uuid.uuid5(uuid.UUID(source_event_id), f"webhook-delivery:{endpoint_id}").hex


def subscribers_at(engine: Engine, project_id: str, seq: int, event_type: str) -> list[str]:
    """Enabled endpoints of the project registered before `seq`, not deleted by then, wanting the type."""
    c = webhook_subscriptions.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.endpoint_id, c.event_types).where(
            c.project_id == project_id, c.registered_seq < seq, c.status == "enabled")).all()
    return sorted(row.endpoint_id for row in rows if event_type in row.event_types)


class FanOut:
    def __init__(self, js: JetStreamContext, engine: Engine, batch_size: int = 100) -> None:
        self.js = js
        self.store = EventStore(js)
        self.engine = engine
        self.batch_size = batch_size

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
        await asyncio.gather(*(self.store.append(scheduled, expected_last_seq=0) for scheduled in deliveries))
        return len(deliveries)

    def _deliveries(self, public: list[StoredEvent]) -> list[Event]:
        scheduled: list[Event] = []
        for stored in public:
            event, body = stored.event, public_body(stored.event)
            if body is None:  # not a public event after all (PUBLIC holds its type)
                continue
            for endpoint_id in subscribers_at(self.engine, event.project_id, stored.seq, body["type"]):
                delivery = delivery_id(str(event.event_id), endpoint_id)
                scheduled.append(event.caused(
                    WebhookDeliveryScheduled, aggregate_id=delivery, name=f"webhook:{endpoint_id}",
                    payload={"endpoint_id": endpoint_id, "message_id": f"msg_{delivery}", "event_type": body["type"],
                             "source_event_id": str(event.event_id), "body": body}))
        return scheduled
