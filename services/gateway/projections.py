"""How events change the gateway's read models."""

from __future__ import annotations

from contracts import (
    ApiKeyIssued,
    ApiKeyRevoked,
    ApiKeyRotated,
    DashboardRequested,
    GenerationCompleted,
    GenerationFailed,
    GenerationProgressed,
    GenerationStarted,
    ProjectCreated,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointUpdated,
)
from services.gateway.embedding.projections import embedding
from services.gateway.models import (
    api_keys,
    dashboards,
    data_sources,
    generations,
    metric_points,
    projects,
    webhook_endpoints,
)
from services.readmodels.projection import Projection, Rows

generation_status = Projection("generations", generations, dashboards)
project_access = Projection("projects", projects, api_keys)
metrics = Projection("metrics", metric_points)
integrations = Projection("integrations", data_sources, webhook_endpoints)


@generation_status.on(DashboardRequested)
def _requested(event: DashboardRequested, rows: Rows) -> None:
    rows["generations"].put({
        "generation_id": event.aggregate_id, "project_id": event.project_id,
        "status": "processing", "stage": "queued", "percent": 0, "title": event.payload.title,
        "file_format": event.payload.file_format, "upload_size": event.payload.upload.size,
        "idempotency_key": event.payload.idempotency_key,
        "tenant_id": event.payload.tenant_id, "workspace_id": event.payload.workspace_id,
        "requested_at": event.occurred_at, "updated_at": event.occurred_at,
    })


@generation_status.on(GenerationStarted)
def _started(event: GenerationStarted, rows: Rows) -> None:
    rows["generations"].update(event.aggregate_id, stage="parsing", updated_at=event.occurred_at)


@generation_status.on(GenerationProgressed)
def _progressed(event: GenerationProgressed, rows: Rows) -> None:
    rows["generations"].update(event.aggregate_id, stage=event.payload.stage,
                               percent=event.payload.percent, updated_at=event.occurred_at)


@generation_status.on(GenerationCompleted)
def _completed(event: GenerationCompleted, rows: Rows) -> None:
    generation = rows["generations"].update(
        event.aggregate_id, status="completed", stage="done", percent=100,
        dashboard_id=event.payload.dashboard_id, title=event.payload.title,
        updated_at=event.occurred_at)
    rows["dashboards"].put({
        "dashboard_id": event.payload.dashboard_id, "project_id": event.project_id,
        "generation_id": event.aggregate_id, "title": event.payload.title,
        "spec_blob": event.payload.spec.name, "card_count": event.payload.card_count,
        "tenant_id": generation and generation["tenant_id"],
        "workspace_id": generation and generation["workspace_id"],
        "created_at": event.occurred_at,
    })


@generation_status.on(GenerationFailed)
def _failed(event: GenerationFailed, rows: Rows) -> None:
    rows["generations"].update(event.aggregate_id, status="failed", error_code=event.payload.code,
                               error_reason=event.payload.reason, updated_at=event.occurred_at)


@project_access.on(ProjectCreated)
def _project_created(event: ProjectCreated, rows: Rows) -> None:
    rows["projects"].put({"project_id": event.project_id, "name": event.payload.name,
                          "plan": event.payload.plan, "created_at": event.occurred_at})


@project_access.on(ApiKeyIssued)
def _key_issued(event: ApiKeyIssued, rows: Rows) -> None:
    rows["api_keys"].put({
        "key_id": event.aggregate_id, "project_id": event.project_id, "name": event.payload.name,
        "prefix": event.payload.prefix, "key_sha256": event.payload.key_sha256,
        "scopes": event.payload.scopes, "created_at": event.occurred_at,
        "expires_at": event.payload.expires_at,
    })


@project_access.on(ApiKeyRevoked)
def _key_revoked(event: ApiKeyRevoked, rows: Rows) -> None:
    rows["api_keys"].update(event.aggregate_id, revoked_at=event.occurred_at)


@project_access.on(ApiKeyRotated)
def _key_rotated(event: ApiKeyRotated, rows: Rows) -> None:
    rows["api_keys"].update(event.aggregate_id, expires_at=event.payload.expires_at,
                            replaced_by=event.payload.new_key_id)


@metrics.on(GenerationCompleted)
def _metrics_recorded(event: GenerationCompleted, rows: Rows) -> None:
    for series in event.payload.metrics:
        for point in series.points:
            rows["metric_points"].put({
                "metric_id": series.metric_id, "date": point.date, "project_id": event.project_id,
                "dashboard_id": event.payload.dashboard_id, "name": series.name,
                "aggregation": series.aggregation, "value": point.value,
            })


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


PROJECTIONS = [generation_status, project_access, metrics, integrations, embedding]
