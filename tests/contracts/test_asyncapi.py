"""The AsyncAPI document of the public events describes what is really appended to the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jsonschema_rs
import orjson
import pytest

from contracts import (
    EVENT_TYPES,
    STREAM_NAME,
    DashboardCreated,
    DashboardDeleted,
    DashboardVersionAdded,
    EmbedOriginsSet,
    EmbedSigningKeyCreated,
    IframeTokenIssued,
    IframeTokenRevoked,
    ProjectionEventParked,
    ShareLinkCodeRejected,
    ShareLinkCodeSent,
    ShareLinkErased,
    ShareLinkIssued,
    ShareLinkRevoked,
    ShareLinkSessionOpened,
    ShareLinkViewed,
    TenantIframeTokensRevoked,
    TenantJwtKeyDeleted,
    TenantJwtKeyRegistered,
    WebhookDeliveryAttempted,
    WebhookDeliveryFailed,
    WebhookDeliveryScheduled,
    WebhookDeliverySucceeded,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointSecretRotated,
    WebhookEndpointUpdated,
)
from contracts.asyncapi import asyncapi_document
from contracts.envelope import CURRENT_VERSIONS
from services.gateway.keys.commands import revoke_api_key, rotate_api_key
from services.gateway.project.commands import create_project
from tests.factories import corrections_of, generation_lifecycle


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi_document()


def validator(document: dict, reference: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator({"$ref": reference, "components": document["components"]})


def test_every_event_type_is_a_channel_on_its_subject_with_its_version(document):
    assert document["asyncapi"] == "3.0.0" and set(document["channels"]) == set(EVENT_TYPES)
    for name, channel in document["channels"].items():
        assert channel["address"] == f"events.{EVENT_TYPES[name].aggregate}.{{aggregate_id}}"
        assert "aggregate_id" in channel["parameters"]
        headers = document["components"]["messages"][f"{name}:Message"]["headers"]["properties"]
        assert headers["Dashloom-Type"] == {"const": name}
        assert headers["Dashloom-Version"] == {"const": str(CURRENT_VERSIONS[name])}


async def appended_by_the_services(store) -> None:
    """One event of every type, written the way the services write them."""
    for event in generation_lifecycle("g-done") + generation_lifecycle("g-failed", fail=True):
        await store.append(event)
    project_id, first = await create_project(store, "Acme", "premium")
    successor, _ = await rotate_api_key(store, project_id, first.key_id, timedelta(hours=1))
    await revoke_api_key(store, project_id, successor.key_id)
    expires = datetime.now(UTC) + timedelta(days=7)
    digest = "0" * 64
    link = ShareLinkIssued(project_id=project_id, aggregate_id="l1", payload={
        "dashboard_id": "dsh_1", "visibility": "private", "allowed_email_hashes": [digest],
        "expires_at": expires, "token_sha256": digest, "token_prefix": "sl_abcdefg"})
    code = {"email_hash": digest, "code_hash": digest}
    link_events = [
        link, link.caused(ShareLinkCodeSent, payload={**code, "expires_at": expires}),
        link.caused(ShareLinkCodeRejected, payload=code),
        link.caused(ShareLinkSessionOpened, payload={**code, "session_sha256": digest, "expires_at": expires}),
        link.caused(ShareLinkViewed, payload={"viewer_email_hash": digest, "user_agent": "Firefox"}),
        link.caused(ShareLinkRevoked, payload={"reason": "leaked"}),
        link.caused(ShareLinkErased, payload={"reason": "asked to"})]
    hook = WebhookEndpointRegistered(project_id=project_id, aggregate_id="w1", payload={
        "url": "https://example.com/hook", "event_types": ["GenerationCompleted"]})
    hook_events = [
        hook, hook.caused(WebhookEndpointUpdated, payload={"enabled": False}),
        hook.caused(WebhookEndpointSecretRotated, payload={"sealed_secret": "sealed", "previous_valid_until": expires}),
        hook.caused(WebhookEndpointDisabled, payload={"reason": "410 Gone"}),
        hook.caused(WebhookEndpointDeleted, payload={})]
    delivery = WebhookDeliveryScheduled(project_id=project_id, aggregate_id="wd1", payload={
        "endpoint_id": "w1", "message_id": "msg_1", "event_type": "generation.completed",
        "source_event_id": "e1", "body": {"type": "generation.completed", "timestamp": "2026-01-01T00:00:00Z",
                                          "data": {}}})
    attempt = {"endpoint_id": "w1", "attempt": 1, "attempted_at": expires, "status_code": 500, "latency_ms": 12,
               "error": "HTTP 500", "next_attempt_at": expires}
    delivery_events = [
        delivery, delivery.caused(WebhookDeliveryAttempted, payload=attempt),
        delivery.caused(WebhookDeliverySucceeded, payload={"endpoint_id": "w1", "attempts": 2}),
        delivery.caused(WebhookDeliveryFailed, payload={"endpoint_id": "w1", "attempts": 8, "reason": "gave up"})]
    parked = ProjectionEventParked(project_id=project_id, aggregate_id="generations", payload={
        "projection": "generations", "seq": 7, "parked_event_id": str(delivery.event_id),
        "parked_event_type": "DashboardRequested", "error_class": "DataError"})
    board = DashboardCreated(project_id=project_id, aggregate_id="dsh_1", payload={
        "dashboard_id": "dsh_1", "tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales"})
    ref = {"name": "specs/dsh_1/g1.json", "sha256": digest, "size": 10}
    board_events = [board, board.caused(DashboardVersionAdded, payload={
        "dashboard_id": "dsh_1", "version": 1, "generation_id": "g1", "title": "Sales", "spec": ref,
        "upload": {**ref, "name": "uploads/p/g1/f"}, "row_count": 10, "card_count": 4, "requested_by": "k1"}),
                    *corrections_of(board),
                    board.caused(DashboardDeleted, payload={
        "dashboard_id": "dsh_1", "tenant_id": "org-123", "workspace_id": "workspace-456"})]
    key = TenantJwtKeyRegistered(project_id=project_id, aggregate_id="k1", payload={
        "kid": "rs", "alg": "RS256", "public_key_pem": "-----BEGIN PUBLIC KEY-----...", "fingerprint": "0123456789abcdef"})
    token = IframeTokenIssued(project_id=project_id, aggregate_id="0" * 32, payload={
        "dashboard_id": "dsh_1", "tenant_id": "org-123", "workspace_id": "workspace-456", "kid": f"{project_id}.0a1b2c3d4e5f",
        "expires_at": expires, "issued_by": "key1"})
    embedding_events = [
        key, key.caused(TenantJwtKeyDeleted, payload={"kid": "rs"}),
        EmbedOriginsSet(project_id=project_id, aggregate_id=project_id, payload={"origins": ["https://app.example.com"]}),
        EmbedSigningKeyCreated(project_id=project_id, aggregate_id=project_id, payload={
            "kid": f"{project_id}.0a1b2c3d4e5f", "public_key_pem": "-----BEGIN PUBLIC KEY-----...",
            "sealed_private_key": "v1.sealed"}),
        token, token.caused(IframeTokenRevoked, payload={"reason": "revoked by API"}),
        TenantIframeTokensRevoked(project_id=project_id, aggregate_id="t1", payload={"tenant_id": "org-123"})]
    await store.append_many([*link_events, *hook_events, *delivery_events, parked, *board_events, *embedding_events])


async def test_every_event_in_the_log_validates_against_its_published_schema(document, store, js):
    await appended_by_the_services(store)
    seen = set()
    for seq in range(1, (await js.stream_info(STREAM_NAME)).state.last_seq + 1):
        stored = await js.get_msg(STREAM_NAME, seq)  # the message as a subscriber receives it
        message = document["components"]["messages"][f"{stored.headers['Dashloom-Type']}:Message"]
        validator(document, message["payload"]["$ref"]).validate(orjson.loads(stored.data))
        jsonschema_rs.Draft202012Validator(message["headers"]).validate(stored.headers)
        seen.add(stored.headers["Dashloom-Type"])
    assert seen == set(EVENT_TYPES), "add an event of each new type to appended_by_the_services"


def test_the_schema_refuses_what_a_reader_could_not_decode(document):
    event = generation_lifecycle("g")[-1].model_dump(mode="json")
    check = validator(document, "#/components/schemas/GenerationCompleted")
    assert check.is_valid(event)
    del event["payload"]["dashboard_id"]
    assert not check.is_valid(event)
    assert not check.is_valid({**generation_lifecycle("g")[0].model_dump(mode="json"), "type": "GenerationCompleted"})
