"""What a rebuild does to go fast must not change what it builds, nor leave the connection relaxed."""

import gc
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, select

from contracts import DashboardRequested
from services.gateway.generation.projections import generation_status
from services.readmodels.database import deferred_durability
from services.readmodels.projection import Projection, WrittenKeys
from services.readmodels.rebuild import Rebuild
from services.readmodels.types import UtcDateTime
from services.readmodels.upsert import upsert_rows
from tests.factories import many_generations
from tests.readmodels.running import all_rows, caught_up, running


def durability(engine: Engine, conn=None) -> str:
    query = "PRAGMA synchronous" if engine.dialect.name == "sqlite" else "SHOW synchronous_commit"
    if conn is not None:
        return str(conn.exec_driver_sql(query).scalar())
    with engine.connect() as fresh:
        return str(fresh.exec_driver_sql(query).scalar())


def test_deferred_durability_holds_inside_only_and_is_restored_after_an_error(engine):
    full, relaxed = ("2", "1") if engine.dialect.name == "sqlite" else ("on", "off")
    with engine.connect() as conn:
        assert durability(engine, conn) == full
        with pytest.raises(RuntimeError), deferred_durability(conn):
            assert durability(engine, conn) == relaxed
            raise RuntimeError("a batch failed")
        assert durability(engine, conn) == full
    assert durability(engine) == full


async def test_a_rebuild_leaves_every_pooled_connection_durable_and_the_collector_on(js, store, engine):
    await store.append_many(many_generations(20))
    full = "2" if engine.dialect.name == "sqlite" else "on"
    seen_during: list[bool] = []
    probe = Projection("probe", Table("probe", MetaData(), Column("generation_id", String, primary_key=True)))

    @probe.on(DashboardRequested)
    def _requested(event, rows):
        seen_during.append(gc.isenabled())
        rows["probe"].put({"generation_id": event.aggregate_id})

    await Rebuild(store.reader, engine, probe, batch_size=7).run()
    assert seen_during and not any(seen_during)  # paused while replaying...
    assert gc.isenabled()  # ...and on again after
    assert durability(engine) == full


async def test_rows_written_in_earlier_batches_are_found_past_the_written_keys_limit(js, store, engine):
    """Batches of 3 split every generation's 7 events; a key wrongly taken as never written loses
    its later updates, and with a limit of 5 keys the sets overflow and every miss is read."""
    await store.append_many(many_generations(30))
    async with running(js, engine, generation_status, batch_size=50):
        await caught_up(engine, generation_status, 210)
    live = all_rows(engine, generation_status)
    for limit in (1_000_000, 5):
        rebuild = Rebuild(store.reader, engine, generation_status, batch_size=3, written_keys_limit=limit)
        report = await rebuild.run()
        assert report.matches_live is True
        assert all_rows(engine, generation_status) == live
    assert "generations__rebuild" in rebuild.written.overflowed


def test_written_keys_answer_only_for_keys_they_hold_until_they_overflow():
    written = WrittenKeys(limit=2)
    assert written.never_written("t", "a")
    written.add("t", ["a", ("p", "x")])
    assert not written.never_written("t", "a") and not written.never_written("t", ("p", "x"))
    assert written.never_written("t", "b") and written.never_written("other", "a")
    written.add("t", ["b"])  # past the limit: it no longer knows
    assert not written.never_written("t", "zzz")


def test_upserted_values_go_through_the_column_types_and_replace_by_key(engine):
    table = Table("upsert_probe", MetaData(), Column("id", String(20), primary_key=True),
                  Column("count", Integer), Column("at", UtcDateTime()), Column("naive", DateTime))
    table.create(engine)
    paris = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        upsert_rows(conn, table, [
            {"id": "a", "count": 1, "at": datetime(2026, 1, 2, 13, 0, tzinfo=paris), "naive": datetime(2026, 1, 2)},
            {"id": "b", "count": None, "at": None, "naive": None}])
        upsert_rows(conn, table, [{"id": "a", "count": 2, "at": datetime(2026, 1, 3, tzinfo=UTC), "naive": None}])
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
    assert rows == [("a", 2, datetime(2026, 1, 3, tzinfo=UTC), None), ("b", None, None, None)]
    with engine.begin() as conn:
        upsert_rows(conn, table, [{"id": "c", "count": 1, "at": datetime(2026, 1, 2, 12, 0, tzinfo=paris),
                                   "naive": datetime(2026, 1, 2, 8, 30)}])
    with engine.connect() as conn:
        at, naive = conn.execute(select(table.c.at, table.c.naive).where(table.c.id == "c")).one()
    assert at == datetime(2026, 1, 2, 11, 0, tzinfo=UTC) and naive == datetime(2026, 1, 2, 8, 30)
    with pytest.raises(ValueError, match="naive datetime"), engine.begin() as conn:
        upsert_rows(conn, table, [{"id": "d", "count": 1, "at": datetime(2026, 1, 2), "naive": None}])
