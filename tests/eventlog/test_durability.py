"""Acknowledged means stored: kill -9 the server, start it again on the same store.

What this can prove: every acknowledged append was fsynced by the running server before its
ack (its fsync calls, counted by strace, are at least one per append), and acknowledged events
survive a kill -9 of the process. What it cannot: a kill -9 keeps the kernel's page cache, so
the restart alone would pass without fsync; only a power cut (or a filesystem that drops what
was not synced) loses unsynced pages, and no test here cuts the power. The fsync count is what
fails when `sync_interval: always` is gone.
"""

import shutil
import signal
import subprocess
import time

from sqlalchemy import func, select

from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.eventlog.stream import ensure_events_stream
from services.gateway.generation.models import generations
from services.gateway.generation.projections import generation_status
from services.runtime.nats_server import NatsServer
from tests.factories import new_id, requested
from tests.readmodels.running import caught_up, running

N = 300


def counting_fsyncs(pid: int) -> subprocess.Popen:
    """strace attached to the server's every thread, counting its syncs until interrupted."""
    assert shutil.which("strace"), "strace is needed to see the server's fsyncs (apt-get install strace)"
    tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-p", str(pid)],
                              stderr=subprocess.PIPE, text=True)
    time.sleep(1)  # attached to every thread
    return tracer


def syncs_counted(tracer: subprocess.Popen) -> int:
    tracer.send_signal(signal.SIGINT)
    summary = tracer.communicate(timeout=10)[1]
    return sum(int(line.split()[3]) for line in summary.splitlines() if line.split()[-1:] in (["fsync"], ["fdatasync"]))


async def test_acknowledged_events_survive_kill_9_and_the_projection_sees_exactly_them(tmp_path, engine):
    server = NatsServer(tmp_path / "nats").start()
    nc = await connect(server.url, "writer")
    await ensure_events_stream(nc.jetstream())
    appended = [requested(new_id()) for _ in range(N)]
    tracer = counting_fsyncs(server.process.pid)
    for event in appended:
        await EventStore(nc.jetstream()).append(event)  # each one acknowledged before the next
    assert syncs_counted(tracer) >= N, "acknowledged appends were not each synced to disk"
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
