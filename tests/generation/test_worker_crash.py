"""A generation worker killed with SIGKILL mid-job: another worker gets the job, and the log
holds exactly one outcome."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from contracts import DashboardRequested
from services.eventlog.blobs import DiskBlobStore
from services.generation.worker import MAX_ATTEMPTS, GenerationWorker
from tests.generation.samples import encoded, sales


def start_worker(nats_url: str, state_dir, database_url: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.generation"], env={
        **os.environ, "DASHLOOM_NATS_URL": nats_url, "DASHLOOM_STATE_DIR": str(state_dir),
        "DASHLOOM_DATABASE_URL": database_url, "DASHLOOM_GENERATION_ACK_WAIT": "2", **(env or {})})


async def types_of(store, generation_id: str) -> list[str]:
    return [e.type for e in await store.load("generation", generation_id)]


async def until(read, done, timeout: float, every: float = 0.05):
    """Poll `read()` until `done` holds for its answer; fail (not hang) after `timeout` seconds."""
    async def poll():
        while not done(answer := await read()):
            await asyncio.sleep(every)
        return answer

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"not done after {timeout} s: {await read()}") from None


async def uploaded_sales(blobs, generation_id: str, rows: int) -> DashboardRequested:
    """A sales CSV of `rows` rows in the blob store, and the request a gateway would append for it."""
    async def content():
        yield encoded(sales(rows), "csv")

    ref = await blobs.put(f"uploads/p1/{generation_id}/1", content())
    return DashboardRequested(project_id="p1", aggregate_id=generation_id, payload={
        "upload": ref, "file_format": "csv", "title": generation_id})


async def test_a_killed_worker_leaves_exactly_one_completed_generation(nats_server, store, tmp_path):
    state, database_url = tmp_path / "state", f"sqlite:///{tmp_path / 'worker.db'}"
    requested = await uploaded_sales(DiskBlobStore(state / "blobs"), "big", 2_000_000)
    first = start_worker(nats_server.url, state, database_url)
    try:
        await store.append(requested)
        await until(lambda: types_of(store, "big"), lambda seen: seen.count("GenerationProgressed") >= 2,
                    timeout=60, every=0.02)  # profiling has begun
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert "GenerationCompleted" not in await types_of(store, "big"), "the job ended before the kill"
    finally:
        if first.poll() is None:
            first.kill()

    second = start_worker(nats_server.url, state, database_url)
    try:
        await until(lambda: types_of(store, "big"), lambda seen: "GenerationCompleted" in seen, timeout=90)
        await asyncio.sleep(5)  # past another ack_wait: a second completion would show by now
        seen = await types_of(store, "big")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert seen.count("GenerationCompleted") == 1
    assert seen.count("GenerationStarted") == 1  # the rerun's events had the same ids
    assert "GenerationFailed" not in seen


async def test_two_workers_share_the_jobs_and_each_job_completes_once(nats_server, store, settings):
    blobs = DiskBlobStore(settings.blob_dir)
    jobs = [await uploaded_sales(blobs, f"job{number}", 50_000) for number in range(8)]
    stop = asyncio.Event()
    workers = [asyncio.create_task(GenerationWorker(store, blobs, name, ack_wait=30).run(nats_server.url, stop))
               for name in ("w1", "w2")]
    try:
        await store.append_many(jobs)

        async def events_of_each_job():
            return {job.aggregate_id: await store.load("generation", job.aggregate_id) for job in jobs}

        seen = await until(events_of_each_job, lambda seen: all(
            any(e.type == "GenerationCompleted" for e in events) for events in seen.values()), timeout=120)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 20)
    for events in seen.values():
        types = [e.type for e in events]
        assert types.count("GenerationCompleted") == 1 and types.count("GenerationStarted") == 1, types
    started_by = {e.event.payload.worker for events in seen.values() for e in events if e.type == "GenerationStarted"}
    assert started_by == {"w1", "w2"}


@pytest.mark.own_nats_server
async def test_a_worker_takes_jobs_again_after_the_nats_server_restarts(nats_server, store, settings):
    blobs = DiskBlobStore(settings.blob_dir)
    stop = asyncio.Event()
    worker = asyncio.create_task(GenerationWorker(store, blobs, "w1", ack_wait=30).run(nats_server.url, stop))
    try:
        await asyncio.sleep(1)  # subscribed
        nats_server.kill()
        await asyncio.sleep(1)
        nats_server.start()
        await store.append(await uploaded_sales(blobs, "after", 500))
        await until(lambda: types_of(store, "after"), lambda seen: "GenerationCompleted" in seen, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 20)
    assert (await types_of(store, "after")).count("GenerationCompleted") == 1


WORKER_MEMORY = 1400 * 1024**2  # the worker's address-space budget here: a file below needs more


async def test_a_file_that_kills_its_worker_fails_once_with_a_reason(nats_server, store, tmp_path):
    """Each run of the job aborts its memory-capped worker (Polars cannot allocate): no Python
    exception is ever raised, yet after MAX_ATTEMPTS deliveries the job fails, once."""
    state, database_url = tmp_path / "state", f"sqlite:///{tmp_path / 'worker.db'}"

    async def content():
        yield encoded(sales(800_000), "json")  # 100 MB of JSON, read whole

    ref = await DiskBlobStore(state / "blobs").put("uploads/p1/huge/1", content())
    await store.append(DashboardRequested(project_id="p1", aggregate_id="huge", payload={
        "upload": ref, "file_format": "json", "title": "huge"}))
    env = {"DASHLOOM_GENERATION_ACK_WAIT": "1", "DASHLOOM_GENERATION_MEMORY_BYTES": str(WORKER_MEMORY)}
    crashes, worker = 0, start_worker(nats_server.url, state, database_url, env)
    try:
        async def supervised_outcome():
            nonlocal crashes, worker
            if worker.poll() is not None:  # restarted as `dashloom up` would
                crashes, worker = crashes + 1, start_worker(nats_server.url, state, database_url, env)
            return await types_of(store, "huge")

        await until(supervised_outcome, lambda seen: "GenerationFailed" in seen, timeout=120, every=0.2)
        await asyncio.sleep(3)  # three more ack_waits: the job is acked, not delivered again
        seen = [e.event for e in await store.load("generation", "huge")]
        assert worker.poll() is None, "the last delivery killed the worker too"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    assert crashes == MAX_ATTEMPTS
    failed = [e for e in seen if e.type == "GenerationFailed"]
    assert len(failed) == 1 and failed[0].payload.code == "WORKER_STOPPED"
    assert "lack of memory" in failed[0].payload.reason
    assert not any(e.type == "GenerationCompleted" for e in seen)
