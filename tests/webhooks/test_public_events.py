"""Every public event type, from the log event a service appends to the signed POST a real
receiver gets (verified with `standardwebhooks`), its body built by the type's model."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jsonschema_rs
import orjson
import pytest
from standardwebhooks import Webhook

from contracts import (
    DashboardCreated,
    DashboardDeleted,
    DashboardVersionAdded,
    Event,
    ShareLinkIssued,
    ShareLinkRevoked,
)
from contracts.public_events import PUBLIC_EVENTS, public_body
from contracts.webhooks import PUBLIC_EVENT_TYPES
from tests.factories import corrections_of, generation_lifecycle, new_id
from tests.webhooks.receiving import Reply
from tests.webhooks.test_delivery import register, settled

SUBSCRIBABLE = [t for t in PUBLIC_EVENT_TYPES if t != "webhook.test"]


def dashboard_events(project_id: str, dashboard_id: str | None = None) -> list[Event]:
    dashboard_id = dashboard_id or f"dsh_{new_id()}"
    created = DashboardCreated(project_id=project_id, aggregate_id=dashboard_id, payload={
        "dashboard_id": dashboard_id, "tenant_id": "org-123", "workspace_id": "ws-456", "name": "Sales",
        "created_by": "key_abc"})
    blob = {"name": f"specs/{dashboard_id}.json", "sha256": "0" * 64, "size": 10}
    version = created.caused(DashboardVersionAdded, payload={
        "dashboard_id": dashboard_id, "version": 1, "generation_id": new_id(), "title": "Sales", "spec": blob,
        "upload": blob, "row_count": 300, "card_count": 6, "requested_by": "key_abc"})
    return [created, version, *corrections_of(created, corrected_by="key_abc"), created.caused(DashboardDeleted, payload={
        "dashboard_id": dashboard_id, "tenant_id": "org-123", "workspace_id": "ws-456", "deleted_by": "key_abc"})]


def share_link_events(project_id: str) -> list[Event]:
    digest = "0" * 64
    link = ShareLinkIssued(project_id=project_id, aggregate_id=f"sl_{new_id()}", payload={
        "dashboard_id": "dsh_1", "visibility": "private", "allowed_email_hashes": [digest],
        "expires_at": datetime.now(UTC) + timedelta(days=7), "token_sha256": digest, "token_prefix": "sl_abc"})
    return [link, link.caused(ShareLinkRevoked, payload={"reason": "leaked"})]


async def test_a_deleted_dashboard_is_announced_to_its_project_only(client, new_project, store, receiver,
                                                                     webhooks_service):
    mine, theirs = await new_project("mine"), await new_project("theirs")
    endpoint = await register(client, mine, receiver.url(), events=["dashboard.deleted"])
    await store.append_many(dashboard_events(theirs.project_id))
    created, version, *_, deleted = dashboard_events(mine.project_id)
    await store.append_many([created, version, deleted])
    [request] = await receiver.wait_for(1)
    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert body["type"] == "dashboard.deleted"
    assert body["data"] == {"dashboard_id": deleted.aggregate_id, "tenant_id": "org-123", "workspace_id": "ws-456"}
    assert datetime.fromisoformat(body["timestamp"]) == deleted.occurred_at
    [delivery] = await settled(client, mine, endpoint["id"], final=True)
    assert delivery["status"] == "succeeded" and delivery["message_id"] == request.headers["webhook-id"]
    assert len(receiver.at("/hook")) == 1  # neither the creation (not subscribed) nor the other project's


def documented_body(openapi: dict, event_type: str) -> jsonschema_rs.Draft202012Validator:
    """The validator of a type's body as /openapi.json documents it under `webhooks`."""
    schema = openapi["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": openapi["components"]})


async def test_every_public_event_type_arrives_signed_and_as_documented(client, new_project, store, receiver,
                                                                       webhooks_service):
    """One endpoint wants every type; a second answers 410, so its disabling is announced to the first.
    Every body sent validates against its schema in the gateway's /openapi.json."""
    receiver.answer("/gone", Reply(410))
    project = await new_project()
    everything = await register(client, project, receiver.url("/all"), events=SUBSCRIBABLE)
    await register(client, project, receiver.url("/gone"), events=["generation.completed"])
    await store.append_many([*generation_lifecycle(new_id(), project_id=project.project_id),
                             *generation_lifecycle(new_id(), project_id=project.project_id, fail=True),
                             *share_link_events(project.project_id), *dashboard_events(project.project_id)])
    await receiver.wait_for(len(SUBSCRIBABLE), "/all")
    test = await client.post(f"/api/v1/webhooks/{everything['id']}/test", headers=project.auth)
    assert test.status_code == 202, test.text
    requests = await receiver.wait_for(len(PUBLIC_EVENT_TYPES), "/all")
    bodies = [Webhook(everything["secret"]).verify(r.body, r.headers) for r in requests]
    assert sorted(b["type"] for b in bodies) == sorted(PUBLIC_EVENT_TYPES)
    by_type = {b["type"]: b["data"] for b in bodies}
    assert by_type["share_link.issued"]["visibility"] == "private"
    assert by_type["dashboard.version_added"]["version"] == 1 and by_type["dashboard.version_added"]["row_count"] == 300
    assert "allowed_email_hashes" not in by_type["share_link.issued"]  # nothing about who may open it
    assert by_type["webhook_endpoint.disabled"]["reason"] == "the endpoint answered 410 Gone"
    assert by_type["dashboard.created"]["links"]["view"].endswith("/view")
    openapi = (await client.get("/openapi.json")).json()
    assert openapi["openapi"].startswith("3.1") and set(openapi["webhooks"]) == set(PUBLIC_EVENT_TYPES)
    for body in bodies:
        documented_body(openapi, body["type"]).validate(body)
        wrong = {**body, "data": {k: v for k, v in body["data"].items() if k != sorted(body["data"])[0]}}
        assert not documented_body(openapi, body["type"]).is_valid(wrong)  # the schema does check
    await asyncio.sleep(0.5)
    assert len(receiver.at("/all")) == len(PUBLIC_EVENT_TYPES)  # and nothing more


@pytest.mark.parametrize("event", [*generation_lifecycle("g1", project_id="p1")[-1:],
                                   *generation_lifecycle("g2", project_id="p1", fail=True)[-1:],
                                   *share_link_events("p1"), *dashboard_events("p1")])
def test_each_body_is_its_models_and_carries_no_secret(event):
    body = public_body(event)
    assert body is not None
    assert PUBLIC_EVENTS[body["type"]].body.model_validate(body).model_dump(mode="json") == body
    text = orjson.dumps(body).decode()
    assert "0" * 64 not in text and "key_abc" not in text  # no token hash, address hash or who asked
