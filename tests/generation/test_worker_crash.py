"""A generation worker killed with SIGKILL mid-job: another worker gets the job, and the log
holds exactly one outcome."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from contracts import DashboardRequested
from services.eventlog.blobs import DiskBlobStore
from services.generation.handlers import GenerationWorker
from tests.generation.samples import encoded, sales


def start_worker(nats_url: str, state_dir, database_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.generation"], env={
        **os.environ, "DASHLOOM_NATS_URL": nats_url, "DASHLOOM_STATE_DIR": str(state_dir),
        "DASHLOOM_DATABASE_URL": database_url, "DASHLOOM_GENERATION_ACK_WAIT": "2"})


async def types_of(store, generation_id: str) -> list[str]:
    return [e.type for e in await store.load("generation", generation_id)]


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
        for _ in range(1200):
            if "GenerationProgressed" in (seen := await types_of(store, "big")) and len(seen) >= 4:
                break  # profiling has begun
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert "GenerationCompleted" not in await types_of(store, "big"), "the job ended before the kill"
    finally:
        if first.poll() is None:
            first.kill()

    second = start_worker(nats_server.url, state, database_url)
    try:
        for _ in range(1500):
            if "GenerationCompleted" in await types_of(store, "big"):
                break
            await asyncio.sleep(0.02)
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
        for _ in range(1500):
            seen = {job.aggregate_id: await store.load("generation", job.aggregate_id) for job in jobs}
            if all(any(e.type == "GenerationCompleted" for e in events) for events in seen.values()):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 20)
    for events in seen.values():
        types = [e.type for e in events]
        assert types.count("GenerationCompleted") == 1 and types.count("GenerationStarted") == 1, types
    started_by = {e.event.payload.worker for events in seen.values() for e in events if e.type == "GenerationStarted"}
    assert started_by == {"w1", "w2"}


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
        for _ in range(600):
            if "GenerationCompleted" in await types_of(store, "after"):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 20)
    assert (await types_of(store, "after")).count("GenerationCompleted") == 1
