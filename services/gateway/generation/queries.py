"""What the gateway reads of the generations read model."""

from __future__ import annotations

from sqlalchemy import select

from services.gateway.generation.models import generations


def generation_row(engine, project_id: str, generation_id: str):
    """One generation of one project (another project's id is as absent as a missing one)."""
    with engine.connect() as conn:
        return conn.execute(select(generations).where(generations.c.generation_id == generation_id,
                                                      generations.c.project_id == project_id)).first()
