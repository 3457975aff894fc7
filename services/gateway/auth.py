"""Who is calling: API keys looked up by SHA-256 in the read model, with a short cache.

Revocation is at once on every gateway instance: each one follows `events.apikey.>` in the
log and forgets a revoked or rotated key the moment the event is stored, whatever its cache says.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from nats.aio.client import Client
from nats.js.api import DeliverPolicy
from sqlalchemy import Engine, select

from services.gateway.keys import is_well_formed, key_digest
from services.gateway.models import api_keys, projects


@dataclass(frozen=True)
class Principal:
    project_id: str
    key_id: str
    scopes: frozenset[str]
    plan: str
    expires_at: datetime | None

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC)


class ApiKeyAuthenticator:
    def __init__(self, engine: Engine, cache_seconds: float = 30.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._revoked: set[str] = set()

    async def authenticate(self, token: str) -> Principal | None:
        digest = key_digest(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            principal = cached[0]
        elif not is_well_formed(token):
            return None
        else:
            principal = await asyncio.to_thread(self._lookup, digest)
            if principal is None:
                return None
            self._cache[digest] = (principal, time.monotonic() + self.cache_seconds)
        if principal.key_id in self._revoked or principal.expired():
            return None
        return principal

    def _lookup(self, digest: str) -> Principal | None:
        query = (select(api_keys, projects.c.plan)
                 .join(projects, projects.c.project_id == api_keys.c.project_id)
                 .where(api_keys.c.key_sha256 == digest))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row.key_sha256, digest) or row.revoked_at is not None:
            return None
        return Principal(row.project_id, row.key_id, frozenset(row.scopes), row.plan, row.expires_at)

    def _forget(self, key_id: str) -> None:
        for digest, (principal, _) in list(self._cache.items()):
            if principal.key_id == key_id:
                del self._cache[digest]

    async def follow_revocations(self, nc: Client) -> None:
        async def on_event(msg) -> None:
            event = orjson.loads(msg.data)
            if event.get("type") == "ApiKeyRevoked":
                self._revoked.add(event["aggregate_id"])
            if event.get("type") in ("ApiKeyRevoked", "ApiKeyRotated"):
                self._forget(event["aggregate_id"])

        # A JetStream consumer, not a core subscription: only events the stream stored count
        # (a core subscriber would also see a publish that JetStream refused).
        await nc.jetstream().subscribe("events.apikey.>", cb=on_event, ordered_consumer=True,
                                       deliver_policy=DeliverPolicy.NEW)
