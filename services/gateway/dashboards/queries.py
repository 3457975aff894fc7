"""What the gateway reads of the dashboards read model, as answer models."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, func, select

from services.gateway.dashboards.models import DashboardOut, dashboards

# Built once: SQLAlchemy then reuses the compiled statement without recomputing its cache key.
# The window count gives the page and the total in one query.
_MINE = dashboards.c.project_id == bindparam("project_id")
_PAGE = (select(dashboards, func.count().over().label("total")).where(_MINE)
         .order_by(dashboards.c.created_at.desc(), dashboards.c.dashboard_id)
         .limit(bindparam("limit")).offset(bindparam("offset")))
_COUNT = select(func.count()).select_from(dashboards).where(_MINE)


def dashboard_page(conn: Connection, project_id: str, limit: int, offset: int) -> tuple[list[DashboardOut], int]:
    """A page of the project's dashboards, newest first, and how many it has."""
    rows = conn.execute(_PAGE, {"project_id": project_id, "limit": limit, "offset": offset}).all()
    total = rows[0].total if rows else conn.execute(_COUNT, {"project_id": project_id}).scalar_one()
    return [DashboardOut.model_validate(row) for row in rows], total


def dashboard(conn: Connection, project_id: str, dashboard_id: str) -> DashboardOut | None:
    """One dashboard of one project (another project's is as absent as a missing one)."""
    row = conn.execute(select(dashboards).where(dashboards.c.dashboard_id == dashboard_id,
                                                dashboards.c.project_id == project_id)).first()
    return None if row is None else DashboardOut.model_validate(row)
