"""Connecting to NATS with the reconnect behaviour every Dashloom process wants."""

from __future__ import annotations

import nats
from nats.aio.client import Client


async def connect(url: str, name: str) -> Client:
    """`url` may list several servers, comma-separated (the nodes of a cluster)."""
    servers = [server.strip() for server in url.split(",") if server.strip()]
    return await nats.connect(servers, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                              connect_timeout=5)
