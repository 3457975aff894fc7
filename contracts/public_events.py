"""Which log events become webhooks, under which public type, with which `data`.

The `data` of each type is part of the public API: add fields, never rename or drop one.
Personal data (a private link's allowed emails) and secrets (link tokens) never leave.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from contracts import (
    Event,
    GenerationCompleted,
    GenerationFailed,
    ShareLinkIssued,
    ShareLinkRevoked,
)


def _completed(event: GenerationCompleted) -> dict[str, Any]:
    dashboard = event.payload.dashboard_id
    links = {"dashboard": f"/api/v1/dashboards/{dashboard}", "view": f"/api/v1/dashboards/{dashboard}/view"}
    if event.payload.pdf is not None:
        links["pdf"] = f"/api/v1/dashboards/{dashboard}/pdf"
    return {"generation_id": event.aggregate_id, "dashboard_id": dashboard, "title": event.payload.title,
            "card_count": event.payload.card_count, "links": links}


def _failed(event: GenerationFailed) -> dict[str, Any]:
    return {"generation_id": event.aggregate_id, "code": event.payload.code, "reason": event.payload.reason}


def _link_issued(event: ShareLinkIssued) -> dict[str, Any]:
    return {"share_link_id": event.aggregate_id, "dashboard_id": event.payload.dashboard_id,
            "visibility": event.payload.visibility, "expires_at": event.payload.expires_at.isoformat()}


def _link_revoked(event: ShareLinkRevoked) -> dict[str, Any]:
    return {"share_link_id": event.aggregate_id, "reason": event.payload.reason}


PUBLIC: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "GenerationCompleted": ("generation.completed", _completed),
    "GenerationFailed": ("generation.failed", _failed),
    "ShareLinkIssued": ("share_link.issued", _link_issued),
    "ShareLinkRevoked": ("share_link.revoked", _link_revoked),
}


def webhook_body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}


def public_body(event: Event) -> dict[str, Any] | None:
    """The webhook body of a log event, or None if the event is not a public one."""
    found = PUBLIC.get(event.type)
    if found is None:
        return None
    event_type, data = found
    return webhook_body(event_type, event.occurred_at, data(event))
