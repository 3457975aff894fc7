"""A service's task that dies is restarted with backoff and shown in health; it never hides
behind a heartbeat that goes on."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.runtime.heartbeats import last_heartbeats
from services.runtime.service import ServiceContext, serve
from tests.polling import until

BACKOFF = 1.0  # long enough for health (which asks the bus for every stream's leader) to see it restarting


@pytest.mark.timeout(60)
async def test_a_task_that_dies_is_restarted_and_health_shows_it(nats_server, js, settings, client):
    runs = {"crashing": 0, "quitting": 0}
    crash_again = asyncio.Event()

    started: list[float] = []

    async def crashing(context: ServiceContext) -> None:
        runs["crashing"] += 1
        started.append(time.monotonic())
        if runs["crashing"] == 1:
            raise RuntimeError("the subscriber lost its consumer")
        await crash_again.wait()
        crash_again.clear()
        raise ConnectionError("and again")

    async def quitting(context: ServiceContext) -> None:  # e.g. an HTTP server that returned early
        runs["quitting"] += 1
        if runs["quitting"] > 1:
            await context.stop.wait()

    stop = asyncio.Event()
    service_settings = settings.model_copy(update={
        "nats_url": nats_server.url, "heartbeat_seconds": 0.2, "restart_backoff_seconds": BACKOFF,
        "restart_backoff_max_seconds": 5.0})
    service = asyncio.create_task(serve("webhooks", service_settings, tasks=[crashing, quitting], stop=stop))
    try:
        async def tasks_of_webhooks() -> dict | None:
            beats = (await last_heartbeats(js)).get("webhooks", [])
            tasks = beats[0].get("tasks", {}) if beats else {}
            settled = tasks.get("crashing", {}).get("restarts") == 1 and tasks["crashing"]["status"] == "running"
            return tasks if settled and tasks["quitting"]["restarts"] == 1 else None

        tasks = await until(tasks_of_webhooks, 10)
        assert tasks["crashing"] == {"status": "running", "restarts": 1, "last_error": "RuntimeError"}
        assert tasks["quitting"] == {"status": "running", "restarts": 1,
                                     "last_error": "returned before the service stopped"}
        assert tasks["heartbeat"]["restarts"] == 0
        assert runs == {"crashing": 2, "quitting": 2}
        webhooks = (await client.get("/api/v1/health")).json()["data"]["services"]["webhooks"]
        assert webhooks["status"] == "up" and webhooks["tasks"]["crashing"]["restarts"] == 1

        crash_again.set()  # dies again soon after its restart: the next restart waits twice as long
        crashed_at = time.monotonic()

        async def restarting() -> dict | None:
            health = (await client.get("/api/v1/health")).json()["data"]
            crashing = health["services"]["webhooks"].get("tasks", {}).get("crashing", {})
            return health if crashing.get("status") == "restarting" else None

        health = await until(restarting, 5)
        assert health is not None, "health never showed the task restarting"
        assert health["services"]["webhooks"]["status"] == "degraded" and health["status"] == "degraded"
        assert await until(lambda: _restarts(js, 2), 5)
        assert runs["crashing"] == 3 and started[2] - crashed_at >= 2 * BACKOFF
    finally:
        stop.set()
        await asyncio.wait_for(service, 15)


async def _restarts(js, count: int) -> bool:
    beats = (await last_heartbeats(js)).get("webhooks", [])
    return bool(beats) and beats[0]["tasks"]["crashing"] == {"status": "running", "restarts": count,
                                                              "last_error": "ConnectionError"}
