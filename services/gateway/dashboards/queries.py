"""Reads of the dashboards read model: one dashboard, a tenant's, a page of them, versions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, Row, func, select

from services.gateway.dashboards.models import dashboard_versions, dashboards
from services.gateway.keys.models import api_keys

NEWEST_FIRST = (dashboards.c.created_at.desc(), dashboards.c.dashboard_id.desc())


def dashboard_row(conn: Connection, project_id: str, dashboard_id: str) -> Row | None:
    """One dashboard of the project, deleted ones too (they answer 410); another project's is None."""
    return conn.execute(select(dashboards).where(dashboards.c.dashboard_id == dashboard_id,
                                                 dashboards.c.project_id == project_id)).first()


def live_spec_blob(conn: Connection, project_id: str, dashboard_id: str) -> str | None:
    """The spec blob of the project's dashboard's latest version; None when it has none or was deleted."""
    return conn.execute(select(dashboards.c.spec_blob).where(
        dashboards.c.dashboard_id == dashboard_id, dashboards.c.project_id == project_id,
        dashboards.c.deleted_at.is_(None))).scalar()


def tenant_dashboards(conn: Connection, project_id: str, tenant_id: str) -> list[Row]:
    """The tenant's live dashboards, the newest first."""
    return list(conn.execute(select(dashboards).where(
        dashboards.c.project_id == project_id, dashboards.c.tenant_id == tenant_id,
        dashboards.c.deleted_at.is_(None)).order_by(*NEWEST_FIRST)).all())


def dashboards_page(conn: Connection, project_id: str, limit: int, offset: int, *, tenant_id: str | None = None,
                    workspace_id: str | None = None, among_tenants: Collection[str] | None = None,
                    search: str | None = None) -> tuple[list[Row], int]:
    """Live dashboards, newest first, with the total; `among_tenants`: only those (a tenant-bound caller);
    `search`: whose title or name contains it, in any case (`%` and `_` are plain characters)."""
    condition = (dashboards.c.project_id == project_id) & dashboards.c.deleted_at.is_(None)
    if search:
        needle = search.lower()
        condition &= (func.lower(dashboards.c.title).contains(needle, autoescape=True)
                      | func.lower(dashboards.c.name).contains(needle, autoescape=True))
    if tenant_id is not None:
        condition &= dashboards.c.tenant_id == tenant_id
    if workspace_id is not None:
        condition &= dashboards.c.workspace_id == workspace_id
    if among_tenants is not None:
        condition &= dashboards.c.tenant_id.in_(sorted(among_tenants))
    rows = list(conn.execute(select(dashboards, func.count().over().label("total")).where(condition)
                             .order_by(*NEWEST_FIRST).limit(limit).offset(offset)).all())
    total = rows[0].total if rows else conn.execute(select(func.count()).select_from(dashboards)
                                                    .where(condition)).scalar_one()
    return rows, total


def versions_page(conn: Connection, dashboard_id: str, limit: int, offset: int) -> tuple[list[Row], int]:
    """A page of the dashboard's versions, each with the name of the API key that uploaded it."""
    mine = dashboard_versions.c.dashboard_id == dashboard_id
    uploader = (api_keys.c.key_id == dashboard_versions.c.created_by) & (
        api_keys.c.project_id == dashboard_versions.c.project_id)
    rows = list(conn.execute(select(dashboard_versions, api_keys.c.name.label("created_by_name"))
                             .outerjoin(api_keys, uploader).where(mine).order_by(dashboard_versions.c.version.desc())
                             .limit(limit).offset(offset)).all())
    total = conn.execute(select(func.count()).select_from(dashboard_versions).where(mine)).scalar_one()
    return rows, total


def files_deleted_since(conn: Connection, since: datetime) -> list[str]:
    """Spec, PDF and upload of every version of the dashboards deleted at or after `since`."""
    query = (select(dashboard_versions.c.spec_blob, dashboard_versions.c.pdf_blob, dashboard_versions.c.upload_blob)
             .join(dashboards, dashboards.c.dashboard_id == dashboard_versions.c.dashboard_id)
             .where(dashboards.c.deleted_at >= since))
    return sorted({name for row in conn.execute(query) for name in row if name})


def version_blobs(conn: Connection, dashboard_id: str) -> list[tuple[str, str | None, str | None, str]]:
    """(spec, pdf, upload, generation id) of every version the read model knows."""
    return [tuple(row) for row in conn.execute(select(
        dashboard_versions.c.spec_blob, dashboard_versions.c.pdf_blob, dashboard_versions.c.upload_blob,
        dashboard_versions.c.generation_id).where(dashboard_versions.c.dashboard_id == dashboard_id))]
