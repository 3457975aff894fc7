"""A generation worker running against the test's nats-server, beside the in-process gateway."""

from __future__ import annotations

import asyncio

import pytest

from services.eventlog.blobs import DiskBlobStore
from services.generation.worker import GenerationWorker


@pytest.fixture
async def worker(nats_server, store, settings):
    stop = asyncio.Event()
    blobs = DiskBlobStore(settings.blob_dir)
    task = asyncio.create_task(GenerationWorker(store, blobs, "test-worker", ack_wait=5).run(nats_server.url, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, 15)
