"""What the project feature reads of its read model: functions of a Connection."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from services.gateway.keys.models import projects


def project_row(conn: Connection, project_id: str) -> Row | None:
    return conn.execute(select(projects).where(projects.c.project_id == project_id)).first()
