"""A projection process killed with SIGKILL inside a batch: nothing applied twice, nothing missed.

`event_counts` is a counter: unlike the idempotent read models, a batch applied twice shows in it.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from services.eventlog.reader import StoredEvent
from services.gateway.generation.projections import generation_status
from services.readmodels.batches import apply_batch
from services.readmodels.database import create_read_model_engine
from services.readmodels.runner import create_read_model_tables
from tests.factories import many_generations
from tests.readmodels.projection_process import event_counts
from tests.readmodels.running import all_rows, caught_up


def start_projection_process(nats_url: str, database_url: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.readmodels.projection_process", nats_url, database_url],
                            env={**os.environ, **env})


async def test_killed_mid_batch_then_restarted_matches_the_log(nats_server, store, engine, database_url, tmp_path):
    await store.append_many(many_generations(300))  # 2,100 events, batches of 50
    signal_file = tmp_path / "inside-batch"
    process = start_projection_process(nats_server.url, database_url, DASHLOOM_TEST_STALL_AT_KEY="g150",
                                       DASHLOOM_TEST_STALL_AT_SEQ="1051", DASHLOOM_TEST_SIGNAL=str(signal_file))
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists():
            assert process.poll() is None, "projection process died on its own"
            assert time.monotonic() < deadline, "the process never reached the stalling batch"
            time.sleep(0.05)
        partial = all_rows(engine, generation_status)  # the uncommitted batch is invisible
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
    assert 0 < len(partial["generations"]) < 300

    await store.append_many(many_generations(20, prefix="after"))
    process = start_projection_process(nats_server.url, database_url)
    try:
        await caught_up(engine, generation_status, 2240, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)

    reference = create_read_model_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    create_read_model_tables(reference, generation_status)
    log = [e async for batch in store.reader.batches() for e in batch]
    apply_batch(reference, generation_status, generation_status.tables(), "generations", log)
    assert all_rows(engine, generation_status) == all_rows(reference, generation_status)


def wait_for_signal(process: subprocess.Popen, signal_file, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not signal_file.exists():
        assert process.poll() is None, "projection process died on its own"
        assert time.monotonic() < deadline, "the process never reached the stalling batch"
        time.sleep(0.05)


async def test_a_counter_killed_after_writing_its_checkpoint_counts_every_event_once(
        nats_server, store, engine, database_url, tmp_path):
    """Killed once the batch's checkpoint is written: rows and checkpoint commit together or not at
    all, so the restarted runner neither counts that batch twice nor skips it."""
    await store.append_many(many_generations(300))
    signal_file = tmp_path / "checkpoint-written"
    process = start_projection_process(nats_server.url, database_url, DASHLOOM_TEST_PROJECTION="event_counts",
                                       DASHLOOM_TEST_STALL_AT_SEQ="1051", DASHLOOM_TEST_SIGNAL=str(signal_file))
    try:
        wait_for_signal(process, signal_file)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()

    await store.append_many(many_generations(20, prefix="after"))
    process = start_projection_process(nats_server.url, database_url, DASHLOOM_TEST_PROJECTION="event_counts")
    try:
        await caught_up(engine, event_counts, 2240, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    in_the_log = Counter([e.type async for batch in store.reader.batches() for e in batch])
    assert dict(all_rows(engine, event_counts)["event_counts"]) == dict(in_the_log)


def test_a_batch_delivered_again_after_its_commit_is_skipped(engine, tmp_path):
    """A redelivered batch (an ack lost after the commit, an owner that overlapped) counts once."""
    create_read_model_tables(engine, event_counts)
    events = [StoredEvent(seq=n, event_id=str(n), subject="events.generation.g1", type=event.type, version=1,
                          data=event.model_dump_json().encode(), stored_ns=time.time_ns())
              for n, event in enumerate(many_generations(2), start=1)]
    for delivery in (events[:10], events[5:], events):
        apply_batch(engine, event_counts, event_counts.tables(), "event_counts", delivery)
    assert dict(all_rows(engine, event_counts)["event_counts"]) == dict(Counter(e.type for e in events))
