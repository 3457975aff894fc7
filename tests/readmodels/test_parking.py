"""A projection that cannot apply an event parks it and goes on; nothing stops the read model."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import Column, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from contracts import DashboardRequested, GenerationCompleted
from services.eventlog.reader import EventReader
from services.gateway.generation.models import generations
from services.gateway.generation.projections import generation_status
from services.gateway.integrations.models import data_sources
from services.gateway.integrations.projections import integrations
from services.gateway.metrics.models import metric_points
from services.gateway.metrics.projections import metrics
from services.readmodels.batches import park_event
from services.readmodels.checkpoints import parked_events, read_checkpoint
from services.readmodels.parking import retry_parked
from services.readmodels.projection import Projection
from services.readmodels.rebuild import Rebuild, RebuildFailed
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from tests.factories import SHA, generation_lifecycle, requested
from tests.platform.test_cli import dashloom
from tests.readmodels.running import caught_up, running

HUGE = 3 * 1024 ** 3  # more than a 4-byte integer holds


def oversized_request(generation_id: str, project_id: str) -> DashboardRequested:
    return DashboardRequested(project_id=project_id, aggregate_id=generation_id, payload={
        "upload": {"name": f"uploads/{generation_id}", "sha256": SHA, "size": HUGE},
        "file_format": "csv", "title": "T" * 600, "idempotency_key": "k" * 250,
        "tenant_id": "t" * 300, "workspace_id": "w" * 300})


async def test_values_longer_than_any_old_column_are_projected_and_later_projects_go_on(js, store, engine):
    """The attack of issue 11 §1: on PostgreSQL this stopped every project's read model."""
    first = oversized_request("big", "p-attacker")
    completed = first.caused(GenerationCompleted, payload={
        "dashboard_id": "dsh_big", "title": "T" * 600, "card_count": 3,
        "spec": {"name": "specs/big.json", "sha256": SHA, "size": 10},
        "metrics": [{"metric_id": "d-big." + "c" * 206, "name": "c" * 206, "aggregation": "sum",
                     "points": [{"date": "2024-01-01", "value": 1.0}]}]})
    await store.append(first)
    await store.append(completed)
    last = (await store.append_many(generation_lifecycle("victim", project_id="p-victim")))
    last_seq = await store.last_sequence()
    async with running(js, engine, generation_status), running(js, engine, metrics, owner="m"), \
            running(js, engine, integrations, owner="i"):
        for projection in (generation_status, metrics, integrations):
            await caught_up(engine, projection, last_seq, timeout=15)
    with engine.connect() as conn:
        big = conn.execute(select(generations).where(generations.c.generation_id == "big")).one()
        assert (len(big.title), big.upload_size, len(big.idempotency_key)) == (600, HUGE, 250)
        victim = conn.execute(select(generations).where(generations.c.generation_id == "victim")).one()
        assert victim.status == "completed"
        assert conn.execute(select(data_sources.c.bytes).where(data_sources.c.project_id == "p-attacker")).scalar() == HUGE
        assert len(conn.execute(select(metric_points.c.name)).scalar()) == 206
        assert conn.execute(select(parked_events)).all() == []
    assert last


poison = Projection("poison_test", Table("poison_rows", MetaData(), Column("id", String(64), primary_key=True),
                                         Column("title", Text)))
REFUSED = {"poison"}


@poison.on(DashboardRequested)
def _poison_requested(event: DashboardRequested, rows) -> None:
    if event.payload.title in REFUSED:
        raise ValueError(f"cannot apply {event.payload.title}")
    rows["poison_rows"].put({"id": event.aggregate_id, "title": event.payload.title})


def poison_rows(engine) -> list[str]:
    with engine.connect() as conn:
        return [r.id for r in conn.execute(select(poison.tables()["poison_rows"]).order_by("id"))]


async def test_an_event_that_cannot_be_applied_is_parked_and_the_rest_goes_on(js, store, engine, caplog):
    seqs = [await store.append(requested(name, title="poison" if name == "g2" else "fine"))
            for name in ("g1", "g2", "g3", "g4")]
    caplog.set_level(logging.INFO)
    async with running(js, engine, poison, batch_size=10):
        await caught_up(engine, poison, seqs[-1], timeout=15)
    assert poison_rows(engine) == ["g1", "g3", "g4"]
    with engine.connect() as conn:
        parked = conn.execute(select(parked_events)).all()
    assert [(p.projection, p.seq, p.event_type, p.error_class) for p in parked] == [
        ("poison_test", seqs[1], "DashboardRequested", "ValueError")]
    assert parked[0].event_id and "cannot apply poison" in parked[0].message
    said = [r.getMessage() for r in caplog.records if "parked" in r.getMessage()]
    assert len(said) == 1 and parked[0].event_id in said[0] and "ValueError" in said[0]
    last = (await js.stream_info("EVENTS")).state.last_seq
    announced = [e.event async for batch in EventReader(js).batches(start_seq=1, end_seq=last) for e in batch
                 if e.type == "ProjectionEventParked"]
    assert [(a.aggregate_id, a.payload.seq, a.payload.parked_event_id, a.payload.error_class) for a in announced] == [
        ("poison_test", seqs[1], parked[0].event_id, "ValueError")]


async def test_a_parked_event_is_applied_when_retried_after_the_fix(js, store, engine):
    seqs = [await store.append(requested(name, title="poison" if name == "g2" else "fine"))
            for name in ("g1", "g2", "g3")]
    async with running(js, engine, poison):
        await caught_up(engine, poison, seqs[-1], timeout=15)
    still_broken = await retry_parked(js, engine, {"poison_test": poison})
    assert [(r.seq, r.applied) for r in still_broken] == [(seqs[1], False)]
    REFUSED.clear()
    try:
        fixed = await retry_parked(js, engine, {"poison_test": poison})
    finally:
        REFUSED.add("poison")
    assert [(r.seq, r.applied) for r in fixed] == [(seqs[1], True)]
    assert poison_rows(engine) == ["g1", "g2", "g3"]
    with engine.connect() as conn:
        assert conn.execute(select(parked_events)).all() == []


async def test_sql_parameters_never_reach_the_log(js, store, engine, caplog):
    """A value the database refuses (on PostgreSQL, text longer than its column); its text stays out of the log."""
    secret = "secret-format-of-another-project"
    create_read_model_tables(engine, generation_status)
    refused = requested("long")
    refused.payload.file_format = secret  # file_format is a String(16) column
    seq = await store.append(refused)
    after = await store.append(requested("next", title="ok"))
    caplog.set_level(logging.DEBUG)
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, after, timeout=15)
    assert "secret-format" not in caplog.text
    with engine.connect() as conn:
        parked = [(p.seq, p.error_class) for p in conn.execute(select(parked_events))]
        assert conn.execute(select(generations.c.title).where(generations.c.generation_id == "next")).scalar() == "ok"
    if engine.dialect.name == "postgresql":
        assert parked == [(seq, "DataError")]
    else:
        assert parked == []


async def test_an_empty_fetch_is_not_a_failed_batch(js, store, engine, caplog, monkeypatch):
    """nats-py can answer a fetch with no messages; the runner took msgs[-1] and stalled a second."""
    real_pull_subscribe = js.pull_subscribe

    async def pull_subscribe_answering_empty_first(*args, **kwargs):
        subscription = await real_pull_subscribe(*args, **kwargs)
        real_fetch, calls = subscription.fetch, []

        async def fetch(*a, **k):
            calls.append(1)
            return [] if len(calls) == 1 else await real_fetch(*a, **k)

        subscription.fetch = fetch
        return subscription

    monkeypatch.setattr(js, "pull_subscribe", pull_subscribe_answering_empty_first)
    caplog.set_level(logging.INFO)
    seq = await store.append(requested("g1"))
    async with running(js, engine, poison) as runner:
        await caught_up(engine, poison, seq, timeout=15)
        assert runner.last_error is None
    assert not [r for r in caplog.records if "failed" in r.getMessage()]
    await asyncio.sleep(0)


async def test_the_cli_lists_parked_events_and_retries_them(nats_server, js, store, engine, database_url):
    create_read_model_tables(engine, generation_status)
    seq = await store.append(requested("g1"))
    park_event(engine, generation_status, "generations", await _one_stored(js, seq), ValueError("refused"))
    listed = dashloom("replay", "parked", nats_url=nats_server.url, database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert "generations" in listed.stdout and "ValueError" in listed.stdout and str(seq) in listed.stdout
    retried = dashloom("replay", "parked", "--retry", nats_url=nats_server.url, database_url=database_url)
    assert retried.returncode == 0, retried.stderr
    assert "1 of 1 parked events applied" in retried.stderr
    with engine.connect() as conn:
        assert conn.execute(select(parked_events)).all() == []
        assert conn.execute(select(generations.c.title).where(generations.c.generation_id == "g1")).scalar() == "Sales"


async def _one_stored(js, seq):
    async for batch in EventReader(js).batches(start_seq=seq, end_seq=seq):
        return batch[0]


def test_a_failed_statement_never_shows_its_parameters(engine):
    """hide_parameters on every read-model engine: an error's text carries no row values into a log."""
    table = Table("secrets_test", MetaData(), Column("id", String(64), primary_key=True), Column("note", Text))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": "k1", "note": "first"}])
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        conn.execute(table.insert(), [{"id": "k1", "note": "secret-value-of-another-project"}])
    assert "secret-value" not in str(refused.value)


async def test_nothing_is_parked_while_the_database_does_not_answer(js, store, engine, monkeypatch):
    """A failure with the database away is everyone's, not the event's: retry, never park."""
    answers = {"now": False}
    monkeypatch.setattr(ProjectionRunner, "_database_answers", lambda self: answers["now"])
    seq = await store.append(requested("g1", title="poison"))
    async with running(js, engine, poison, retry_delay=0.01) as runner:
        await asyncio.sleep(2.5)
        with engine.connect() as conn:
            assert conn.execute(select(parked_events)).all() == []
            assert read_checkpoint(conn, "poison_test") == 0
        assert runner.last_error == "ValueError"
        answers["now"] = True
        await caught_up(engine, poison, seq, timeout=15)
    with engine.connect() as conn:
        assert [p.seq for p in conn.execute(select(parked_events))] == [seq]


async def test_text_holding_nul_is_projected_never_parked(js, store, engine):
    """PostgreSQL text cannot hold U+0000: the row keeps U+FFFD in its place instead of parking the event."""
    create_read_model_tables(engine, generation_status)
    after = await store.append(requested("nul", title="before\x00after"))
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, after, timeout=15)
    with engine.connect() as conn:
        assert conn.execute(select(parked_events)).all() == []
        title = conn.execute(select(generations.c.title).where(generations.c.generation_id == "nul")).scalar()
    assert title == ("before\ufffdafter" if engine.dialect.name == "postgresql" else "before\x00after")


async def test_a_rebuild_fails_on_a_poisoned_event_unless_asked_to_park_it(store, engine):
    """Issue 20 item 2: a rebuild stopped for good on one event it could not apply. Without the
    operator's word it still stops, saying how to go on, with the live tables unchanged; with
    `park_poisoned` (`replay rebuild --skip-parked`) the event is parked and the rebuild swaps in."""
    create_read_model_tables(engine, poison)
    seqs = [await store.append(requested(name, title="poison" if name == "g2" else "fine"))
            for name in ("g1", "g2", "g3")]
    with pytest.raises(RebuildFailed, match="--skip-parked"):
        await Rebuild(store.reader, engine, poison, batch_size=10).run()
    assert poison_rows(engine) == []  # nothing swapped in
    report = await Rebuild(store.reader, engine, poison, batch_size=10, park_poisoned=True).run()
    assert report.parked == [seqs[1]] and report.final_seq == seqs[-1]
    assert poison_rows(engine) == ["g1", "g3"]
    with engine.connect() as conn:
        parked = conn.execute(select(parked_events)).all()
        assert [(p.projection, p.seq, p.error_class) for p in parked] == [("poison_test", seqs[1], "ValueError")]
        assert read_checkpoint(conn, "poison_test") == seqs[-1]


async def test_replay_rebuild_takes_skip_parked(nats_server, store, database_url):
    await store.append_many(generation_lifecycle("g1"))
    result = dashloom("replay", "rebuild", "--all", "--skip-parked", nats_url=nats_server.url,
                      database_url=database_url)
    assert result.returncode == 0, result.stderr
