"""Rebuilding a read model from the log while the platform keeps serving.

1. Capture the stream's last sequence; build fresh `<table>__rebuild` tables up to it, while
   the live runner goes on serving the old tables.
2. Take the projection's lease (the live runner's next write fails its fence and it waits),
   catch the new tables up to the end of the log, verify that every sequence was read.
3. In one transaction: swap the tables in, move the checkpoint, release the lease. The live
   runner resumes from the new checkpoint.

Only projection handlers run: they change rows and nothing else, so a replay sends no webhook
and starts no generation.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, func, select

from services.eventlog.reader import EventReader, StoredEvent
from services.readmodels.batches import apply_in_transaction
from services.readmodels.checkpoints import (
    ProjectionLease,
    bookkeeping,
    delete_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from services.readmodels.database import create_tables, deferred_durability
from services.readmodels.parking import park
from services.readmodels.projection import Projection, WrittenKeys
from services.readmodels.rebuild_writer import WRITER_PROCESS_FROM, RebuildWriter, WriterFailed, can_write_beside
from services.readmodels.swap import swap_in

log = logging.getLogger(__name__)
REBUILD_SUFFIX = "__rebuild"
Progress = Callable[[int, int], None]  # (events read so far, events to read)


class RebuildFailed(Exception):
    pass


class PartialRebuildRefused(RebuildFailed):
    """A rebuild from a sequence or a time would swap in tables missing the events before it."""


@dataclass
class RebuildReport:
    projection: str
    first_seq: int
    captured_seq: int
    final_seq: int
    events_read: int = 0
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    # Compared with the live tables at the same checkpoint: None when live was behind.
    matches_live: bool | None = None
    written_beside: bool = False  # the bulk written by a second process (rebuild_writer.py)
    parked: list[int] = field(default_factory=list)  # sequences skipped and recorded (`park_poisoned`)

    @property
    def events_per_second(self) -> float:
        return self.events_read / self.seconds if self.seconds else 0.0


class Rebuild:
    def __init__(self, reader: EventReader, engine: Engine, projection: Projection,
                 batch_size: int = 1000, written_keys_limit: int = 1_000_000,
                 writer_process_from: int = WRITER_PROCESS_FROM, park_poisoned: bool = False) -> None:
        """`park_poisoned`: an event the projection cannot apply is parked (skipped, recorded in
        projection_parked_events as the live runner does) instead of failing the rebuild."""
        self.reader = reader
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size
        self.tables = projection.tables(REBUILD_SUFFIX)
        self.checkpoint_name = projection.name + REBUILD_SUFFIX
        self.lease = ProjectionLease(projection.name, f"rebuild-{uuid.uuid4().hex[:8]}")
        self.written_keys_limit = written_keys_limit
        self.written: WrittenKeys | None = WrittenKeys(written_keys_limit)  # of the fresh tables
        self.writer_process_from = writer_process_from
        self.park_poisoned = park_poisoned
        self.parked: list[int] = []

    async def run(self, *, start_seq: int | None = None, start_time: datetime | None = None,
                  progress: Progress | None = None) -> RebuildReport:
        """Rebuild from the start of the log; from `start_seq` or `start_time` only for a
        projection that declares itself `partial_rebuild_safe`."""
        partial = (start_seq is not None and start_seq > 1) or start_time is not None
        if partial and not self.projection.partial_rebuild_safe:
            raise PartialRebuildRefused(
                f"{self.projection.name}: a rebuild from a sequence or a time would lose every earlier "
                "event's rows; rebuild it from the start of the log")
        with without_cycle_collection():
            return await self._run(start_seq, start_time, progress)

    async def _run(self, start_seq: int | None, start_time: datetime | None,
                   progress: Progress | None) -> RebuildReport:
        started = time.perf_counter()
        captured = (await self.reader.js.stream_info(self.reader.stream)).state.last_seq
        writer = None
        # (an event parked one at a time is this process's work: the second process never parks)
        if captured - (start_seq or 1) + 1 >= self.writer_process_from and not self.park_poisoned \
                and can_write_beside(self.engine, self.projection):
            # started now, so that the process starts while the tables are made and the reading begins
            writer = RebuildWriter(self.engine, self.projection, REBUILD_SUFFIX, self.checkpoint_name,
                                   self.written_keys_limit)
        # The worker knows which keys it wrote, this process does not: after it, every miss is read.
        self.written = WrittenKeys(self.written_keys_limit) if writer is None else None
        try:
            await asyncio.to_thread(self._create_fresh_tables)
            report = RebuildReport(self.projection.name, start_seq or 1, captured, captured)
            if writer is not None:
                report.events_read = await self._write_beside(writer, start_seq, start_time, captured, progress)
                report.written_beside = True
            else:
                report.events_read = await self._apply_range(
                    start_seq=start_seq, start_time=start_time, end_seq=captured, progress=progress, total=captured)
        finally:
            if writer is not None:
                await writer.close()
        await asyncio.to_thread(self._in_transaction, self.lease.take_over)
        try:
            report.final_seq = (await self.reader.js.stream_info(self.reader.stream)).state.last_seq
            report.events_read += await self._apply_range(
                start_seq=captured + 1, end_seq=report.final_seq, progress=None, total=0)
            report.parked = self.parked
            await asyncio.to_thread(self._verify_and_swap, report)
        finally:
            await asyncio.to_thread(self._in_transaction, self.lease.release)
        report.seconds = time.perf_counter() - started
        return report

    def _in_transaction(self, operation):
        with self.engine.begin() as conn:
            return operation(conn)

    def _create_fresh_tables(self) -> None:
        create_tables(self.engine, bookkeeping.sorted_tables)
        for table in self.tables.values():
            table.drop(self.engine, checkfirst=True)
            table.create(self.engine)
        self._in_transaction(lambda conn: delete_checkpoint(conn, self.checkpoint_name))

    async def _apply_range(self, *, start_seq: int | None, end_seq: int, total: int,
                           progress: Progress | None, start_time: datetime | None = None) -> int:
        """Apply events up to end_seq, one batch (one transaction) after the other, on one connection.

        Applied in the event loop's thread on purpose: overlapping the next fetch with a batch
        in a worker thread measured no faster (bench/replay.py), both fighting for the GIL.
        """
        if start_seq is not None and start_seq > end_seq:
            return 0
        read = 0
        with self.engine.connect() as conn, deferred_durability(conn):
            async for batch in self.reader.ordered_batches(start_seq=start_seq, start_time=start_time,
                                                           end_seq=end_seq, batch_size=self.batch_size):
                try:
                    with conn.begin():
                        apply_in_transaction(conn, self.projection, self.tables, self.checkpoint_name, batch,
                                             written=self.written)
                except Exception as error:
                    self._apply_one_by_one(conn, batch, error)
                read += len(batch)
                if progress is not None:
                    progress(read, total)
        return read

    def _apply_one_by_one(self, conn: Connection, batch: list[StoredEvent], failure: Exception) -> None:
        """A batch failed: each of its events alone, parking the ones that fail when asked to."""
        if not self.park_poisoned:
            raise RebuildFailed(f"{self.projection.name}: an event between seq {batch[0].seq} and {batch[-1].seq} "
                                f"could not be applied ({type(failure).__name__}); `--skip-parked` parks such "
                                f"events and goes on") from failure
        self.written = None  # the failed batch's keys were rolled back: from now on every miss is read
        for stored in batch:
            try:
                with conn.begin():
                    apply_in_transaction(conn, self.projection, self.tables, self.checkpoint_name, [stored])
            except Exception as error:
                with conn.begin():
                    park(conn, self.projection.name, stored, error)
                    write_checkpoint(conn, self.checkpoint_name, stored.seq)
                self.parked.append(stored.seq)
                log.warning("%s: rebuild parked event %s (seq %d): %s", self.projection.name, stored.event_id,
                            stored.seq, type(error).__name__)

    async def _write_beside(self, writer: RebuildWriter, start_seq: int | None, start_time: datetime | None,
                            end_seq: int, progress: Progress | None) -> int:
        """`_apply_range`, with the decoding and writing in a second process (rebuild_writer.py)."""
        read = 0
        try:
            async for batch in self.reader.ordered_batches(start_seq=start_seq, start_time=start_time,
                                                           end_seq=end_seq, batch_size=self.batch_size,
                                                           backlog=4 * self.batch_size):
                await writer.submit(batch)
                read += len(batch)
                if progress is not None:
                    progress(read, end_seq)
            await writer.finish()
        except WriterFailed as error:
            raise RebuildFailed(str(error)) from error
        return read

    def _verify_and_swap(self, report: RebuildReport) -> None:
        with self.engine.begin() as conn:
            if not self.lease.fence(conn):
                raise RebuildFailed("lost the projection's lease during the rebuild")
            reached = read_checkpoint(conn, self.checkpoint_name)
            expected_events = report.final_seq - report.first_seq + 1
            if reached != report.final_seq or (report.first_seq == 1 and report.events_read != expected_events):
                raise RebuildFailed(f"read up to {reached} ({report.events_read} events); "
                                    f"expected {report.final_seq} ({expected_events} events)")
            live = self.projection.tables()
            if read_checkpoint(conn, self.projection.name) == reached:
                report.matches_live = all(table_digest(conn, self.tables[n]) == table_digest(conn, live[n])
                                          for n in live if _exists(conn, live[n]))
            for name, table in self.tables.items():
                report.rows[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
                swap_in(conn, table, name)
            write_checkpoint(conn, self.projection.name, reached)
            delete_checkpoint(conn, self.checkpoint_name)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector for a rebuild; collect once at the end.

    Messages, events and rows live for one batch and refcounting frees them (a rebuild of
    210,000 events left under 2,000 objects in cycles). The collector, at any threshold a batch
    reaches, promoted each live batch and rescanned it: up to a quarter of a rebuild's CPU
    (bench/replay.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def table_digest(conn: Connection, table: Table) -> str:
    """SHA-256 of every row in primary-key order: equal digests, equal tables."""
    digest = hashlib.sha256()
    order = list(table.primary_key.columns)
    for row in conn.execute(select(*table.columns).order_by(*order)):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _exists(conn: Connection, table: Table) -> bool:
    return conn.dialect.has_table(conn, table.name)
