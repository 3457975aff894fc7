"""Health shows each projection's lag and parked events, and turns degraded above the thresholds."""

from __future__ import annotations

import time

from services.eventlog.reader import StoredEvent
from services.readmodels.checkpoints import write_checkpoint
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.parking import park


def stored(seq: int) -> StoredEvent:
    return StoredEvent(seq=seq, event_id="e-1", subject="events.generation.g1", type="DashboardRequested",
                       version=2, data=b"{}", stored_ns=time.time_ns())


async def test_a_parked_event_shows_in_health_and_degrades_it(client, new_project, engine):
    await new_project()
    # every projection has passed the project's events (one runner more or less must not race the read)
    assert await wait_for_checkpoint(engine, "generations", 2, timeout=10)
    before = (await client.get("/api/v1/health")).json()["data"]["projections"]
    assert before["projects"] == {"status": "up", "checkpoint": 2, "lag": 0, "parked": 0}
    with engine.begin() as conn:
        park(conn, "generations", stored(1), ValueError("refused"))
    data = (await client.get("/api/v1/health")).json()["data"]
    assert data["projections"]["generations"]["parked"] == 1
    assert data["projections"]["generations"]["status"] == "degraded"
    assert data["projections"]["projects"]["status"] == "up"
    assert data["status"] == "degraded"


async def test_a_projection_lagging_above_the_threshold_degrades_health(gateway_client, new_project, engine):
    client = await gateway_client(health_max_lag=1)
    await new_project()  # two events in the log
    with engine.begin() as conn:
        write_checkpoint(conn, "stalled", 0)
    projections = (await client.get("/api/v1/health")).json()["data"]["projections"]
    assert projections["stalled"] == {"status": "degraded", "checkpoint": 0, "lag": 2, "parked": 0}
    assert projections["projects"]["status"] == "up"
