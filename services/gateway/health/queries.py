"""What health reads of the database: each projection's checkpoint and parked events."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from services.readmodels.checkpoints import checkpoints
from services.readmodels.parking import parked_counts


def positions_and_parked(conn: Connection) -> tuple[dict[str, int], dict[str, int]]:
    """Each projection's checkpoint, and how many events it parked."""
    conn.execute(text("SELECT 1"))
    return dict(conn.execute(select(checkpoints.c.name, checkpoints.c.stream_seq)).all()), parked_counts(conn)
