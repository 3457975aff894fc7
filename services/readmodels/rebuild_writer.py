"""A rebuild's writing half, in a second process.

Reading the log costs nats-py about as much CPU per event as decoding, applying and writing it
costs us (bench/replay.py): in one process the two add up. Here the event loop only reads, and
hands each batch, undecoded, to one worker process that decodes, applies and commits the batches
in order while the next ones arrive. Starting the process costs about a second, so a rebuild uses
it for long ranges only.

The worker writes only the rebuild's fresh tables and its checkpoint; the lease, the verification
and the swap stay with the rebuild. A batch that fails poisons the worker: no later batch is
applied after a gap, and the rebuild fails as a whole (its fresh tables are never swapped in).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.engine import make_url

from services.eventlog.reader import StoredEvent
from services.readmodels.batches import apply_in_transaction
from services.readmodels.database import create_read_model_engine, deferred_durability
from services.readmodels.projection import Projection, WrittenKeys

# From this many events on, a rebuild writes in a second process: below it, the process's start
# (about a second) costs more than it saves.
WRITER_PROCESS_FROM = 50_000

# What crosses to the worker per event: a tuple pickles at a third of a dataclass's cost.
EventFields = tuple[int, str, str, str, int, bytes, int]


class WriterFailed(Exception):
    """The worker process refused or lost a batch; the text says which and why."""


def can_write_beside(engine: Engine, projection: Projection) -> bool:
    """A second process can open this database and find this projection by importing it."""
    url = make_url(engine.url)
    in_memory = url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:")
    return not in_memory and projection.import_path() is not None


class RebuildWriter:
    """Batches go in by `submit` (at most `in_flight` waiting); `finish` waits for all of them."""

    def __init__(self, engine: Engine, projection: Projection, table_suffix: str,
                 checkpoint_name: str, written_keys_limit: int, in_flight: int = 8) -> None:
        self.in_flight = in_flight
        self.pending: deque[asyncio.Future[int]] = deque()
        url = make_url(engine.url).render_as_string(hide_password=False)
        self.executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(url, projection, table_suffix, checkpoint_name, written_keys_limit))
        self.executor.submit(_ready)  # the process starts now, not at the first batch

    async def submit(self, batch: Sequence[StoredEvent]) -> None:
        fields = [(e.seq, e.event_id, e.subject, e.type, e.version, e.data, e.stored_ns) for e in batch]
        self.pending.append(self._run(_apply_batch, fields))
        while len(self.pending) > self.in_flight:
            await self._done(self.pending.popleft())

    async def finish(self) -> None:
        while self.pending:
            await self._done(self.pending.popleft())
        await self._done(self._run(_stop_worker))

    def _run(self, function, *args) -> asyncio.Future:
        try:
            return asyncio.wrap_future(self.executor.submit(function, *args))
        except BrokenProcessPool as error:
            raise WriterFailed(f"the rebuild's writer process is gone: {error}") from None

    @staticmethod
    async def _done(future: asyncio.Future) -> None:
        try:
            await future
        except BrokenProcessPool as error:  # killed, or out of memory
            raise WriterFailed(f"the rebuild's writer process is gone: {error}") from None

    async def close(self) -> None:
        for future in self.pending:
            future.cancel()
        # The pool's own queue to the worker (private): after a worker died in the middle of a batch,
        # its feeder thread can stay blocked on the pipe, and interpreter exit would wait for it.
        call_queue = getattr(self.executor, "_call_queue", None)
        await asyncio.to_thread(self.executor.shutdown, wait=True, cancel_futures=True)
        if call_queue is not None:
            call_queue.cancel_join_thread()


@dataclass
class _Worker:
    resources: ExitStack
    conn: Connection
    projection: Projection
    tables: dict[str, Table]
    checkpoint_name: str
    written: WrittenKeys
    failed: str | None = None


_worker: _Worker | None = None  # the worker process's own state, made by _start_worker


def _start_worker(url: str, projection: Projection, table_suffix: str, checkpoint_name: str,
                  written_keys_limit: int) -> None:
    global _worker
    # As in the rebuild's own process (rebuild.py, `without_cycle_collection`): each batch's events
    # and rows live until its commit, and the collector rescanned them, about half the worker's CPU.
    gc.freeze()
    gc.disable()
    resources = ExitStack()
    engine = create_read_model_engine(url)
    resources.callback(engine.dispose)
    conn = resources.enter_context(engine.connect())
    resources.enter_context(deferred_durability(conn))
    _worker = _Worker(resources, conn, projection, projection.tables(table_suffix), checkpoint_name,
                      WrittenKeys(written_keys_limit))


def _ready() -> None:
    pass


def _apply_batch(fields: list[EventFields]) -> int:
    worker = _worker
    assert worker is not None
    if worker.failed:
        raise WriterFailed(f"an earlier batch failed ({worker.failed}): refusing to write after a gap")
    events = [StoredEvent(seq, event_id, subject, type_, version, data, stored_ns)
              for seq, event_id, subject, type_, version, data, stored_ns in fields]
    try:
        with worker.conn.begin():
            apply_in_transaction(worker.conn, worker.projection, worker.tables, worker.checkpoint_name, events,
                                 written=worker.written)
    except Exception as error:  # sent back as text: a driver's exception may not survive pickling
        worker.failed = f"{type(error).__name__} at sequence {events[0].seq}..{events[-1].seq}: {error}"
        raise WriterFailed(worker.failed) from None
    return len(events)


def _stop_worker() -> None:
    if _worker is not None:
        _worker.resources.close()
    gc.unfreeze()
    gc.enable()
