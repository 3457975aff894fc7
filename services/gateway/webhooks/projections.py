"""How uploads and webhook endpoints change the integrations read model."""

from __future__ import annotations

from contracts import (
    DashboardRequested,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointUpdated,
)
from services.gateway.webhooks.models import data_sources, webhook_endpoints
from services.readmodels.projection import Projection, Rows

integrations = Projection("integrations", data_sources, webhook_endpoints)


@integrations.on(DashboardRequested)
def _upload_seen(event: DashboardRequested, rows: Rows) -> None:
    key = (event.project_id, event.payload.file_format)
    source = rows["data_sources"].get(key)
    if source is None:
        rows["data_sources"].put({"project_id": key[0], "file_format": key[1], "uploads": 1,
                                  "bytes": event.payload.upload.size, "first_used_at": event.occurred_at,
                                  "last_used_at": event.occurred_at})
    else:
        rows["data_sources"].update(key, uploads=source["uploads"] + 1,
                                    bytes=source["bytes"] + event.payload.upload.size,
                                    last_used_at=event.occurred_at)


@integrations.on(WebhookEndpointRegistered)
def _endpoint_registered(event: WebhookEndpointRegistered, rows: Rows) -> None:
    rows["webhook_endpoints"].put({
        "endpoint_id": event.aggregate_id, "project_id": event.project_id, "url": event.payload.url,
        "event_types": event.payload.event_types, "description": event.payload.description,
        "status": "enabled", "created_at": event.occurred_at,
    })


@integrations.on(WebhookEndpointDisabled)
def _endpoint_disabled(event: WebhookEndpointDisabled, rows: Rows) -> None:
    rows["webhook_endpoints"].update(event.aggregate_id, status="disabled",
                                     disabled_reason=event.payload.reason)


@integrations.on(WebhookEndpointUpdated)
def _endpoint_updated(event: WebhookEndpointUpdated, rows: Rows) -> None:
    change = event.payload.model_dump(exclude_none=True)
    if "enabled" in change:
        change["status"] = "enabled" if change.pop("enabled") else "disabled"
    rows["webhook_endpoints"].update(event.aggregate_id, **change)


@integrations.on(WebhookEndpointDeleted)
def _endpoint_deleted(event: WebhookEndpointDeleted, rows: Rows) -> None:
    rows["webhook_endpoints"].delete(event.aggregate_id)
