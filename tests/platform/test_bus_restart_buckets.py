"""`kill -9` of nats-server under `dashloom up`: the in-memory KV buckets (the sharing service's
code budgets, the gateway's websocket counts) are gone from the restarted server, and each service
declares its own again. Then a private link's code request answers 200 and a websocket subscribes;
and health is degraded while a bucket a service needs is missing, ok once it is back."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import orjson
import pytest
import websockets

from services.eventlog.connection import connect
from services.runtime.nats_server import free_port
from tests.platform.test_nats_outage import first_key, key_works, nats_server_process
from tests.platform.test_platform import everything_up, start_platform, wait_for_health

CSV = b"region,month,amount\n" + b"".join(b"r%d,2026-%02d,%d\n" % (n % 3, n % 12 + 1, n) for n in range(60))
ANA = "ana@example.com"


async def completed_generation(client: httpx.AsyncClient, auth: dict) -> dict:
    answer = await client.post("/api/v1/dashboards/generate", headers=auth, files={"file": ("sales.csv", CSV)})
    assert answer.status_code in (200, 202), answer.text
    data = answer.json()["data"]
    deadline = time.monotonic() + 60
    while data["status"] != "completed":
        assert data["status"] == "processing" and time.monotonic() < deadline, data
        await asyncio.sleep(0.2)
        data = (await client.get(f"/api/v1/generations/{data['generation_id']}", headers=auth)).json()["data"]
    return data


async def ask_code(client: httpx.AsyncClient, link_url: str) -> httpx.Response:
    return await client.post(f"{link_url[link_url.index('/s/'):]}/code", data={"email": ANA})


async def subscribed(port: int, auth: dict, generation_id: str) -> dict:
    """A websocket's first answer to a subscription (the socket is admitted through the KV counts)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/ws", additional_headers=auth) as socket:
        await socket.send(orjson.dumps({"subscribe": [generation_id]}).decode())
        async with asyncio.timeout(10):
            return orjson.loads(await socket.recv())


def every_service_beats(body: dict) -> bool:
    """The bus is back and every service has beaten since: each has reconnected."""
    data = body.get("data") or {}
    return data.get("bus", {}).get("status") == "up" and all(
        service["instances"] > 0 for service in data.get("services", {}).values())


async def answered(request, seconds: float = 30) -> httpx.Response:
    """The first answer that is not 503 (the bus was away: nothing was done, send it again)."""
    deadline = time.monotonic() + seconds
    while (answer := await request()).status_code == 503 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return answer


async def emails(state, count: int) -> int:
    """The .eml files in the outbox once there are `count` (a code is emailed in the background)."""
    deadline = time.monotonic() + 15
    while len(found := list((state / "outbox").glob("*.eml"))) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return len(found)


def missing_buckets(body: dict) -> dict[str, list[str]]:
    services = (body.get("data") or {}).get("services", {})
    return {name: service.get("missing_buckets") for name, service in services.items() if service.get("missing_buckets")}


@pytest.mark.timeout(240)
async def test_after_kill_9_of_nats_server_codes_and_websockets_work_and_health_tells_a_missing_bucket(tmp_path):
    state, port = tmp_path / "state", free_port()
    platform = start_platform(state, port)
    try:
        await asyncio.to_thread(wait_for_health, port, everything_up)
        nats_url = (state / "nats-url").read_text()
        auth = {"Authorization": f"Bearer {await first_key(nats_url)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await key_works(client, auth)
            generation = await completed_generation(client, auth)
            made = await client.post(f"/api/v1/dashboards/{generation['dashboard_id']}/share-links", headers=auth,
                                     json={"allowed_emails": [ANA]})
            assert made.status_code == 201, made.text
            link_url = made.json()["data"]["url"]
            assert (await ask_code(client, link_url)).status_code == 200
            assert (await subscribed(port, auth, generation["generation_id"]))["status"] == "completed"

            before = nats_server_process(platform)
            os.kill(before.pid, signal.SIGKILL)
            await asyncio.sleep(2)  # past the heartbeats from before the kill
            await asyncio.to_thread(wait_for_health, port, every_service_beats, 90)
            assert nats_server_process(platform).pid != before.pid

            code = await answered(lambda: ask_code(client, link_url))
            assert code.status_code == 200, code.text
            assert (await subscribed(port, auth, generation["generation_id"]))["status"] == "completed"
            assert await emails(state, 2) == 2  # the request went through its budget to the mailer
            await asyncio.to_thread(wait_for_health, port, everything_up, 30)

            # a bucket the bus lost while the services stay connected: health names it until a
            # service meets the "no stream" answer and declares it again
            nc = await connect(nats_url, "test")
            js = nc.jetstream()
            await js.delete_key_value("sharing-limits")
            await js.delete_key_value("ws-connections")
            await nc.close()
            degraded = await asyncio.to_thread(wait_for_health, port, lambda body: missing_buckets(body) == {
                "sharing": ["sharing-limits"], "gateway": ["ws-connections"]}, 30)
            assert degraded["data"]["status"] == "degraded"
            assert degraded["data"]["services"]["sharing"]["status"] == "degraded"

            assert (await ask_code(client, link_url)).status_code == 200
            assert (await subscribed(port, auth, generation["generation_id"]))["status"] == "completed"
            healthy = await asyncio.to_thread(wait_for_health, port, everything_up, 30)
            assert missing_buckets(healthy) == {}
    finally:
        platform.send_signal(signal.SIGINT)
        try:
            platform.wait(30)
        except Exception:
            platform.kill()
