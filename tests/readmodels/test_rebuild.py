"""Rebuilding read models from the log, beside the live ones, then swapping them in."""

import asyncio
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import Column, MetaData, String, Table, inspect

from contracts import DashboardRequested
from services.gateway.generation.projections import generation_status
from services.readmodels.batches import apply_batch
from services.readmodels.checkpoints import read_checkpoint
from services.readmodels.database import create_read_model_engine
from services.readmodels.projection import Projection
from services.readmodels.rebuild import PartialRebuildRefused, Rebuild
from services.readmodels.runner import create_read_model_tables
from tests.contracts.test_upcasting import v1_dashboard_requested
from tests.factories import many_generations
from tests.readmodels.running import all_rows, caught_up, running


async def test_a_rebuild_equals_the_live_projection_row_for_row(js, store, engine):
    await store.append_many(many_generations(200))
    async with running(js, engine, generation_status, batch_size=64):
        await caught_up(engine, generation_status, 1400)
    live = all_rows(engine, generation_status)
    report = await Rebuild(store.reader, engine, generation_status, batch_size=100).run()
    assert report.final_seq == 1400 and report.events_read == 1400
    assert report.matches_live is True
    assert report.rows == {"generations": 200, "dashboards": 160, "dashboard_versions": 160, "tenants": 0}
    assert all_rows(engine, generation_status) == live
    with engine.connect() as conn:
        assert read_checkpoint(conn, "generations") == 1400
        assert read_checkpoint(conn, "generations__rebuild") == 0
        assert not [t for t in inspect(conn).get_table_names() if t.endswith("__rebuild")]


async def test_rebuilding_twice_reuses_the_names_cleanly(js, store, engine):
    await store.append_many(many_generations(10))
    create_read_model_tables(engine, generation_status)
    for _ in range(3):
        report = await Rebuild(store.reader, engine, generation_status).run()
        assert report.rows["generations"] == 10
    with engine.connect() as conn:
        indexes = {i["name"] for i in inspect(conn).get_indexes("generations")}
    assert indexes == {"ix_generations_project_id", "ix_generations_idempotency_key"}


async def test_a_rebuild_while_serving_and_writing_ends_equal_to_the_log(js, store, engine, tmp_path):
    await store.append_many(many_generations(300))
    async with running(js, engine, generation_status, batch_size=50, lease_ttl=3.0) as live:
        await caught_up(engine, generation_status, 2100)

        async def keep_writing():
            for round_ in range(10):
                await store.append_many(many_generations(5, prefix=f"during{round_}-"))
                await asyncio.sleep(0.05)

        writer = asyncio.create_task(keep_writing())
        report = await Rebuild(store.reader, engine, generation_status, batch_size=200).run()
        await writer
        assert report.final_seq >= report.captured_seq >= 2100
        await store.append_many(many_generations(5, prefix="after"))  # only the live runner is left
        await caught_up(engine, generation_status, 2485)
        for _ in range(100):
            if live.checkpoint == 2485:
                break
            await asyncio.sleep(0.05)
        assert live.checkpoint == 2485
    reference = create_read_model_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    create_read_model_tables(reference, generation_status)
    apply_batch(reference, generation_status, generation_status.tables(), "generations",
                [e async for b in store.reader.batches() for e in b])
    assert all_rows(engine, generation_status) == all_rows(reference, generation_status)


async def test_a_rebuild_has_no_side_effects_on_the_log(js, store, engine):
    await store.append_many(many_generations(50))
    before = await js.stream_info("EVENTS")
    await Rebuild(store.reader, engine, generation_status).run()
    after = await js.stream_info("EVENTS")
    assert after.state.last_seq == before.state.last_seq
    assert after.state.consumer_count == 0  # its reading consumers are gone too


async def test_a_rebuild_from_a_sequence_is_refused_when_it_would_lose_rows(js, store, engine):
    await store.append_many(many_generations(10, prefix="old"))
    async with running(js, engine, generation_status, batch_size=50):
        await caught_up(engine, generation_status, 70)
    live = all_rows(engine, generation_status)
    for start in [{"start_seq": 71}, {"start_time": datetime.now(UTC)}]:
        with pytest.raises(PartialRebuildRefused, match="rebuild it from the start"):
            await Rebuild(store.reader, engine, generation_status).run(**start)
    assert all_rows(engine, generation_status) == live


async def test_a_projection_safe_for_a_partial_rebuild_is_rebuilt_from_a_sequence(js, store, engine):
    recent = Projection("recent_generations", Table("recent_generations", MetaData(),
                                                    Column("generation_id", String, primary_key=True)),
                        partial_rebuild_safe=True)

    @recent.on(DashboardRequested)
    def _requested(event, rows):
        rows["recent_generations"].put({"generation_id": event.aggregate_id})

    await store.append_many(many_generations(10, prefix="old"))
    await store.append_many(many_generations(4, prefix="new"))
    report = await Rebuild(store.reader, engine, recent).run(start_seq=71)
    assert report.events_read == 28
    assert {row[0] for row in all_rows(engine, recent)["recent_generations"]} == {f"new{i}" for i in range(4)}


async def test_old_event_versions_replay_through_the_current_projection(js, store, engine):
    old = v1_dashboard_requested()
    await js.publish("events.generation.g1", orjson.dumps(old), headers={"Nats-Msg-Id": old["event_id"]})
    await Rebuild(store.reader, engine, generation_status).run()
    [row] = all_rows(engine, generation_status)["generations"]
    assert row[0] == "g1" and row[2] == "processing" and row[7] == 42
