"""Exactly one outcome per generation is a property of the aggregate, not of the 120 s dedup window;
and a job whose stage outlasts `ack_wait` stays with the worker that runs it."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest

from contracts import GenerationCompleted, GenerationFailed
from services.eventlog.blobs import DiskBlobStore
from services.eventlog.stream import events_stream_config
from services.generation import worker as worker_module
from services.generation.reading import TableTooLarge
from services.generation.worker import GenerationWorker
from tests.generation.test_worker_crash import types_of, until, uploaded_sales

STAGE_SECONDS = 2.5  # the profiling stage, made slow: longer than ack_wait


@pytest.fixture
def slow_profiling(monkeypatch) -> list[float]:
    """Profiling takes STAGE_SECONDS; answers when each run began it."""
    runs: list[float] = []
    profile = worker_module.profile_table

    def slow(frame, *args):
        runs.append(time.monotonic())
        time.sleep(STAGE_SECONDS)
        return profile(frame, *args)

    monkeypatch.setattr(worker_module, "profile_table", slow)
    return runs


async def run_workers(nats_server, store, settings, job: str, ack_wait: float) -> list[str]:
    blobs, stop = DiskBlobStore(settings.blob_dir), asyncio.Event()
    workers = [asyncio.create_task(GenerationWorker(store, blobs, name, ack_wait=ack_wait).run(nats_server.url, stop))
               for name in ("w1", "w2")]
    try:
        await asyncio.sleep(0.5)  # both subscribed
        await store.append(await uploaded_sales(blobs, job, 2000))
        await until(lambda: types_of(store, job), lambda seen: "GenerationCompleted" in seen, timeout=30)
        await asyncio.sleep(ack_wait * 3)  # a second run would end by now
        return await types_of(store, job)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 20)


async def test_a_stage_longer_than_ack_wait_is_not_run_twice(nats_server, store, settings, slow_profiling):
    seen = await run_workers(nats_server, store, settings, "slow", ack_wait=1.0)
    assert len(slow_profiling) == 1, "the message was redelivered while its job ran"
    assert seen.count("GenerationCompleted") == 1


async def test_a_run_that_ends_after_the_duplicate_window_adds_no_second_outcome(
        nats_server, js, store, settings, slow_profiling, monkeypatch):
    config = events_stream_config()
    config.duplicate_window = 0.2  # the window JetStream's dedup gives: the runs end ~1 s apart
    await js.update_stream(config)

    @asynccontextmanager
    async def no_heartbeat(msg, ack_wait):
        yield

    monkeypatch.setattr(worker_module, "_kept_alive", no_heartbeat)  # so the job is redelivered mid-run
    seen = await run_workers(nats_server, store, settings, "raced", ack_wait=1.0)
    assert len(slow_profiling) == 2, "the race did not happen: the job ran once"
    assert seen.count("GenerationCompleted") == 1, seen


async def test_outcomes_with_other_ids_are_refused_once_one_is_in_the_log(store, settings):
    requested = await uploaded_sales(DiskBlobStore(settings.blob_dir), "g1", 10)
    await store.append(requested)
    worker = GenerationWorker(store, DiskBlobStore(settings.blob_dir), "w1")
    outcomes = [requested.caused(GenerationFailed, name=f"failed-{n}", payload={"code": "X", "reason": f"run {n}"})
                for n in range(4)]
    concluded = await asyncio.gather(*[worker.conclude(outcome) for outcome in outcomes])
    assert sorted(concluded) == [False, False, False, True]
    late = requested.caused(GenerationCompleted, name="late-run", payload={
        "dashboard_id": "dsh_g1", "title": "t", "spec": requested.payload.upload, "card_count": 0})
    assert await worker.conclude(late) is False
    assert (await types_of(store, "g1")).count("GenerationFailed") == 1
    assert "GenerationCompleted" not in await types_of(store, "g1")


@pytest.mark.parametrize("error", [MemoryError(), TableTooLarge("the file has 1001 columns; the limit is 1000")],
                         ids=["over the memory budget", "over a table limit"])
async def test_a_file_over_the_workers_limits_fails_once_with_a_reason(nats_server, store, settings, monkeypatch, error):
    def over_the_limit(*args):
        raise error

    monkeypatch.setattr(worker_module, "columnar_table", over_the_limit)
    blobs, stop = DiskBlobStore(settings.blob_dir), asyncio.Event()
    worker = asyncio.create_task(GenerationWorker(store, blobs, "w1", ack_wait=5).run(nats_server.url, stop))
    try:
        await store.append(await uploaded_sales(blobs, "big", 10))
        await until(lambda: types_of(store, "big"), lambda seen: "GenerationFailed" in seen, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 20)
    [failed] = [e.event for e in await store.load("generation", "big") if e.type == "GenerationFailed"]
    assert failed.payload.code == "FILE_TOO_LARGE"
    assert failed.payload.reason == (str(error) or "reading the file needed more memory than a generation may use; "
                                     "upload a smaller file or fewer columns")
