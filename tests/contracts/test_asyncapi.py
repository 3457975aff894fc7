"""The AsyncAPI document of the public events describes what is really appended to the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jsonschema_rs
import orjson
import pytest

from contracts import EVENT_TYPES, STREAM_NAME, ShareLinkIssued, ShareLinkRevoked
from contracts.asyncapi import asyncapi_document
from contracts.envelope import CURRENT_VERSIONS
from services.gateway.commands import create_project, revoke_api_key, rotate_api_key
from tests.factories import generation_lifecycle
from tests.webhooks.events import webhook_events


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
    successor, _ = await rotate_api_key(store, project_id, first.key_id, "rotated", ["read"], timedelta(hours=1))
    await revoke_api_key(store, project_id, successor.key_id)
    expires = datetime.now(UTC) + timedelta(days=7)
    link = ShareLinkIssued(project_id=project_id, aggregate_id="l1", payload={
        "dashboard_id": "d1", "visibility": "private", "allowed_emails": ["ana@example.com"],
        "expires_at": expires, "token_sha256": "0" * 64})
    await store.append_many([link, link.caused(ShareLinkRevoked, payload={"reason": "leaked"}),
                             *webhook_events(project_id)])


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
