"""Websocket limits per project, shared by every gateway instance through a JetStream KV bucket.

One key per project holds its open websockets: {connection id: {"until": unix seconds,
"subscriptions": n}}. Every change is a compare-and-set on the key's revision, so two gateways
admitting at once cannot both take the last place. A connection's gateway renews its lease every
third of `lease_seconds`; the leases of a gateway that died without closing expire on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.runtime.buckets import Bucket

BUCKET = "ws-connections"
Held = dict[str, dict[str, float]]


@dataclass(frozen=True)
class SocketLimits:
    connections: int  # open websockets per project, over every gateway
    subscriptions: int  # generations followed at once per project, over every gateway
    lease_seconds: float = 30.0


class LimitContended(Exception):
    """The project's key kept changing under us: too many gateways writing at once."""


def sockets_bucket(replicas: int = 1) -> KeyValueConfig:
    """No write lives longer than a lease; an hour bounds forgotten keys. In files: a memory stream
    whose nodes restarted has no leader until every replica is back (a majority must be enough)."""
    return KeyValueConfig(bucket=BUCKET, history=1, ttl=3600.0, storage=StorageType.FILE, replicas=replicas)


class ProjectSockets:
    def __init__(self, bucket: Bucket, limits: SocketLimits, clock: Callable[[], float] = time.time) -> None:
        self.bucket = bucket
        self.limits = limits
        self.clock = clock

    async def admit(self, project_id: str, connection_id: str) -> bool:
        """Take a place for a new websocket; False when the project has `connections` open."""
        def take(held: Held) -> Held | None:
            if len(held) >= self.limits.connections:
                return None
            return {**held, connection_id: self._lease(0)}
        return await self._change(project_id, take)

    async def renew(self, project_id: str, connection_id: str, subscriptions: int) -> bool:
        """Extend the lease and record how many generations it follows; False (nothing written)
        when that many would take the project over `subscriptions` or the lease was lost."""
        def update(held: Held) -> Held | None:
            mine = held.get(connection_id)
            if mine is None:
                return None
            others = sum(lease["subscriptions"] for key, lease in held.items() if key != connection_id)
            if subscriptions > mine["subscriptions"] and others + subscriptions > self.limits.subscriptions:
                return None
            return {**held, connection_id: self._lease(subscriptions)}
        return await self._change(project_id, update)

    async def release(self, project_id: str, connection_id: str) -> None:
        await self._change(project_id, lambda held: {k: v for k, v in held.items() if k != connection_id})

    async def open_count(self, project_id: str) -> int:
        held, _ = await self._read(project_id)
        return len(held)

    def _lease(self, subscriptions: int) -> dict[str, float]:
        return {"until": self.clock() + self.limits.lease_seconds, "subscriptions": subscriptions}

    async def _read(self, project_id: str) -> tuple[Held, int | None]:
        try:
            entry = await self.bucket.get(project_id)
        except KeyNotFoundError:
            return {}, None
        now = self.clock()
        held = orjson.loads(entry.value) if entry.value else {}
        return {key: lease for key, lease in held.items() if lease["until"] > now}, entry.revision

    async def _change(self, project_id: str, change: Callable[[Held], Held | None], attempts: int = 50) -> bool:
        for _ in range(attempts):
            held, revision = await self._read(project_id)
            changed = change(held)
            if changed is None:
                return False
            try:
                if revision is None:
                    await self.bucket.create(project_id, orjson.dumps(changed))
                else:
                    await self.bucket.update(project_id, orjson.dumps(changed), last=revision)
                return True
            except KeyWrongLastSequenceError:
                continue  # another connection of the project changed it first: decide again
        raise LimitContended(project_id)
