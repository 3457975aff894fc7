"""The integrations read models: the upload formats each project used (`data_sources`), and its
webhook endpoints as their events tell them (`integration_endpoints`: never the webhooks
service's own tables)."""

from __future__ import annotations

from contracts import (
    DashboardRequested,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointUpdated,
)
from services.gateway.integrations.models import data_sources, integration_endpoints
from services.readmodels.projection import Projection, Rows

integrations = Projection("integrations", data_sources)
endpoints = Projection("integration_endpoints", integration_endpoints)


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


@endpoints.on(WebhookEndpointRegistered)
def _registered(event: WebhookEndpointRegistered, rows: Rows) -> None:
    rows["integration_endpoints"].put({
        "endpoint_id": event.aggregate_id, "project_id": event.project_id, "url": event.payload.url,
        "event_types": event.payload.event_types, "description": event.payload.description, "status": "enabled",
        "created_at": event.occurred_at})


@endpoints.on(WebhookEndpointUpdated)
def _updated(event: WebhookEndpointUpdated, rows: Rows) -> None:
    change = event.payload.model_dump(exclude_none=True)
    if "enabled" in change:
        change["status"] = "enabled" if change.pop("enabled") else "disabled"
    rows["integration_endpoints"].update(event.aggregate_id, **change)


@endpoints.on(WebhookEndpointDisabled)
def _disabled(event: WebhookEndpointDisabled, rows: Rows) -> None:
    rows["integration_endpoints"].update(event.aggregate_id, status="disabled")


@endpoints.on(WebhookEndpointDeleted)
def _deleted(event: WebhookEndpointDeleted, rows: Rows) -> None:
    rows["integration_endpoints"].delete(event.aggregate_id)
