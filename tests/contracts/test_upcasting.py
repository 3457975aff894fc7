import uuid

import orjson
import pytest
from pydantic import ValidationError

from contracts import (
    ApiKeyRotated,
    DashboardRequested,
    GenerationCompleted,
    ProjectCreated,
    decode_event,
    derive_event_id,
    encode_event,
)
from contracts.upcasting import UnknownEventType

SHA = "ab" * 32


def v1_dashboard_requested() -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "DashboardRequested", "version": 1,
            "occurred_at": "2025-01-02T03:04:05Z", "project_id": "p1", "aggregate_id": "g1",
            "correlation_id": None, "causation_id": None,
            "payload": {"blob_name": "uploads/g1", "sha256": SHA, "size": 42, "title": "Sales"}}


def test_a_v1_event_decodes_into_the_current_model():
    event = decode_event(orjson.dumps(v1_dashboard_requested()))
    assert isinstance(event, DashboardRequested)
    assert event.version == 2
    assert event.payload.upload.name == "uploads/g1"
    assert event.payload.upload.size == 42
    assert event.payload.file_format == "csv"
    assert event.payload.options.allow_pdf_export is False


def test_a_v1_rotation_decodes_with_no_successor_of_its_own():
    """v1 rotations were followed by the successor's ApiKeyIssued; v2 carries the successor itself."""
    v1 = {"event_id": str(uuid.uuid4()), "type": "ApiKeyRotated", "version": 1, "occurred_at": "2025-01-02T03:04:05Z",
          "project_id": "p1", "aggregate_id": "k1", "correlation_id": None, "causation_id": None,
          "payload": {"new_key_id": "k2", "expires_at": "2025-01-03T03:04:05Z"}}
    event = decode_event(orjson.dumps(v1))
    assert isinstance(event, ApiKeyRotated) and event.version == 2
    assert event.payload.new_key_id == "k2" and event.payload.successor is None


def test_the_current_version_round_trips_through_json():
    event = ProjectCreated(project_id="p1", aggregate_id="p1", payload={"name": "Acme", "plan": "premium"})
    assert decode_event(encode_event(event)) == event
    assert decode_event(encode_event(event), "ProjectCreated", 1) == event


def test_unknown_types_are_reported_not_guessed():
    data = v1_dashboard_requested() | {"type": "SomethingFromTheFuture"}
    with pytest.raises(UnknownEventType):
        decode_event(orjson.dumps(data))


def test_aggregate_ids_must_be_one_subject_token():
    for bad in ["a.b", "a b", "*", ">", ""]:
        with pytest.raises(ValidationError):
            ProjectCreated(project_id="p1", aggregate_id=bad, payload={"name": "x"})


def test_caused_events_derive_their_ids_from_the_cause():
    cause = ProjectCreated(project_id="p1", aggregate_id="p1", payload={"name": "x"})
    first = cause.caused(ProjectCreated, payload={"name": "y"})
    again = cause.caused(ProjectCreated, payload={"name": "y"})
    assert first.event_id == again.event_id == derive_event_id(cause.event_id, "ProjectCreated")
    assert first.causation_id == cause.event_id and first.correlation_id == cause.event_id


def test_a_v1_generation_completed_names_its_dashboard_by_the_typed_id():
    """Before typed ids a dashboard was `d<generation id>`: replays rebuild it as `dsh_<generation id>`,
    its first and only version, and a typed id is required from v2 on."""
    generation_id = "0f" * 16
    v1 = {"event_id": str(uuid.uuid4()), "type": "GenerationCompleted", "version": 1,
          "occurred_at": "2025-01-02T03:04:05Z", "project_id": "p1", "aggregate_id": generation_id,
          "correlation_id": None, "causation_id": None,
          "payload": {"dashboard_id": f"d{generation_id}", "title": "Sales", "card_count": 3,
                      "spec": {"name": f"specs/d{generation_id}.json", "sha256": SHA, "size": 10}}}
    event = decode_event(orjson.dumps(v1), "GenerationCompleted", 1)
    assert isinstance(event, GenerationCompleted) and event.version == 2
    assert event.payload.dashboard_id == f"dsh_{generation_id}" and event.payload.dashboard_version == 1
    assert event.payload.spec.name == f"specs/d{generation_id}.json"  # the blob keeps its name
    v1["version"] = 2
    with pytest.raises(ValidationError):
        decode_event(orjson.dumps(v1))
