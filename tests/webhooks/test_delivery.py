"""Deliveries end to end: gateway API -> webhooks service -> a real local receiver, verified with
the `standardwebhooks` reference library (not our own signing code)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.webhooks.delivery_lanes import LANE_IDLE
from tests.factories import generation_lifecycle, new_id
from tests.webhooks.receiving import Reply


async def register(client, project, url: str, events=("generation.completed",)) -> dict:
    answer = await client.post("/api/v1/webhooks", headers=project.auth, json={"url": url, "events": list(events)})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


async def complete_a_generation(store, project, fail: bool = False) -> str:
    generation_id = new_id()
    await store.append_many(generation_lifecycle(generation_id, project_id=project.project_id, fail=fail))
    return generation_id


async def deliveries(client, project, endpoint_id: str) -> list[dict]:
    return (await client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=project.auth)).json()["data"]


async def settled(client, project, endpoint_id: str, count: int = 1, attempts: int = 1, final: bool = False,
                  timeout: float = 10) -> list[dict]:
    """The endpoint's deliveries once `count` exist and the newest has `attempts` attempts recorded
    (and, if `final`, has succeeded or failed)."""
    async with asyncio.timeout(timeout):
        while True:
            found = await deliveries(client, project, endpoint_id)
            if (len(found) >= count and len(found[0]["attempts"]) >= attempts
                    and (not final or found[0]["status"] != "pending")):
                return found
            await asyncio.sleep(0.05)


async def test_a_completion_arrives_signed_as_the_spec_says(client, new_project, store, receiver, webhooks_service):
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    assert endpoint["secret"].startswith("whsec_") and endpoint["status"] == "enabled"
    generation_id = await complete_a_generation(store, project)
    [request] = await receiver.wait_for(1)
    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert body["type"] == "generation.completed"
    assert body["data"]["generation_id"] == generation_id
    assert body["data"]["links"]["view"] == f"/api/v1/dashboards/dsh_{generation_id}/view"
    datetime.fromisoformat(body["timestamp"])
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    [delivery] = await settled(client, project, endpoint["id"])
    assert delivery["message_id"] == request.headers["webhook-id"]
    assert delivery["attempts"][0]["status_code"] == 200 and delivery["attempts"][0]["error"] is None


async def test_only_subscribed_types_are_sent(client, new_project, store, receiver, webhooks_service):
    project = await new_project()
    await register(client, project, receiver.url("/failures"), events=["generation.failed"])
    await complete_a_generation(store, project)
    failed_id = await complete_a_generation(store, project, fail=True)
    [request] = await receiver.wait_for(1, "/failures")
    assert orjson.loads(request.body)["data"] == {"generation_id": failed_id, "code": "EMPTY_FILE",
                                                  "reason": "The file has no rows"}
    await asyncio.sleep(0.5)
    assert len(receiver.at("/failures")) == 1


def _planned_wait(attempt: dict) -> timedelta:
    return datetime.fromisoformat(attempt["next_attempt_at"]) - datetime.fromisoformat(attempt["attempted_at"])


async def test_an_idle_endpoint_closes_its_connections(client, new_project, store, receiver, webhooks_service):
    sender = webhooks_service.sender
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    await receiver.wait_for(1)
    await settled(client, project, endpoint["id"], final=True)
    lane = sender.lanes[endpoint["id"]]
    async with asyncio.timeout(5):
        while lane.queued:  # its outcome is still being recorded
            await asyncio.sleep(0.05)
    assert not lane.client.is_closed
    webhooks_service.clock.advance(seconds=LANE_IDLE.total_seconds() + 1)
    async with asyncio.timeout(5):
        while endpoint["id"] in sender.lanes:
            await asyncio.sleep(0.05)
    assert lane.client.is_closed
    await complete_a_generation(store, project)
    await receiver.wait_for(2)  # a new lane, new connections


async def test_retries_follow_the_schedule_on_the_injected_clock(client, new_project, store, receiver, webhooks_service):
    clock = webhooks_service.clock
    receiver.answer("/hook", Reply(500), Reply(500), Reply(200))
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    [first] = await settled(client, project, endpoint["id"], attempts=1)
    wait = _planned_wait(first["attempts"][0])  # from the attempt: the test may look at it late on a busy machine
    assert 4.5 <= wait.total_seconds() <= 5.5  # 5 s, jitter 10 %
    await asyncio.sleep(0.5)
    assert len(receiver.at("/hook")) == 1  # not before its time
    clock.advance(seconds=6)
    [second] = await settled(client, project, endpoint["id"], attempts=2)
    wait = _planned_wait(second["attempts"][1])
    assert 270 <= wait.total_seconds() <= 330  # 5 min, jitter 10 %
    clock.advance(seconds=331)
    [third] = await settled(client, project, endpoint["id"], attempts=3, final=True)
    assert third["status"] == "succeeded" and [a["status_code"] for a in third["attempts"]] == [500, 500, 200]
    ids = {r.headers["webhook-id"] for r in receiver.at("/hook")}
    assert ids == {third["message_id"]}
    for request in receiver.at("/hook"):
        Webhook(endpoint["secret"]).verify(request.body, request.headers)


async def test_retry_after_is_honoured(client, new_project, store, receiver, webhooks_service):
    receiver.answer("/hook", Reply(503, {"Retry-After": "120"}), Reply(200))
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    [first] = await settled(client, project, endpoint["id"], attempts=1)
    wait = datetime.fromisoformat(first["attempts"][0]["next_attempt_at"]) - webhooks_service.clock()
    assert 115 < wait.total_seconds() <= 120


async def test_gone_disables_the_endpoint(client, new_project, store, receiver, webhooks_service):
    receiver.answer("/hook", Reply(410))
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    [delivery] = await settled(client, project, endpoint["id"], final=True)
    assert delivery["status"] == "failed"
    async with asyncio.timeout(10):
        url = f"/api/v1/webhooks/{endpoint['id']}"
        while (shown := (await client.get(url, headers=project.auth)).json()["data"])["status"] != "disabled":
            await asyncio.sleep(0.05)
    assert "410" in shown["disabled_reason"]


async def test_a_redirect_is_a_failure_and_is_not_followed(client, new_project, store, receiver, webhooks_service):
    receiver.answer("/hook", Reply(302, {"Location": receiver.url("/elsewhere")}))
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    [delivery] = await settled(client, project, endpoint["id"])
    attempt = delivery["attempts"][0]
    assert attempt["status_code"] == 302 and "redirect" in attempt["error"]
    assert attempt["next_attempt_at"] is not None and delivery["status"] == "pending"
    assert receiver.at("/elsewhere") == []


async def test_five_days_without_a_success_disable_the_endpoint(client, new_project, store, receiver, webhooks_service):
    clock = webhooks_service.clock
    receiver.answer("/hook", Reply(500))
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    path = f"/api/v1/webhooks/{endpoint['id']}"
    await complete_a_generation(store, project)
    await settled(client, project, endpoint["id"], attempts=1)
    clock.advance(days=4)  # failing for 4 days: still enabled
    await settled(client, project, endpoint["id"], attempts=2)
    shown = (await client.get(path, headers=project.auth)).json()["data"]
    assert shown["status"] == "enabled" and shown["failing_since"] is not None
    clock.advance(days=1, seconds=1)
    [delivery] = await settled(client, project, endpoint["id"], attempts=3, final=True)
    assert delivery["status"] == "failed" and delivery["attempts"][-1]["next_attempt_at"] is None
    async with asyncio.timeout(10):
        while (shown := (await client.get(path, headers=project.auth)).json()["data"])["status"] != "disabled":
            await asyncio.sleep(0.05)
    assert shown["disabled_reason"] == "no successful delivery for 5 days"


async def test_redelivery_sends_the_same_message_again(client, new_project, store, receiver, webhooks_service):
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    await complete_a_generation(store, project)
    [first] = await receiver.wait_for(1)
    [delivery] = await settled(client, project, endpoint["id"])
    answer = await client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver", headers=project.auth)
    assert answer.status_code == 202 and answer.json()["data"]["redelivery_of"] == delivery["id"]
    _, again = await receiver.wait_for(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] and again.body == first.body
    Webhook(endpoint["secret"]).verify(again.body, again.headers)
    listed = await settled(client, project, endpoint["id"], count=2)
    assert {d["redelivery_of"] for d in listed} == {None, delivery["id"]}


async def test_after_a_rotation_both_secrets_verify(client, new_project, receiver, webhooks_service):
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    rotated = (await client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=project.auth)).json()["data"]
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_valid_until"]
    sent = await client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=project.auth)
    assert sent.status_code == 202
    [request] = await receiver.wait_for(1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(rotated["secret"]).verify(request.body, request.headers)["type"] == "webhook.test"
    assert Webhook(endpoint["secret"]).verify(request.body, request.headers)["type"] == "webhook.test"
    webhooks_service.clock.advance(hours=25)  # the old secret's overlap is over
    await client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=project.auth)
    _, later = await receiver.wait_for(2)
    Webhook(rotated["secret"]).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(later.body, later.headers)


async def test_a_hanging_endpoint_does_not_hold_up_a_healthy_one(client, new_project, store, receiver, webhooks_service):
    # Small rounds and lanes, so the hanging endpoint's backlog is larger than both: 4 attempts
    # held open, 2 more queued in its lane, 9 still due in the table, a round reads 5.
    sender = webhooks_service.sender
    sender.options = dataclasses.replace(sender.options, due_batch=5, lane_queue=6)
    release = asyncio.Event()
    receiver.answer("/hanging", Reply(200, hold=release))
    project = await new_project()
    await register(client, project, receiver.url("/hanging"))
    for _ in range(15):
        await complete_a_generation(store, project)
    await receiver.wait_for(4, "/hanging")
    await register(client, project, receiver.url("/healthy"))
    started = asyncio.get_running_loop().time()
    await complete_a_generation(store, project)
    try:
        # Structural, not a stopwatch: the healthy delivery lands while all of the hanging
        # endpoint's attempts are still held open (one shared lane would queue it behind them).
        [request] = await receiver.wait_for(1, "/healthy", timeout=5)
        assert not release.is_set() and len(receiver.at("/hanging")) == 4
        print(f"healthy delivery {request.at - started:.3f} s after its event, beside 4 hanging attempts")
    finally:
        release.set()
