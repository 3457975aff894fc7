"""Applying one batch of events: rows and checkpoint in one transaction, fenced by the lease.

An event the projection cannot apply (a handler's error, a value the database refuses) is
parked: recorded with its error, the checkpoint moved past it, in one fenced transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, Table

from services.eventlog.reader import StoredEvent
from services.readmodels.checkpoints import (
    ProjectionLease,
    read_checkpoint,
    write_checkpoint,
)
from services.readmodels.parking import park
from services.readmodels.projection import Projection, Rows, WrittenKeys


class LeaseLost(Exception):
    """Another owner (a replica, or an operator's rebuild) holds the projection now."""


def apply_batch(engine: Engine, projection: Projection, tables: dict[str, Table],
                checkpoint_name: str, events: Sequence[StoredEvent],
                lease: ProjectionLease | None = None, checkpoint: int | None = None) -> int:
    """Apply the events not yet applied; answer the checkpoint after the commit.

    `checkpoint`: the position the lease's holder last committed, when it holds the lease still:
    a fence that passes proves nobody wrote since, so the position is not read again.
    """
    with engine.begin() as conn:
        return apply_in_transaction(conn, projection, tables, checkpoint_name, events, lease, checkpoint=checkpoint)


def apply_in_transaction(conn: Connection, projection: Projection, tables: dict[str, Table],
                         checkpoint_name: str, events: Sequence[StoredEvent],
                         lease: ProjectionLease | None = None, written: WrittenKeys | None = None,
                         checkpoint: int | None = None) -> int:
    """`apply_batch` inside the caller's transaction, which must commit rows and checkpoint together.

    `written`: only for tables that began empty and that only this caller writes (a rebuild's).
    """
    if lease is not None and not lease.fence(conn):
        raise LeaseLost(projection.name)
    if checkpoint is None or lease is None:
        checkpoint = read_checkpoint(conn, checkpoint_name)
    todo = [event for event in events if event.seq > checkpoint]
    if not todo:
        return checkpoint
    rows = Rows(conn, tables, written)
    projection.apply(todo, rows)
    rows.flush()
    write_checkpoint(conn, checkpoint_name, todo[-1].seq)
    return todo[-1].seq


def park_event(engine: Engine, projection: Projection, checkpoint_name: str, stored: StoredEvent,
               error: BaseException, lease: ProjectionLease | None = None) -> int:
    """Skip `stored` for good, saying why; answer the checkpoint after the commit."""
    with engine.begin() as conn:
        if lease is not None and not lease.fence(conn):
            raise LeaseLost(projection.name)
        checkpoint = read_checkpoint(conn, checkpoint_name)
        if stored.seq <= checkpoint:
            return checkpoint
        park(conn, projection.name, stored, error)
        write_checkpoint(conn, checkpoint_name, stored.seq)
        return stored.seq
