"""The dashboards projection: how dashboard events change the dashboards, dashboard_versions and
tenants tables: a dashboard made (for a tenant or by an upload), each new version, its deletion,
and the tenants counted live.

It runs as part of the "generations" projection (generation/projections.py extends it with the
generations table), under that name and checkpoint, and so in the same transactions:
- a generation's completion and its dashboard's version are always in the same state in one read;
- a generation completed before dashboards had events makes its dashboard from the generation's row;
- the tables built under that name in existing databases, and their checkpoint, stay valid: a
  projection of another name would start from the log's first event over rows already counted.
"""

from __future__ import annotations

from contracts import DashboardCreated, DashboardDeleted, DashboardVersionAdded, GenerationCompleted
from services.gateway.dashboards.models import dashboard_versions, dashboards, tenants
from services.readmodels.projection import Projection, Rows

dashboard_tables = Projection("generations", dashboards, dashboard_versions, tenants)


def legacy_dashboard(event: GenerationCompleted, generation: dict, rows: Rows) -> None:
    """Before dashboards had events of their own, a generation's completion made its dashboard."""
    dashboard = {"dashboard_id": event.payload.dashboard_id, "project_id": event.project_id,
                 "name": event.payload.title, "tenant_id": generation.get("tenant_id"),
                 "workspace_id": generation.get("workspace_id"), "created_by": generation.get("requested_by"),
                 "created_at": event.occurred_at}
    dashboard_created(dashboard, rows)
    version_added({**dashboard, "version": 1, "generation_id": event.aggregate_id, "title": event.payload.title,
                    "spec_blob": event.payload.spec.name, "pdf_blob": event.payload.pdf and event.payload.pdf.name,
                    "upload_blob": generation.get("upload_blob"), "upload_sha256": generation.get("upload_sha256"),
                    "upload_size": generation.get("upload_size"), "row_count": None,
                    "card_count": event.payload.card_count}, rows)


def dashboard_created(dashboard: dict, rows: Rows) -> None:
    rows["dashboards"].put({**dashboard, "description": dashboard.get("description"), "version": 0,
                            "generation_id": None, "title": dashboard["name"], "spec_blob": None, "card_count": 0,
                            "updated_at": dashboard["created_at"], "deleted_at": None})
    _count_tenant(rows, dashboard["project_id"], dashboard["tenant_id"], 1, dashboard["created_at"])


def version_added(version: dict, rows: Rows) -> None:
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


@dashboard_tables.on(DashboardCreated)
def on_created(event: DashboardCreated, rows: Rows) -> None:
    payload = event.payload
    dashboard_created({"dashboard_id": payload.dashboard_id, "project_id": event.project_id, "name": payload.name,
                        "description": payload.description, "tenant_id": payload.tenant_id,
                        "workspace_id": payload.workspace_id, "created_by": payload.created_by,
                        "created_at": event.occurred_at}, rows)


@dashboard_tables.on(DashboardVersionAdded)
def on_version_added(event: DashboardVersionAdded, rows: Rows) -> None:
    payload = event.payload
    version_added({"dashboard_id": payload.dashboard_id, "version": payload.version, "project_id": event.project_id,
                    "generation_id": payload.generation_id, "title": payload.title, "spec_blob": payload.spec.name,
                    "pdf_blob": payload.pdf and payload.pdf.name, "upload_blob": payload.upload.name,
                    "upload_sha256": payload.upload.sha256, "upload_size": payload.upload.size,
                    "row_count": payload.row_count, "card_count": payload.card_count,
                    "created_by": payload.requested_by, "created_at": event.occurred_at}, rows)


@dashboard_tables.on(DashboardDeleted)
def on_deleted(event: DashboardDeleted, rows: Rows) -> None:
    dashboard = rows["dashboards"].get(event.payload.dashboard_id)
    if dashboard is None or dashboard["deleted_at"] is not None:
        return
    rows["dashboards"].update(event.payload.dashboard_id, deleted_at=event.occurred_at, updated_at=event.occurred_at)
    _count_tenant(rows, dashboard["project_id"], dashboard["tenant_id"], -1, event.occurred_at)
