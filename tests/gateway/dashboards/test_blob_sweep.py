"""A deleted dashboard's files are removed by the sweep, even when the DELETE's own removal never ran."""

from __future__ import annotations

import time

import pytest

from contracts import DashboardDeleted
from services.gateway.dashboards.blob_sweep import DeletedDashboardFiles
from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle
from tests.gateway.conftest import one_chunk

DAY = 86400.0


@pytest.fixture
async def one_deleted_of_two(store, engine, projections, blobs):
    """dsh_g1 and dsh_g2 made by their generations, each with its spec; then dsh_g1 deleted, as a
    gateway that stopped right after the append would leave it: its files still there."""
    for generation_id in ("g1", "g2"):
        await store.append_many(generation_lifecycle(generation_id, "p1"))
        await blobs.put(f"specs/{generation_id}.json", one_chunk(b"{}"))
    await store.append(DashboardDeleted(project_id="p1", aggregate_id="dsh_g1", payload={"dashboard_id": "dsh_g1"}))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)


async def test_the_files_of_a_deleted_dashboard_are_removed_and_the_others_kept(blobs, engine, one_deleted_of_two):
    now = [time.time()]
    sweep = DeletedDashboardFiles(blobs, engine, clock=lambda: now[0])
    assert await sweep.sweep() == ["specs/g1.json", "uploads/g1"]  # the upload was gone already
    assert await blobs.names("specs/") == ["specs/g2.json"]
    now[0] += 600  # within the lag margin of the first round: looked at again, harmlessly
    assert await sweep.sweep() == ["specs/g1.json", "uploads/g1"]
    now[0] += 600  # past it: only what was deleted since
    assert await sweep.sweep() == []


async def test_a_gateway_started_a_week_later_no_longer_looks(blobs, engine, one_deleted_of_two):
    sweep = DeletedDashboardFiles(blobs, engine, clock=lambda: time.time() + 8 * DAY)
    assert await sweep.sweep() == []
    assert await blobs.names("specs/") == ["specs/g1.json", "specs/g2.json"]


async def test_a_deletion_the_read_model_shows_late_is_still_swept(blobs, engine, store, one_deleted_of_two):
    now = [time.time()]
    sweep = DeletedDashboardFiles(blobs, engine, clock=lambda: now[0])
    await sweep.sweep()
    await blobs.put("specs/g2.json", one_chunk(b"{}"))
    await store.append(DashboardDeleted(project_id="p1", aggregate_id="dsh_g2", payload={"dashboard_id": "dsh_g2"}))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    now[0] += 60  # the next round: the deletion happened before it, within the lag margin
    assert "specs/g2.json" in await sweep.sweep()
    assert await blobs.names("specs/") == []
