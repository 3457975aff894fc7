"""What the gateway reads of the generations read model."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from services.gateway.generation.models import generations


def generation_row(conn: Connection, project_id: str, generation_id: str) -> Row | None:
    """One generation of one project (another project's id is as absent as a missing one)."""
    return conn.execute(select(generations).where(generations.c.generation_id == generation_id,
                                                  generations.c.project_id == project_id)).first()
