"""Where each projection is in the log, and who may write it.

The checkpoint is written in the same transaction as the projection's rows. The lease keeps a
single writer per projection: replicas of a service, and an operator's rebuild, take turns.
"""

from __future__ import annotations

import time

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)

from services.readmodels.upsert import insert_if_missing, upsert_rows

bookkeeping = MetaData()

checkpoints = Table(
    "projection_checkpoints", bookkeeping,
    Column("name", String(200), primary_key=True),
    Column("stream_seq", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
)

leases = Table(
    "projection_leases", bookkeeping,
    Column("name", String(200), primary_key=True),
    Column("owner", String(200), nullable=True),
    Column("expires_at", Float, nullable=False),
)


# Events a projection could not apply: it skipped them (see batches.park_event) and went on.
parked_events = Table(
    "projection_parked_events", bookkeeping,
    Column("projection", String(200), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("error_class", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("parked_at", Float, nullable=False),
)


def read_checkpoint(conn: Connection, name: str) -> int:
    return conn.execute(select(checkpoints.c.stream_seq).where(checkpoints.c.name == name)).scalar() or 0


def write_checkpoint(conn: Connection, name: str, stream_seq: int) -> None:
    upsert_rows(conn, checkpoints, [{"name": name, "stream_seq": stream_seq, "updated_at": time.time()}])


def delete_checkpoint(conn: Connection, name: str) -> None:
    conn.execute(checkpoints.delete().where(checkpoints.c.name == name))


class ProjectionLease:
    """A time-bounded claim on one projection, checked inside every write transaction (fencing)."""

    def __init__(self, name: str, owner: str, ttl: float = 15.0) -> None:
        self.name = name
        self.owner = owner
        self.ttl = ttl

    def _ensure_row(self, conn: Connection) -> None:
        insert_if_missing(conn, leases, {"name": self.name, "owner": None, "expires_at": 0.0})

    def try_acquire(self, conn: Connection) -> bool:
        self._ensure_row(conn)
        now = time.time()
        claimable = (leases.c.owner == self.owner) | (leases.c.owner.is_(None)) | (leases.c.expires_at < now)
        claimed = conn.execute(update(leases).where(leases.c.name == self.name, claimable)
                               .values(owner=self.owner, expires_at=now + self.ttl))
        return claimed.rowcount == 1

    def fence(self, conn: Connection) -> bool:
        """Extend the lease if still ours; the row lock this takes orders us against a take-over."""
        still_ours = conn.execute(update(leases).where(leases.c.name == self.name, leases.c.owner == self.owner)
                                  .values(expires_at=time.time() + self.ttl))
        return still_ours.rowcount == 1

    def take_over(self, conn: Connection) -> None:
        """Claim the lease whoever holds it; their next write transaction fails its fence."""
        self._ensure_row(conn)
        conn.execute(update(leases).where(leases.c.name == self.name)
                     .values(owner=self.owner, expires_at=time.time() + self.ttl))

    def release(self, conn: Connection) -> None:
        conn.execute(update(leases).where(leases.c.name == self.name, leases.c.owner == self.owner)
                     .values(owner=None, expires_at=0.0))
