"""Tenant JWTs already verified, remembered until their `exp` by the SHA-256 of the token.

A hit skips the header parse, the key row and the signature (an RS256 or ES256 verification
costs more than the rest of a request). Every gateway follows `events.jwtkey.>` in the log: a
key registered or deleted drops every remembered token of its project at once, so a deleted key
refuses its tokens, and a second key ends the kid-less tokens that its project's only key let in.

A token is remembered only when the read model it was checked against had applied every key
event of its project this gateway has seen (`remember`'s `applied_seq`): a row read just before
a deletion was projected can never be kept past it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from contracts import TenantJwtKeyDeleted
from contracts.upcasting import decode_event
from services.eventlog.connection import FOLLOWER_HEARTBEAT
from services.eventlog.reader import sequence_and_time
from services.gateway.edge.auth import Principal

TokenHash = bytes


def token_hash(token: str) -> TokenHash:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    until: float  # time.time() of the token's exp


class VerifiedTokens:
    def __init__(self, size: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self.size = size
        self.clock = clock
        self._tokens: dict[TokenHash, _Verified] = {}
        self._key_events: dict[str, int] = {}  # project id -> stream sequence of its newest key event seen

    def get(self, token: TokenHash) -> Principal | None:
        found = self._tokens.get(token)
        if found is None:
            return None
        if found.until <= self.clock():
            del self._tokens[token]
            return None
        return found.principal

    def key_events_seen(self, project_id: str) -> int:
        return self._key_events.get(project_id, 0)

    def remember(self, token: TokenHash, principal: Principal, applied_seq: int) -> None:
        """Keep a verified token, unless its key was checked in a read model older than a key event
        of its project already seen here (the row read may be one that event removed)."""
        if principal.expires_at is None or applied_seq < self.key_events_seen(principal.project_id):
            return
        if len(self._tokens) >= self.size:
            self._tokens.clear()  # a flood of distinct tokens costs verifications, never memory
        self._tokens[token] = _Verified(principal, principal.expires_at.timestamp())

    def key_changed(self, project_id: str, seq: int) -> None:
        self._key_events[project_id] = max(seq, self.key_events_seen(project_id))
        for token, verified in list(self._tokens.items()):
            if verified.principal.project_id == project_id:
                del self._tokens[token]

    async def follow_key_changes(self, nc: Client) -> None:
        async def on_event(msg) -> None:
            event = decode_event(msg.data)
            self.key_changed(event.project_id, sequence_and_time(msg.reply)[0])

        # Stored events only (a JetStream consumer), from now on: what was cached before is empty.
        await nc.jetstream().subscribe(f"events.{TenantJwtKeyDeleted.aggregate}.>", cb=on_event,
                                       ordered_consumer=True, deliver_policy=DeliverPolicy.NEW,
                                       idle_heartbeat=FOLLOWER_HEARTBEAT)
