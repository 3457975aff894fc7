import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from nats.js.errors import APIError

from contracts import DashboardRequested, ProjectCreated
from services.eventlog.store import ConcurrencyError
from tests.contracts.test_upcasting import v1_dashboard_requested
from tests.factories import generation_lifecycle, new_id, requested


async def test_the_same_event_appended_twice_is_stored_once(store):
    event = requested(new_id())
    first = await store.append(event)
    second = await store.append(event)
    assert first == second
    assert await store.last_sequence() == 1


async def test_a_retried_append_with_its_expected_sequence_is_not_a_conflict(store):
    # JetStream checks the expected sequence before dedup; the store must see through that.
    event = requested(new_id())
    seq = await store.append(event, expected_last_seq=0)
    assert await store.append(event, expected_last_seq=0) == seq
    assert await store.last_sequence() == 1


async def test_two_writers_at_the_same_expected_sequence_one_wins(store):
    generation_id = new_id()
    await store.append(requested(generation_id))
    version = await store.aggregate_version("generation", generation_id)
    a, b = requested(generation_id, title="A"), requested(generation_id, title="B")
    results = await asyncio.gather(store.append(a, version), store.append(b, version), return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 1
    stored = await store.load("generation", generation_id)
    assert len(stored) == 2


async def test_a_new_aggregate_expects_sequence_zero(store):
    generation_id = new_id()
    await store.append(requested(generation_id), expected_last_seq=0)
    with pytest.raises(ConcurrencyError):
        await store.append(requested(generation_id), expected_last_seq=0)


async def test_load_returns_one_aggregate_in_order(store):
    mine, other = new_id(), new_id()
    await store.append_many(generation_lifecycle(mine) + generation_lifecycle(other))
    loaded = await store.load("generation", mine)
    assert [e.event.aggregate_id for e in loaded] == [mine] * 7
    assert [e.type for e in loaded][:2] == ["DashboardRequested", "GenerationStarted"]
    assert [e.seq for e in loaded] == sorted(e.seq for e in loaded)
    assert await store.load("generation", new_id()) == []


async def test_read_from_a_sequence_up_to_a_sequence(store):
    await store.append_many(generation_lifecycle(new_id()) * 1 + generation_lifecycle(new_id()))
    seqs = [e.seq async for batch in store.reader.batches(start_seq=3, end_seq=9, batch_size=2) for e in batch]
    assert seqs == list(range(3, 10))


async def test_read_from_a_time(store):
    await store.append_many(generation_lifecycle(new_id()))
    await asyncio.sleep(1.1)
    middle = datetime.now(UTC)
    later = generation_lifecycle(new_id())
    await store.append_many(later)
    read = [e async for batch in store.reader.batches(start_time=middle) for e in batch]
    assert [e.event.event_id for e in read] == [e.event_id for e in later]
    future = [e async for b in store.reader.batches(start_time=middle + timedelta(hours=1)) for e in b]
    assert future == []


async def test_an_old_version_in_the_log_reads_as_the_current_model(js, store):
    old = v1_dashboard_requested()
    await js.publish("events.generation.g1", orjson.dumps(old), headers={"Nats-Msg-Id": old["event_id"]})
    [stored] = await store.load("generation", "g1")
    assert stored.type == "DashboardRequested" and stored.version == 1
    assert isinstance(stored.event, DashboardRequested)
    assert stored.event.payload.upload.sha256 == old["payload"]["sha256"]


async def test_the_stream_refuses_deletes_and_purges(js, store):
    await store.append(ProjectCreated(project_id="p1", aggregate_id="p1", payload={"name": "x"}))
    with pytest.raises(APIError):
        await js.delete_msg("EVENTS", 1)
    with pytest.raises(APIError):
        await js.purge_stream("EVENTS")
    assert await store.last_sequence() == 1
