"""How a generation's events change the generations table: the "generations" projection, which
extends the dashboards projection (dashboards/projections.py: why the two are one)."""

from __future__ import annotations

from contracts import DashboardRequested, GenerationCompleted, GenerationFailed, GenerationProgressed, GenerationStarted
from services.gateway.dashboards.projections import dashboard_tables, legacy_dashboard
from services.gateway.generation.models import generations
from services.readmodels.projection import Rows

generation_status = dashboard_tables.extended(generations)


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
        legacy_dashboard(event, generation or {}, rows)


@generation_status.on(GenerationFailed)
def _failed(event: GenerationFailed, rows: Rows) -> None:
    rows["generations"].update(event.aggregate_id, status="failed", error_code=event.payload.code,
                               error_reason=event.payload.reason, updated_at=event.occurred_at)
