"""How events change the gateway's read models."""

from __future__ import annotations

from contracts import (
    ApiKeyIssued,
    ApiKeyRevoked,
    ApiKeyRotated,
    DashboardCreated,
    DashboardDeleted,
    DashboardRequested,
    DashboardVersionAdded,
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
from services.gateway.models import (
    api_keys,
    dashboard_versions,
    dashboards,
    data_sources,
    generations,
    metric_points,
    projects,
    tenants,
    webhook_endpoints,
)
from services.readmodels.projection import Projection, Rows

generation_status = Projection("generations", generations, dashboards, dashboard_versions, tenants)
project_access = Projection("projects", projects, api_keys)
metrics = Projection("metrics", metric_points)
integrations = Projection("integrations", data_sources, webhook_endpoints)


@generation_status.on(DashboardRequested)
def _requested(event: DashboardRequested, rows: Rows) -> None:
    rows["generations"].put({
        "generation_id": event.aggregate_id, "project_id": event.project_id,
        "status": "processing", "stage": "queued", "percent": 0, "title": event.payload.title,
        "file_format": event.payload.file_format, "upload_size": event.payload.upload.size,
        "idempotency_key": event.payload.idempotency_key, "upload_blob": event.payload.upload.name,
        "upload_sha256": event.payload.upload.sha256, "requested_by": event.payload.requested_by,
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
    if rows["dashboards"].get(event.payload.dashboard_id) is None:
        _legacy_dashboard(event, generation or {}, rows)


def _legacy_dashboard(event: GenerationCompleted, generation: dict, rows: Rows) -> None:
    """Before dashboards had events of their own, a generation's completion made its dashboard."""
    dashboard = {"dashboard_id": event.payload.dashboard_id, "project_id": event.project_id,
                 "name": event.payload.title, "tenant_id": generation.get("tenant_id"),
                 "workspace_id": generation.get("workspace_id"), "created_by": generation.get("requested_by"),
                 "created_at": event.occurred_at}
    _dashboard_created(dashboard, rows)
    _version_added({**dashboard, "version": 1, "generation_id": event.aggregate_id, "title": event.payload.title,
                    "spec_blob": event.payload.spec.name, "pdf_blob": event.payload.pdf and event.payload.pdf.name,
                    "upload_blob": generation.get("upload_blob"), "upload_sha256": generation.get("upload_sha256"),
                    "upload_size": generation.get("upload_size"), "row_count": None,
                    "card_count": event.payload.card_count}, rows)


def _dashboard_created(dashboard: dict, rows: Rows) -> None:
    rows["dashboards"].put({**dashboard, "description": dashboard.get("description"), "version": 0,
                            "generation_id": None, "title": dashboard["name"], "spec_blob": None, "card_count": 0,
                            "updated_at": dashboard["created_at"], "deleted_at": None})
    _count_tenant(rows, dashboard["project_id"], dashboard["tenant_id"], 1, dashboard["created_at"])


def _version_added(version: dict, rows: Rows) -> None:
    rows["dashboards"].update(version["dashboard_id"], version=version["version"],
                              generation_id=version["generation_id"], title=version["title"],
                              spec_blob=version["spec_blob"], card_count=version["card_count"],
                              updated_at=version["created_at"])
    rows["dashboard_versions"].put({column.name: version.get(column.name) for column in dashboard_versions.columns})


def _count_tenant(rows: Rows, project_id: str, tenant_id: str | None, change: int, at) -> None:
    if tenant_id is None:
        return
    key = (project_id, tenant_id)
    tenant = rows["tenants"].get(key)
    if tenant is None:
        rows["tenants"].put({"project_id": project_id, "tenant_id": tenant_id, "dashboard_count": change,
                             "first_seen_at": at, "updated_at": at})
    else:
        rows["tenants"].update(key, dashboard_count=tenant["dashboard_count"] + change, updated_at=at)


@generation_status.on(DashboardCreated)
def _created(event: DashboardCreated, rows: Rows) -> None:
    payload = event.payload
    _dashboard_created({"dashboard_id": payload.dashboard_id, "project_id": event.project_id, "name": payload.name,
                        "description": payload.description, "tenant_id": payload.tenant_id,
                        "workspace_id": payload.workspace_id, "created_by": payload.created_by,
                        "created_at": event.occurred_at}, rows)


@generation_status.on(DashboardVersionAdded)
def _new_version(event: DashboardVersionAdded, rows: Rows) -> None:
    payload = event.payload
    _version_added({"dashboard_id": payload.dashboard_id, "version": payload.version, "project_id": event.project_id,
                    "generation_id": payload.generation_id, "title": payload.title, "spec_blob": payload.spec.name,
                    "pdf_blob": payload.pdf and payload.pdf.name, "upload_blob": payload.upload.name,
                    "upload_sha256": payload.upload.sha256, "upload_size": payload.upload.size,
                    "row_count": payload.row_count, "card_count": payload.card_count,
                    "created_by": payload.requested_by, "created_at": event.occurred_at}, rows)


@generation_status.on(DashboardDeleted)
def _deleted(event: DashboardDeleted, rows: Rows) -> None:
    dashboard = rows["dashboards"].get(event.payload.dashboard_id)
    if dashboard is None or dashboard["deleted_at"] is not None:
        return
    rows["dashboards"].update(event.payload.dashboard_id, deleted_at=event.occurred_at, updated_at=event.occurred_at)
    _count_tenant(rows, dashboard["project_id"], dashboard["tenant_id"], -1, event.occurred_at)


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


PROJECTIONS = [generation_status, project_access, metrics, integrations]
