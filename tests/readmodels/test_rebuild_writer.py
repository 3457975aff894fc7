"""A rebuild whose decoding and writing run in a second process (services/readmodels/rebuild_writer.py)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal

import psutil
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect

from contracts import DashboardRequested
from services.eventlog.reader import StoredEvent
from services.gateway.generation.projections import generation_status
from services.readmodels import rebuild_writer
from services.readmodels.checkpoints import bookkeeping, read_checkpoint
from services.readmodels.database import create_read_model_engine, create_tables
from services.readmodels.projection import Projection, Rows
from services.readmodels.rebuild import Rebuild, RebuildFailed
from services.readmodels.runner import create_read_model_tables
from tests.factories import many_generations
from tests.readmodels.running import all_rows, caught_up, running

# Not idempotent on purpose: a batch applied twice, or one skipped, changes the counts.
requests_counted = Projection("requests_counted", Table(
    "requests_counted", MetaData(), Column("project_id", String, primary_key=True),
    Column("requested", Integer, nullable=False), Column("last_generation", String)))


@requests_counted.on(DashboardRequested)
def _count(event: DashboardRequested, rows: Rows) -> None:
    if event.aggregate_id == os.environ.get("DASHLOOM_TEST_POISONED_GENERATION"):
        raise ValueError(f"poisoned: {event.aggregate_id}")
    table = rows["requests_counted"]
    counted = table.get(event.project_id)
    if counted is None:
        table.put({"project_id": event.project_id, "requested": 1, "last_generation": event.aggregate_id})
    else:
        table.update(event.project_id, requested=counted["requested"] + 1, last_generation=event.aggregate_id)


def writer_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # gone, or a zombie, since it was listed
            pass
    return found


async def test_a_rebuild_written_beside_equals_the_live_projection_row_for_row(js, store, engine):
    await store.append_many(many_generations(300))
    async with running(js, engine, generation_status, batch_size=64):
        await caught_up(engine, generation_status, 2100)
    live = all_rows(engine, generation_status)
    report = await Rebuild(store.reader, engine, generation_status, batch_size=100, writer_process_from=0).run()
    assert report.written_beside and report.events_read == 2100 and report.matches_live is True
    assert report.rows == {"generations": 300, "dashboards": 240, "dashboard_versions": 240, "tenants": 0}
    assert all_rows(engine, generation_status) == live
    assert not writer_children()


async def test_a_counter_rebuilt_beside_counts_every_event_once(js, store, engine):
    """Batches handed over while the next ones are read: none lost, none applied twice, in order."""
    events = list(many_generations(500))
    requested = [e for e in events if isinstance(e, DashboardRequested)]
    expected = {project: (sum(1 for e in requested if e.project_id == project),
                          [e.aggregate_id for e in requested if e.project_id == project][-1])
                for project in {e.project_id for e in requested}}
    await store.append_many(events)
    create_read_model_tables(engine, requests_counted)
    report = await Rebuild(store.reader, engine, requests_counted, batch_size=37, writer_process_from=0).run()
    assert report.written_beside and report.events_read == 3500
    counted = all_rows(engine, requests_counted)["requests_counted"]
    assert {project: (requested, last) for project, requested, last in counted} == expected


async def test_a_failing_batch_fails_the_rebuild_and_leaves_the_live_tables(js, store, engine, monkeypatch):
    await store.append_many(many_generations(300))
    async with running(js, engine, requests_counted):
        await caught_up(engine, requests_counted, 2100)
    live = all_rows(engine, requests_counted)
    monkeypatch.setenv("DASHLOOM_TEST_POISONED_GENERATION", "g120")  # the worker inherits it
    with pytest.raises(RebuildFailed, match="poisoned: g120"):
        await Rebuild(store.reader, engine, requests_counted, batch_size=50, writer_process_from=0).run()
    assert all_rows(engine, requests_counted) == live
    with engine.connect() as conn:
        assert read_checkpoint(conn, "requests_counted") == 2100
    monkeypatch.delenv("DASHLOOM_TEST_POISONED_GENERATION")
    report = await Rebuild(store.reader, engine, requests_counted, batch_size=50, writer_process_from=0).run()
    assert report.matches_live is True and all_rows(engine, requests_counted) == live
    assert not writer_children()


@pytest.mark.timeout(120)
async def test_a_writer_killed_mid_rebuild_fails_it_and_a_new_rebuild_completes(js, store, engine):
    await store.append_many(many_generations(3000))
    async with running(js, engine, generation_status, batch_size=500):
        await caught_up(engine, generation_status, 21000)
    live = all_rows(engine, generation_status)
    killed: list[int] = []

    def kill_the_writer_midway(done: int, total: int) -> None:
        if done >= 5000 and not killed:
            killed.extend(child.pid for child in writer_children())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(RebuildFailed, match="writer process is gone"):
        await asyncio.wait_for(Rebuild(store.reader, engine, generation_status, batch_size=200,
                                       writer_process_from=0).run(progress=kill_the_writer_midway), 60)
    assert len(killed) == 1 and all_rows(engine, generation_status) == live
    report = await Rebuild(store.reader, engine, generation_status, batch_size=500, writer_process_from=0).run()
    assert report.matches_live is True and report.events_read == 21000
    with engine.connect() as conn:
        assert not [t for t in inspect(conn).get_table_names() if t.endswith("__rebuild")]


def test_after_a_failed_batch_the_worker_refuses_every_later_one(tmp_path, monkeypatch):
    """No batch is applied after a gap: the checkpoint stays before the batch that failed."""
    engine = create_read_model_engine(f"sqlite:///{tmp_path / 'worker.db'}")
    create_tables(engine, [*bookkeeping.sorted_tables, *requests_counted.tables("__w").values()])
    events = [StoredEvent(n, str(n), f"events.generation.{e.aggregate_id}", e.type, 2, e.model_dump_json().encode(), 0)
              for n, e in enumerate(many_generations(30), start=1) if e.type == "DashboardRequested"]
    fields = [(e.seq, e.event_id, e.subject, e.type, e.version, e.data, e.stored_ns) for e in events]
    monkeypatch.setenv("DASHLOOM_TEST_POISONED_GENERATION", "g10")
    rebuild_writer._start_worker(str(engine.url), requests_counted, "__w", "checkpoint__w", 1000)
    try:
        assert rebuild_writer._apply_batch(fields[:10]) == 10
        with pytest.raises(rebuild_writer.WriterFailed, match="poisoned: g10"):
            rebuild_writer._apply_batch(fields[10:20])
        monkeypatch.delenv("DASHLOOM_TEST_POISONED_GENERATION")
        with pytest.raises(rebuild_writer.WriterFailed, match="refusing to write after a gap"):
            rebuild_writer._apply_batch(fields[20:])
    finally:
        rebuild_writer._stop_worker()
        rebuild_writer._worker = None
    with engine.connect() as conn:
        assert read_checkpoint(conn, "checkpoint__w") == events[9].seq
    engine.dispose()


def test_the_worker_writes_without_the_cycle_collector_and_gives_it_back(tmp_path):
    """Each batch's events and rows live until its commit: the collector rescanned them (half the
    worker's CPU, bench/replay.py). Off from the worker's start, what it imported frozen; on again at its stop."""
    engine = create_read_model_engine(f"sqlite:///{tmp_path / 'worker.db'}")
    create_tables(engine, bookkeeping.sorted_tables)
    assert gc.isenabled()
    rebuild_writer._start_worker(str(engine.url), requests_counted, "__w", "checkpoint__w", 1000)
    try:
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        rebuild_writer._stop_worker()
        rebuild_writer._worker = None
    assert gc.isenabled() and gc.get_freeze_count() == 0
    engine.dispose()


async def test_a_reader_that_waits_between_batches_holds_at_most_its_backlog(store):
    """While the caller is busy the reading goes on, up to `backlog` events; the server holds the rest."""
    await store.append_many(many_generations(300))
    sizes, seqs = [], []
    async for batch in store.reader.ordered_batches(end_seq=2100, batch_size=50, backlog=200):
        sizes.append(len(batch))
        seqs.extend(e.seq for e in batch)
        await asyncio.sleep(0.05)  # a writer's turn: thousands of events would arrive meanwhile
    assert seqs == list(range(1, 2101))
    assert max(sizes) <= 200 and max(sizes) > 50
