"""The compose topology on one machine (three nats-servers, PostgreSQL, two gateways, two workers)
under 100 uploads while the stream's leader, a follower, a worker and a gateway are killed: every
upload a gateway acknowledged reaches exactly one outcome, and none is failed while its dashboard
exists."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.generation.dashboards import AGGREGATE as DASHBOARD
from services.generation.dashboards import target_of
from tests.fixtures.cluster import wait_for

UPLOADS = 100
AT_ONCE = 4
OUTCOMES = {"GenerationCompleted", "GenerationFailed"}
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sales_csv(number: int) -> bytes:
    return ("day,region,sales\n" + "".join(f"2024-01-{d:02d},r{d % 3},{d * number % 97}\n"
                                           for d in range(1, 29))).encode()


class Uploader:
    """Uploads with Idempotency-Keys, over whichever gateway answers; a 503 or a refused
    connection is sent again, as a client following Retry-After would."""

    def __init__(self, bases: list[str], key: str) -> None:
        self.bases, self.key = bases, key
        self.acknowledged: dict[int, str] = {}  # upload number -> generation_id
        self.turn = itertools.count()

    async def upload(self, client: httpx.AsyncClient, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": f"upload-{number}",
                   "Prefer": "respond-async"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            base = self.bases[next(self.turn) % len(self.bases)]
            try:
                answer = await client.post(f"{base}/api/v1/dashboards/generate", headers=headers, timeout=30,
                                           files={"file": (f"sales-{number}.csv", sales_csv(number), "text/csv")})
            except httpx.TransportError:  # a killed gateway: the next one
                await asyncio.sleep(0.2)
                continue
            if answer.status_code == 503:
                await asyncio.sleep(0.5)
                continue
            assert answer.status_code in (200, 202), (answer.status_code, answer.text)
            self.acknowledged[number] = answer.json()["data"]["generation_id"]
            return


async def faults(topology, uploader: Uploader, store: EventStore) -> list[str]:
    """Kill, as the uploads go on: the stream's leader, then a follower, then a worker (each started
    again later, as compose restarts them), then a gateway."""
    done: list[str] = []

    async def after(count: int) -> None:
        while len(uploader.acknowledged) < count:
            await asyncio.sleep(0.1)

    nodes = topology.cluster.nodes
    await after(10)
    leader = (await wait_for(lambda: store.js.stream_info("EVENTS"), 20, what="the stream's info")).cluster.leader
    nodes[leader].kill()
    done.append(f"leader {leader}")
    await after(30)
    nodes[leader].start()
    await after(40)
    info = await wait_for(lambda: store.js.stream_info("EVENTS"), 20, what="the stream's info")
    follower = next(name for name in nodes if name != info.cluster.leader)
    nodes[follower].kill()
    done.append(f"follower {follower}")
    await after(55)
    nodes[follower].start()
    await after(60)
    topology.kill("worker-1")
    done.append("worker-1")
    await after(65)
    topology.start("worker-1", "generation")  # compose's restart: unless-stopped
    await after(75)
    topology.kill("gateway-1")
    done.append("gateway-1")
    return done


async def outcomes_of(store: EventStore, generation_ids: list[str], seconds: float) -> dict[str, list]:
    """Each generation's events, once every one has an outcome (or `seconds` have passed)."""
    deadline = time.monotonic() + seconds
    while True:
        # never empty (it was acknowledged); a load may meet an election: asked again
        histories = {g: [e.type for e in await wait_for(lambda g=g: store.load("generation", g), 20, what=g)]
                     for g in generation_ids}
        if all(OUTCOMES & set(types) for types in histories.values()) or time.monotonic() > deadline:
            return histories
        await asyncio.sleep(1)


async def test_acknowledged_uploads_end_once_through_killed_nodes_workers_and_gateways(topology):
    key = topology.project_key()
    for name in ("gateway-1", "gateway-2"):
        topology.start(name, "gateway")
    for name in ("worker-1", "worker-2"):
        topology.start(name, "generation")
    for name in ("gateway-1", "gateway-2"):
        await asyncio.to_thread(topology.wait_until_answering, name, key)
    nc = await connect(topology.cluster.url, "fault-test")
    store = EventStore(nc.jetstream())
    uploader = Uploader(list(topology.gateways.values()), key)
    numbers = iter(range(UPLOADS))

    async def upload_all(client: httpx.AsyncClient) -> None:
        for number in numbers:
            await uploader.upload(client, number)

    started = time.monotonic()
    try:
        async with httpx.AsyncClient() as client:
            killing = asyncio.create_task(faults(topology, uploader, store))
            await asyncio.gather(*(upload_all(client) for _ in range(AT_ONCE)))
            killed = await asyncio.wait_for(killing, 30)
        assert killed[2:] == ["worker-1", "gateway-1"] and len(killed) == 4
        assert len(uploader.acknowledged) == UPLOADS

        generation_ids = list(uploader.acknowledged.values())
        uploaded_at = time.monotonic()
        histories = await outcomes_of(store, generation_ids, seconds=90)
        print(f"uploads took {uploaded_at - started:.1f} s, their outcomes {time.monotonic() - uploaded_at:.1f} s more")
        counted = {g: sum(t in OUTCOMES for t in types) for g, types in histories.items()}
        assert [g for g, n in counted.items() if n != 1] == [], "an upload without exactly one outcome"
        failed_with_a_dashboard = []
        for generation_id, types in histories.items():
            if "GenerationFailed" in types:
                requested = (await store.load("generation", generation_id))[0].event
                board = await store.load(DASHBOARD, target_of(requested))
                if board:
                    failed_with_a_dashboard.append(generation_id)
        assert failed_with_a_dashboard == []
        assert all("GenerationCompleted" in types for types in histories.values()), \
            {g: t for g, t in histories.items() if "GenerationCompleted" not in t}
    finally:
        await nc.close()
