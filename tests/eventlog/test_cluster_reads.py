"""Reads after one's own writes, on a 3-replica EVENTS stream whose followers restart: a load made
after an append always holds that append (a follower that has not caught up never answers it)."""

from __future__ import annotations

import asyncio
import time

from contracts import GenerationStarted
from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.eventlog.stream import ensure_events_stream
from tests.factories import new_id, requested
from tests.fixtures.cluster import LocalCluster, wait_for

ROUNDS_FOR = 25.0  # seconds of append-then-load rounds at least
ROUNDS = 100  # and rounds at least: a busy machine makes fewer per second (37 in 25 s once)
MOST_SECONDS = 120.0


async def replicated_store(cluster: LocalCluster):
    nc = await wait_for(lambda: connect(cluster.url, "cluster-reads"), 30, what="a connection")
    js = nc.jetstream()
    await wait_for(lambda: _stream_made(js), 30, what="a 3-replica EVENTS stream")
    return nc, EventStore(js)


async def _stream_made(js) -> bool:
    await ensure_events_stream(js, replicas=3)
    info = await js.stream_info("EVENTS")
    return bool(info.cluster and info.cluster.leader)


async def restart_followers(cluster: LocalCluster, js, stop: asyncio.Event) -> int:
    """Kill a follower of EVENTS, let appends go on without it, start it again: until `stop`."""
    restarts = 0
    while not stop.is_set():
        info = await wait_for(lambda: js.stream_info("EVENTS"), 20, what="the stream's info")
        leader = info.cluster.leader if info.cluster else None
        follower = next(node for name, node in cluster.nodes.items() if name != leader)
        follower.kill()
        await asyncio.sleep(1.0)
        follower.start()
        restarts += 1
        await asyncio.sleep(1.5)  # it catches up while the rounds read
    return restarts


async def test_a_load_after_an_append_holds_it_while_a_follower_restarts(local_cluster):
    nc, store = await replicated_store(local_cluster)
    stop = asyncio.Event()
    restarting = asyncio.create_task(restart_followers(local_cluster, store.js, stop))
    rounds, missing, started = 0, [], time.monotonic()
    try:
        while (time.monotonic() - started < ROUNDS_FOR or rounds < ROUNDS) and time.monotonic() - started < MOST_SECONDS:
            generation_id = new_id()
            first = requested(generation_id)
            try:
                await store.append(first, expected_last_seq=0)
                await store.append(first.caused(GenerationStarted, payload={"worker": "w"}))
                history = await store.load("generation", generation_id)
            except Exception:  # the bus away for a moment (an election): not a stale read
                await asyncio.sleep(0.1)
                continue
            rounds += 1
            if [e.type for e in history] != ["DashboardRequested", "GenerationStarted"]:
                missing.append((generation_id, [e.type for e in history]))
    finally:
        stop.set()
        restarts = await restarting
        await nc.close()
    assert restarts >= 3 and rounds >= ROUNDS, (restarts, rounds)
    assert missing == [], f"{len(missing)} of {rounds} loads missed an event appended before them"
