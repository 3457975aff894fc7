"""What the gateway reads of the generations read model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, func, select

from contracts import DashboardRequested
from services.eventlog.store import EventStore
from services.gateway.edge.dependencies import off_the_loop
from services.gateway.generation.models import generations
from services.gateway.generation.projections import generation_status
from services.readmodels.consistency import wait_for_checkpoint

QUERY_IDS = 500


def generation_row(conn: Connection, project_id: str, generation_id: str) -> Row | None:
    """One generation of one project (another project's id is as absent as a missing one)."""
    return conn.execute(select(generations).where(generations.c.generation_id == generation_id,
                                                  generations.c.project_id == project_id)).first()


def generations_page(conn: Connection, project_id: str, status: str | None, limit: int,
                     offset: int) -> tuple[list[Row], int]:
    """A page of the project's generations (of one status), the latest change first."""
    condition = generations.c.project_id == project_id
    if status is not None:
        condition &= generations.c.status == status
    rows = list(conn.execute(select(generations).where(condition)
                             .order_by(generations.c.updated_at.desc(), generations.c.generation_id.desc())
                             .limit(limit).offset(offset)).all())
    total = conn.execute(select(func.count()).select_from(generations).where(condition)).scalar_one()
    return rows, total


async def settled_generation_row(engine, store: EventStore, project_id: str, generation_id: str, timeout: float):
    """The generation as of every event of it stored before this read: once the websocket or a
    webhook said "completed" (both tell stored events), this never answers "processing".

    Only an unfinished (or not yet seen) generation costs more than the read: one direct get of
    its last event's sequence, then a wait (at most `timeout`) for the projection to reach it."""
    def read(conn: Connection) -> Row | None:
        return generation_row(conn, project_id, generation_id)

    row = await off_the_loop(engine, read)
    if row is not None and row.status != "processing":
        return row
    seq = await store.aggregate_version(DashboardRequested.aggregate, generation_id)
    if seq and await wait_for_checkpoint(engine, generation_status.name, seq, timeout):
        row = await off_the_loop(engine, read)
    return row


def ended_before(conn: Connection, generation_ids: list[str], cutoff: datetime) -> set[str]:
    """Those of the generations that completed or failed before `cutoff`."""
    ended: set[str] = set()
    for start in range(0, len(generation_ids), QUERY_IDS):
        ids = generation_ids[start:start + QUERY_IDS]
        ended.update(conn.execute(select(generations.c.generation_id).where(
            generations.c.generation_id.in_(ids), generations.c.status.in_(("completed", "failed")),
            generations.c.updated_at <= cutoff)).scalars())
    return ended
