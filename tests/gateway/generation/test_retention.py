"""Uploads are deleted once their generation ended longer ago than the retention period."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.gateway.generation.retention import UploadRetention
from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle, requested
from tests.gateway.conftest import one_chunk

HOUR = 3600.0


@pytest.fixture
async def three_generations(store, engine, projections, blobs):
    """g1 completed, g2 failed, g3 still processing; each with its upload."""
    await store.append_many(generation_lifecycle("g1", "p1"))
    await store.append_many(generation_lifecycle("g2", "p1", fail=True))
    await store.append(requested("g3", "p1"))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    for generation_id in ("g1", "g2", "g3"):
        await blobs.put(f"uploads/p1/{generation_id}/u", one_chunk(b"a,b\n1,2\n"))
    await blobs.put("specs/d-g1.json", one_chunk(b"{}"))


async def test_uploads_are_kept_within_the_retention_period(blobs, engine, three_generations):
    retention = UploadRetention(blobs, engine, HOUR, clock=lambda: time.time() + HOUR - 60)
    assert await retention.sweep() == []
    assert len(await blobs.names("uploads/")) == 3


async def test_uploads_of_ended_generations_are_deleted_after_it(blobs, engine, three_generations):
    retention = UploadRetention(blobs, engine, HOUR, clock=lambda: time.time() + HOUR + 60)
    assert sorted(await retention.sweep()) == ["uploads/p1/g1/u", "uploads/p1/g2/u"]
    assert await blobs.names("uploads/") == ["uploads/p1/g3/u"]  # still processing: kept
    assert await blobs.exists("specs/d-g1.json")


async def test_a_running_sweep_with_zero_retention_deletes_at_once(blobs, engine, three_generations):
    stop = asyncio.Event()
    task = asyncio.create_task(UploadRetention(blobs, engine, 0.0).run(stop, every=0.05))
    try:
        for _ in range(100):
            if await blobs.names("uploads/") == ["uploads/p1/g3/u"]:
                break
            await asyncio.sleep(0.05)
        assert await blobs.names("uploads/") == ["uploads/p1/g3/u"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
