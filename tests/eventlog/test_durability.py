"""Acknowledged means stored: kill -9 the server, start it again on the same store."""

from sqlalchemy import func, select

from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.eventlog.stream import ensure_events_stream
from services.gateway.models import generations
from services.gateway.projections import generation_status
from services.runtime.nats_server import NatsServer
from tests.factories import new_id, requested
from tests.readmodels.running import caught_up, running

N = 300


async def test_acknowledged_events_survive_kill_9_and_the_projection_sees_exactly_them(tmp_path, engine):
    server = NatsServer(tmp_path / "nats").start()
    assert "sync_interval: always" in (tmp_path / "nats" / "nats-server.conf").read_text()
    nc = await connect(server.url, "writer")
    await ensure_events_stream(nc.jetstream())
    appended = [requested(new_id()) for _ in range(N)]
    for event in appended:
        await EventStore(nc.jetstream()).append(event)  # each one acknowledged before the next
    server.kill()
    await nc.close()

    server = NatsServer(tmp_path / "nats", port=server.port).start()
    try:
        nc = await connect(server.url, "reader")
        store = EventStore(nc.jetstream())
        assert await store.last_sequence() == N
        stored = [e async for batch in store.reader.batches() for e in batch]
        assert [e.event.event_id for e in stored] == [e.event_id for e in appended]

        async with running(nc.jetstream(), engine, generation_status):
            await caught_up(engine, generation_status, N)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(generations)).scalar_one() == N
        await nc.close()
    finally:
        server.stop()
