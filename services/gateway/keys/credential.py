"""The API-key credential: a `dl_live_` bearer, looked up by SHA-256 in the read model and cached briefly.

Revocation and rotation are at once on every gateway instance: each one follows `events.apikey.>`
in the log and applies a revocation or a rotation's end of grace from the event itself, so
neither a stale cache entry nor a read model that has not yet applied the event can let the old
key in.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.api import DeliverPolicy
from sqlalchemy import Engine

from contracts import ApiKeyRevoked, ApiKeyRotated
from contracts.upcasting import decode_event
from services.eventlog.connection import FOLLOWER_HEARTBEAT
from services.gateway.edge.auth import CredentialKind, Principal
from services.gateway.edge.credentials import Admission, Presented
from services.gateway.keys import queries
from services.gateway.keys.format import is_well_formed, key_digest


class ApiKeyAuthenticator:
    def __init__(self, engine: Engine, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        # Keyed by credential kind and digest: a tenant-bound credential of a later kind can never
        # be answered with an API key's all-tenant Principal.
        self._cache: dict[tuple[CredentialKind, str], tuple[Principal, float]] = {}
        # What the log said about a key, whatever the read model says yet: when it stops working.
        self._ends_at: dict[str, datetime] = {}

    refused = "invalid, expired or revoked API key"

    def carried_by(self, presented: Presented) -> bool:
        return bool(presented.bearer)

    async def admit(self, presented: Presented) -> Admission | None:
        principal = await self.authenticate(presented.bearer)
        return None if principal is None else Admission(principal)

    async def authenticate(self, token: str) -> Principal | None:
        digest = key_digest(token)
        # A key in the cache was well formed when it was found: only a miss pays for the checksum.
        if ("api_key", digest) not in self._cache and not is_well_formed(token):
            return None
        return await self.authenticate_digest(digest)

    async def authenticate_digest(self, digest: str) -> Principal | None:
        """The Principal of the key with this SHA-256 (a console session holds only that)."""
        cache_key: tuple[CredentialKind, str] = ("api_key", digest)
        cached = self._cache.get(cache_key)
        principal: Principal | None
        if cached is not None and cached[1] > time.monotonic():
            principal = cached[0]
        else:
            principal = await asyncio.to_thread(self._lookup, cache_key[1])
            if principal is None:
                return None
            self._cache[cache_key] = (principal, time.monotonic() + self.cache_seconds)
        if principal.expired() or self.ended(principal.key_id):
            return None
        return principal

    def ended(self, key_id: str) -> bool:
        """The log said this key stops working, and that moment has come."""
        ends_at = self._ends_at.get(key_id)
        return ends_at is not None and ends_at <= datetime.now(UTC)

    def _lookup(self, digest: str) -> Principal | None:
        with self.engine.connect() as conn:
            row = queries.key_with_plan(conn, digest)
        if row is None or not hmac.compare_digest(row.key_sha256, digest) or row.revoked_at is not None:
            return None
        return Principal(project_id=row.project_id, plan=row.plan, kind="api_key", subject=row.key_id,
                         scopes=frozenset(row.scopes), tenant_ids=None, expires_at=row.expires_at)

    def apply(self, event: ApiKeyRevoked | ApiKeyRotated) -> None:
        """A key's end as the log states it: now for a revocation, the grace's end for a rotation."""
        ends_at = datetime.min.replace(tzinfo=UTC) if isinstance(event, ApiKeyRevoked) else event.payload.expires_at
        known = self._ends_at.get(event.aggregate_id)
        self._ends_at[event.aggregate_id] = min(ends_at, known) if known else ends_at
        for cache_key, (principal, _) in list(self._cache.items()):
            if principal.key_id == event.aggregate_id:
                del self._cache[cache_key]

    async def follow_revocations(self, nc: Client) -> None:
        async def on_event(msg) -> None:
            event = decode_event(msg.data)
            if isinstance(event, ApiKeyRevoked | ApiKeyRotated):
                self.apply(event)

        # A JetStream consumer, not a core subscription: only events the stream stored count
        # (a core subscriber would also see a publish that JetStream refused).
        await nc.jetstream().subscribe(f"events.{ApiKeyRevoked.aggregate}.>", cb=on_event,
                                       ordered_consumer=True, deliver_policy=DeliverPolicy.NEW,
                                       idle_heartbeat=FOLLOWER_HEARTBEAT)
