"""A v1 ShareLinkIssued (addresses in the clear; never issued by a service) still decodes, without them;
an untyped dashboard id of v1 and v2 reads as its typed id."""

from __future__ import annotations

import uuid

import orjson

from contracts import ShareLinkIssued, decode_event


def test_a_v1_share_link_issued_decodes_as_v2_without_its_clear_addresses():
    v1 = {"event_id": str(uuid.uuid4()), "type": "ShareLinkIssued", "version": 1, "occurred_at": "2026-01-02T03:04:05Z",
          "project_id": "p1", "aggregate_id": "l1", "correlation_id": None, "causation_id": None,
          "payload": {"dashboard_id": "d1", "visibility": "private", "allowed_emails": ["ana@example.com"],
                      "expires_at": "2026-01-09T03:04:05Z", "token_sha256": "ab" * 32}}
    event = decode_event(orjson.dumps(v1))
    assert isinstance(event, ShareLinkIssued) and event.version == 3 and event.payload.dashboard_id == "dsh_1"
    assert event.payload.allowed_email_hashes == [] and event.payload.visibility == "private"
    assert "ana@example.com" not in event.model_dump_json()


def test_a_v2_share_link_of_an_untyped_dashboard_id_names_the_typed_one():
    v2 = {"event_id": str(uuid.uuid4()), "type": "ShareLinkIssued", "version": 2, "occurred_at": "2026-01-02T03:04:05Z",
          "project_id": "p1", "aggregate_id": "l1", "correlation_id": None, "causation_id": None,
          "payload": {"dashboard_id": "d" + "0f" * 16, "visibility": "public", "allowed_email_hashes": [],
                      "expires_at": "2026-01-09T03:04:05Z", "token_sha256": "ab" * 32, "token_prefix": "sl_abc"}}
    event = decode_event(orjson.dumps(v2), "ShareLinkIssued", 2)
    assert event.version == 3 and event.payload.dashboard_id == "dsh_" + "0f" * 16
