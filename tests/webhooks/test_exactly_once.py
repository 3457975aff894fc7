"""One delivery per (endpoint, event): a replayed fan-out, a rebuilt read model or an endpoint
registered later never send again and never send what came before."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import httpx
from sqlalchemy import select

from contracts import STREAM_NAME
from services.readmodels.rebuild import Rebuild
from services.webhooks.app import retry_policy, sender_options
from services.webhooks.delivery_lanes import DueDelivery, Sender
from services.webhooks.fanout import DURABLE
from services.webhooks.http_attempt import tls_context
from services.webhooks.models import webhook_deliveries, webhook_subscriptions
from services.webhooks.projections import webhook_state
from tests.webhooks.test_delivery import complete_a_generation, register, settled


async def scheduled_count(store) -> int:
    count = 0
    async for batch in store.reader.batches(subject="events.webhookdelivery.>"):
        count += sum(1 for e in batch if e.type == "WebhookDeliveryScheduled")
    return count


async def replay_the_fanout(js, store, fanout) -> None:
    """Everything in the log through the fan-out again, as a fresh consumer from sequence 1 would."""
    stop = asyncio.Event()
    async for batch in store.reader.batches():
        await fanout.schedule(batch, stop)


async def test_a_replayed_fanout_schedules_nothing_new_even_past_the_dedup_window(
        js, store, client, new_project, receiver, webhooks_service):
    # Nats-Msg-Id dedup holds only inside the duplicate window; shorten it so the expected-version
    # check on each new delivery is what stops a second one.
    config = (await js.stream_info(STREAM_NAME)).config
    config.duplicate_window = 0.5
    await js.update_stream(config)
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    for _ in range(3):
        await complete_a_generation(store, project)
    await receiver.wait_for(3)
    await settled(client, project, endpoint["id"], count=3)
    before, last = await scheduled_count(store), await store.last_sequence()
    await asyncio.sleep(1.0)
    await replay_the_fanout(js, store, webhooks_service.fanout)
    assert await scheduled_count(store) == before == 3
    assert await store.last_sequence() == last
    await asyncio.sleep(0.5)
    assert len(receiver.at("/hook")) == 3


async def test_a_replayed_fanout_hands_the_sender_none_of_the_deliveries_already_scheduled(
        js, store, client, new_project, receiver, webhooks_service):
    """The fan-out hands its sender only deliveries it appended anew: sent without asking the log,
    an old one would go out again to a sender that did not record it itself (one restarted, say)."""
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    for _ in range(3):
        await complete_a_generation(store, project)
    await receiver.wait_for(3)
    async with asyncio.timeout(10):
        while {d["status"] for d in await settled(client, project, endpoint["id"], count=3)} != {"succeeded"}:
            await asyncio.sleep(0.05)
    webhooks_service.sender.recorded.clear()
    await replay_the_fanout(js, store, webhooks_service.fanout)
    await asyncio.sleep(0.5)
    assert len(receiver.at("/hook")) == 3


async def test_a_standby_sender_sends_nothing_handed_over(
        engine, store, client, new_project, receiver, webhooks_service, webhook_settings):
    """Only the sender that holds the lease sends: a standby replica's fan-out hands over in vain."""
    project = await new_project()
    endpoint = await register(client, project, receiver.url("/standby"))
    async with asyncio.timeout(10):
        while (sealed := await asyncio.to_thread(_sealed_secret, engine, endpoint["id"])) is None:
            await asyncio.sleep(0.05)
    # Not run: its loop would only find the lease held by the service's sender and stay standing by.
    standby = Sender(store, engine, webhooks_service.box, retry_policy(webhook_settings),
                     sender_options(webhook_settings), owner="standby", lease_seconds=3600)
    standby.tls = tls_context()
    standby.take(DueDelivery(uuid.uuid4().hex, project.project_id, endpoint["id"], "msg_standby", {"type": "t"},
                             0, 1, receiver.url("/standby"), "enabled", sealed, None, None, None))
    await asyncio.sleep(0.5)
    assert receiver.at("/standby") == [] and not standby.lanes


def _sealed_secret(engine, endpoint_id: str) -> str | None:
    s = webhook_subscriptions.c
    with engine.connect() as conn:
        return conn.execute(select(s.sealed_secret).where(s.endpoint_id == endpoint_id)).scalar()


async def test_a_fresh_fanout_consumer_skips_events_older_than_the_endpoint(
        js, store, client, new_project, receiver, webhooks_service):
    project = await new_project()
    await complete_a_generation(store, project)
    endpoint = await register(client, project, receiver.url())
    await js.delete_consumer(STREAM_NAME, DURABLE)  # the running fan-out re-creates it from sequence 1
    await complete_a_generation(store, project)
    [request] = await receiver.wait_for(1)
    await asyncio.sleep(1.0)
    assert len(receiver.at("/hook")) == 1
    assert await scheduled_count(store) == 1
    [delivery] = await settled(client, project, endpoint["id"], final=True)
    assert delivery["message_id"] == request.headers["webhook-id"]


async def test_a_rebuild_of_the_read_model_sends_nothing(store, engine, client, new_project, receiver, webhooks_service):
    receiver_calls = 5
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    for _ in range(receiver_calls):
        await complete_a_generation(store, project)
    await receiver.wait_for(receiver_calls)
    await settled(client, project, endpoint["id"], count=receiver_calls, final=True)
    report = await Rebuild(store.reader, engine, webhook_state).run()
    assert report.rows["webhook_deliveries"] == receiver_calls
    await asyncio.sleep(1.5)
    assert len(receiver.at("/hook")) == receiver_calls
    listed = await settled(client, project, endpoint["id"], count=receiver_calls)
    assert {d["status"] for d in listed} == {"succeeded"}


async def test_the_sender_leaves_a_row_the_read_model_has_not_caught_up_on(
        engine, store, client, new_project, receiver, webhooks_service):
    """A row older than the log (its Attempted/Succeeded not yet projected) is not sent again."""
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    await receiver.wait_for(1)
    [delivery] = await settled(client, project, endpoint["id"], final=True)
    [scheduled, *_] = await store.load("webhookdelivery", delivery["id"])
    d, s = webhook_deliveries.c, webhook_subscriptions.c
    with engine.connect() as conn:
        row = conn.execute(select(d.delivery_id, d.project_id, d.endpoint_id, d.message_id, d.body, d.attempts,
                                  d.version, s.url, s.status.label("endpoint_status"), s.sealed_secret,
                                  s.previous_sealed_secret, s.previous_valid_until, s.failing_since)
                           .join(webhook_subscriptions, s.endpoint_id == d.endpoint_id)
                           .where(d.delivery_id == delivery["id"])).one()
    # as the row read before the attempt was recorded
    stale = SimpleNamespace(**{**row._asdict(), "version": scheduled.seq, "attempts": 0})
    async with httpx.AsyncClient() as http:
        await webhooks_service.sender.attempt(http, stale)
    await asyncio.sleep(0.3)
    assert len(receiver.at("/hook")) == 1
