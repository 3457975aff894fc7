"""Parked events: the ones a projection could not apply, kept aside so the read model goes on.

A parked event is skipped (the checkpoint moves past it) and recorded with its error's class and
first line. The log line that says so carries the event id and the error class, never the
message: a database's message can quote the value it refused.
`dashloom replay parked --retry` applies them again once the cause is fixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js import JetStreamContext
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError

from services.eventlog.reader import EventReader, StoredEvent
from services.readmodels.checkpoints import leases, parked_events
from services.readmodels.projection import Projection, Rows
from services.readmodels.upsert import upsert_rows

MESSAGE_CHARS = 500


def error_class(error: BaseException) -> str:
    return type(error).__name__


def error_message(error: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement and parameters."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    return (lines[0] if lines else error_class(error))[:MESSAGE_CHARS]


def park(conn: Connection, projection: str, stored: StoredEvent, error: BaseException) -> None:
    upsert_rows(conn, parked_events, [{
        "projection": projection, "seq": stored.seq, "event_id": stored.event_id, "event_type": stored.type,
        "error_class": error_class(error), "message": error_message(error), "parked_at": time.time()}])


def parked_counts(conn: Connection) -> dict[str, int]:
    query = select(parked_events.c.projection, func.count()).group_by(parked_events.c.projection)
    return dict(conn.execute(query).all())


def list_parked(engine: Engine, projection: str | None = None) -> list:
    query = select(parked_events).order_by(parked_events.c.projection, parked_events.c.seq)
    if projection is not None:
        query = query.where(parked_events.c.projection == projection)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


@dataclass(frozen=True)
class RetryResult:
    projection: str
    seq: int
    applied: bool
    error_class: str | None = None


async def retry_parked(js: JetStreamContext, engine: Engine, projections: dict[str, Projection],
                       only: str | None = None) -> list[RetryResult]:
    """Apply each parked event again, out of order; one that applies leaves the parked list."""
    reader = EventReader(js)
    results = []
    for row in list_parked(engine, only):
        projection = projections.get(row.projection)
        if projection is None:
            continue
        stored = await _stored_event(reader, row.seq)
        results.append(_retry_one(engine, projection, row.seq, stored))
    return results


async def _stored_event(reader: EventReader, seq: int) -> StoredEvent | None:
    async for batch in reader.batches(start_seq=seq, end_seq=seq, batch_size=1):
        for stored in batch:
            if stored.seq == seq:
                return stored
    return None


def _retry_one(engine: Engine, projection: Projection, seq: int, stored: StoredEvent | None) -> RetryResult:
    if stored is None:  # gone from the log (retention): nothing left to apply
        with engine.begin() as conn:
            _unpark(conn, projection.name, seq)
        return RetryResult(projection.name, seq, False, "EventGone")
    try:
        with engine.begin() as conn:
            # the lease row's lock orders this write against the live runner's batches
            conn.execute(update(leases).where(leases.c.name == projection.name)
                         .values(expires_at=leases.c.expires_at))
            rows = Rows(conn, projection.tables())
            projection.apply([stored], rows)
            rows.flush()
            _unpark(conn, projection.name, seq)
    except Exception as error:  # still failing: it stays parked, with the newer error
        with engine.begin() as conn:
            park(conn, projection.name, stored, error)
        return RetryResult(projection.name, seq, False, error_class(error))
    return RetryResult(projection.name, seq, True)


def _unpark(conn: Connection, projection: str, seq: int) -> None:
    conn.execute(delete(parked_events).where(parked_events.c.projection == projection, parked_events.c.seq == seq))
