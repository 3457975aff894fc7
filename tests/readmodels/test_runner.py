"""The live runner, against SQLite and PostgreSQL alike."""

import asyncio

import pytest
from sqlalchemy import select

from services.gateway.dashboards.models import dashboards
from services.gateway.generation.models import generations
from services.gateway.generation.projections import generation_status
from services.readmodels.batches import LeaseLost, apply_batch
from services.readmodels.checkpoints import ProjectionLease, read_checkpoint
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.runner import create_read_model_tables
from tests.factories import generation_lifecycle, many_generations, new_id
from tests.readmodels.running import all_rows, caught_up, running


async def test_the_runner_builds_the_read_model_from_the_log(js, store, engine):
    done, failed = new_id(), new_id()
    await store.append_many(generation_lifecycle(done) + generation_lifecycle(failed, fail=True))
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, 14)
    with engine.connect() as conn:
        rows = {r.generation_id: r for r in conn.execute(select(generations))}
        assert rows[done].status == "completed" and rows[done].percent == 100
        assert rows[done].dashboard_id == f"dsh_{done}"
        assert rows[failed].status == "failed" and rows[failed].error_code == "EMPTY_FILE"
        assert rows[failed].stage == "rendering" and rows[failed].percent == 90
        assert [r.dashboard_id for r in conn.execute(select(dashboards))] == [f"dsh_{done}"]


async def test_events_appended_while_running_are_applied_and_readable_after_the_wait(js, store, engine):
    async with running(js, engine, generation_status):
        generation_id = new_id()
        seq = (await store.append_many(generation_lifecycle(generation_id)))[-1]
        assert await wait_for_checkpoint(engine, "generations", seq, timeout=10)
        with engine.connect() as conn:
            status = conn.execute(select(generations.c.status).where(
                generations.c.generation_id == generation_id)).scalar_one()
        assert status == "completed"


async def test_read_your_writes_gives_up_after_its_bound(engine):
    create_read_model_tables(engine, generation_status)
    started = asyncio.get_running_loop().time()
    assert await wait_for_checkpoint(engine, "generations", 5, timeout=0.2) is False
    assert asyncio.get_running_loop().time() - started < 5


async def test_a_restarted_runner_resumes_from_its_sql_checkpoint(js, store, engine):
    await store.append_many(many_generations(20))
    async with running(js, engine, generation_status, batch_size=7):
        await caught_up(engine, generation_status, 140)
    first = all_rows(engine, generation_status)
    await store.append_many(many_generations(5, prefix="later"))
    async with running(js, engine, generation_status, batch_size=7):
        await caught_up(engine, generation_status, 175)
    second = all_rows(engine, generation_status)
    assert len(second["generations"]) == 25
    assert set(first["generations"]) <= set(second["generations"])


async def test_a_stopped_runner_ends_at_once_though_its_fetch_would_wait_an_hour(js, store, engine):
    """Stopping cancels the fetch waiting on an idle stream (running() gives the runner 15 s to end)."""
    seq = (await store.append_many(generation_lifecycle(new_id())))[-1]
    async with running(js, engine, generation_status, idle_seconds=3600):
        await caught_up(engine, generation_status, seq)
        await asyncio.sleep(0.2)  # let it enter the next, idle fetch
    assert len(all_rows(engine, generation_status)["generations"]) == 1


async def test_events_at_or_below_the_checkpoint_are_skipped(js, store, engine):
    """A redelivered batch (crash between commit and ack) changes nothing."""
    create_read_model_tables(engine, generation_status)
    await store.append_many(generation_lifecycle(new_id()))
    batch = [e async for b in store.reader.batches() for e in b]
    tables = generation_status.tables()
    assert apply_batch(engine, generation_status, tables, "generations", batch[:4]) == 4
    before = all_rows(engine, generation_status)
    assert apply_batch(engine, generation_status, tables, "generations", batch[:4]) == 4
    assert all_rows(engine, generation_status) == before
    assert apply_batch(engine, generation_status, tables, "generations", batch) == 7
    assert all_rows(engine, generation_status)["generations"][0][2] == "completed"


async def test_a_writer_without_the_lease_cannot_commit(js, store, engine):
    create_read_model_tables(engine, generation_status)
    await store.append_many(generation_lifecycle(new_id()))
    batch = [e async for b in store.reader.batches() for e in b]
    holder, intruder = ProjectionLease("generations", "a"), ProjectionLease("generations", "b")
    with engine.begin() as conn:
        assert holder.try_acquire(conn)
        assert not intruder.try_acquire(conn)
    with pytest.raises(LeaseLost):
        apply_batch(engine, generation_status, generation_status.tables(), "generations", batch, intruder)
    with engine.connect() as conn:
        assert read_checkpoint(conn, "generations") == 0
    with engine.begin() as conn:
        intruder.take_over(conn)
        assert not holder.fence(conn)


async def test_two_runners_share_one_projection_without_applying_twice(js, store, engine):
    """Replicas of a service: one holds the lease, the other waits; the result is the log's."""
    await store.append_many(many_generations(30))
    async with running(js, engine, generation_status, owner="replica-1", batch_size=10), \
            running(js, engine, generation_status, owner="replica-2", batch_size=10):
        await caught_up(engine, generation_status, 210)
        await store.append_many(many_generations(10, prefix="more"))
        await caught_up(engine, generation_status, 280)
    assert len(all_rows(engine, generation_status)["generations"]) == 40


@pytest.mark.own_nats_server
async def test_a_live_runner_keeps_up_after_the_nats_server_restarts(nats_server, js, store, engine):
    """Killed like a power cut and started again on its store: the durable consumer resumes."""
    await store.append_many(generation_lifecycle(new_id()))
    async with running(js, engine, generation_status, stall_after=1.0):
        await caught_up(engine, generation_status, 7)
        nats_server.kill()
        await asyncio.sleep(1)
        nats_server.start()
        later = new_id()
        seq = (await store.append_many(generation_lifecycle(later)))[-1]
        await caught_up(engine, generation_status, seq)
    with engine.connect() as conn:
        assert conn.execute(select(generations.c.status).where(generations.c.generation_id == later)).scalar_one() \
            == "completed"


async def test_a_batch_whose_commit_landed_but_answered_an_error_is_not_applied_again(js, store, engine, monkeypatch):
    """The connection drops during COMMIT after the database committed: the runner applies the batch
    event by event, and must read its checkpoint again rather than trust the one it held."""
    from services.readmodels import runner as runner_module
    from tests.readmodels.projection_process import event_counts

    committed_then_failed = []

    def apply_then_fail_once(*args, **kwargs):
        checkpoint = apply_batch(*args, **kwargs)
        if not committed_then_failed:
            committed_then_failed.append(checkpoint)
            raise ConnectionError("the answer to COMMIT was lost")
        return checkpoint

    monkeypatch.setattr(runner_module, "apply_batch", apply_then_fail_once)
    await store.append_many(generation_lifecycle(new_id()))
    async with running(js, engine, event_counts):
        await caught_up(engine, event_counts, 7)
    assert committed_then_failed
    with engine.connect() as conn:
        counts = dict(conn.execute(select(event_counts.tables()["event_counts"])).all())
    assert sum(counts.values()) == 7, counts  # each event counted once
