"""Per-project websocket limits counted in the shared KV bucket, as two gateway instances (two
NATS connections) see them: places, the race for the last one, leases of a dead gateway."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.eventlog.connection import connect
from services.gateway.realtime.limits import ProjectSockets, SocketLimits, sockets_bucket
from services.runtime.buckets import Buckets


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def two_gateways(nats_server):
    """Call with limits: answers two ProjectSockets on their own connections, and their clock."""
    connections = []

    async def make(limits: SocketLimits) -> tuple[ProjectSockets, ProjectSockets, Clock]:
        clock = Clock()
        sockets = []
        for name in ("gateway-a", "gateway-b"):
            nc = await connect(nats_server.url, name)
            connections.append(nc)
            sockets.append(ProjectSockets(Buckets(nc.jetstream()).need(sockets_bucket()), limits, clock=clock))
        return sockets[0], sockets[1], clock

    yield make
    for nc in connections:
        await nc.close()


async def test_a_project_has_n_places_over_every_gateway(two_gateways):
    a, b, _ = await two_gateways(SocketLimits(connections=2, subscriptions=10))
    assert await a.admit("p1", "c1") and await b.admit("p1", "c2")
    assert not await a.admit("p1", "c3") and not await b.admit("p1", "c3")
    assert await b.admit("p2", "c1")  # another project has its own places
    await a.release("p1", "c1")
    assert await b.admit("p1", "c3")
    assert await a.open_count("p1") == 2


async def test_gateways_racing_for_the_last_places_take_exactly_n(two_gateways):
    a, b, _ = await two_gateways(SocketLimits(connections=3, subscriptions=10))
    admitted = await asyncio.gather(*((a if n % 2 else b).admit("p1", f"c{n}") for n in range(12)))
    assert sum(admitted) == 3
    assert await b.open_count("p1") == 3


async def test_a_dead_gateways_leases_expire_and_live_ones_are_renewed(two_gateways):
    a, b, clock = await two_gateways(SocketLimits(connections=2, subscriptions=10, lease_seconds=30))
    assert await a.admit("p1", "dead") and await b.admit("p1", "alive")
    assert not await b.admit("p1", "new")
    clock.now += 20
    assert await b.renew("p1", "alive", 0)  # the live gateway renews; the dead one cannot
    clock.now += 20
    assert await b.admit("p1", "new")
    assert not await a.renew("p1", "dead", 0)  # a lost lease is not taken back by renewing
    assert await a.open_count("p1") == 2


async def test_subscriptions_are_capped_per_project(two_gateways):
    a, b, _ = await two_gateways(SocketLimits(connections=5, subscriptions=3))
    assert await a.admit("p1", "c1") and await b.admit("p1", "c2")
    assert await a.renew("p1", "c1", 2)
    assert not await b.renew("p1", "c2", 2)  # 2 + 2 > 3
    assert await b.renew("p1", "c2", 1)
    assert await a.renew("p1", "c1", 1)  # going down is always allowed
    assert await b.renew("p1", "c2", 2)
