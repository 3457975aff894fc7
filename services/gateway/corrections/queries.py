"""Reads of the corrections read model, and of the two versions a diff compares."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from services.gateway.corrections.models import correction_revisions, dashboard_corrections
from services.gateway.dashboards.models import dashboard_versions


def corrections_of(conn: Connection, dashboard_id: str) -> tuple[int, list[Row]]:
    """The dashboard's corrections revision and every correction, in the order they apply."""
    revision = conn.execute(select(correction_revisions.c.revision).where(
        correction_revisions.c.dashboard_id == dashboard_id)).scalar()
    rows = conn.execute(select(dashboard_corrections).where(dashboard_corrections.c.dashboard_id == dashboard_id)
                        .order_by(dashboard_corrections.c.number)).all()
    return revision or 0, list(rows)


def versions_of(conn: Connection, dashboard_id: str, numbers: tuple[int, int]) -> dict[int, Row]:
    rows = conn.execute(select(dashboard_versions).where(dashboard_versions.c.dashboard_id == dashboard_id,
                                                         dashboard_versions.c.version.in_(numbers))).all()
    return {row.version: row for row in rows}
