"""The JetStream cluster as one service sees it: for each stream it needs (the events, its KV
buckets, the blob store), the leader and each replica, current or lagging or offline.

A stream without a leader can be neither written nor read consistently: a service that needs it
cannot do its work, whatever else is up. A replica offline or behind is a risk (one more node lost
and there is no majority), not yet an outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

ASK_FOR = 2.0  # seconds a stream's leader has to answer before it counts as missing
UNHEARD_FOR = 5.0  # seconds without a word from a replica before it counts as offline


async def stream_view(js: JetStreamContext, stream: str) -> dict:
    try:
        info = await asyncio.wait_for(js.stream_info(stream), ASK_FOR)
    except NotFoundError:
        return {"status": "missing", "leader": None, "replicas": []}
    except Exception as error:  # no leader answers (no quorum, an election), or the bus is away
        return {"status": "no_leader", "leader": None, "replicas": [], "error": type(error).__name__}
    cluster = info.cluster
    if cluster is None:  # a single server: it is the leader
        return {"status": "up", "leader": None, "replicas": [], "last_seq": info.state.last_seq}
    replicas = [{"name": peer.name, "current": bool(peer.current), "lag": peer.lag or 0,
                 "offline": bool(peer.offline) or (peer.active or 0) / 1e9 > UNHEARD_FOR,
                 "last_seen_seconds": round((peer.active or 0) / 1e9, 1)} for peer in cluster.replicas or []]
    reachable = 1 + sum(not r["offline"] for r in replicas)  # the leader and the replicas it hears
    status = "up" if cluster.leader else "no_leader"
    if status == "up" and reachable < (len(replicas) + 1) // 2 + 1:
        status = "no_quorum"  # a leader alone: it steps down soon, and writes fail meanwhile
    elif status == "up" and any(r["offline"] or not r["current"] for r in replicas):
        status = "lagging"
    return {"status": status, "leader": cluster.leader, "replicas": replicas, "last_seq": info.state.last_seq}


async def cluster_view(js: JetStreamContext, streams: Iterable[str]) -> dict:
    """Each needed stream's view, the servers seen in them, and the streams with no leader."""
    names = sorted(set(streams))
    views = dict(zip(names, await asyncio.gather(*(stream_view(js, name) for name in names)), strict=True))
    servers = sorted({name for view in views.values() for name in
                      [view["leader"], *(r["name"] for r in view["replicas"] if not r["offline"])] if name})
    return {"servers_seen": servers, "streams": views,
            "leaderless": [name for name, view in views.items() if view["status"] in ("no_leader", "no_quorum")]}
