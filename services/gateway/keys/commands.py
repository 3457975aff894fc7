"""API keys, as events appended to the log: issue, rotate, revoke (each decided on the key's own events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts import ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated, Event
from contracts.projects import ApiKeyIssuedPayload
from services.eventlog.commands import Rejected, execute
from services.eventlog.store import EventStore
from services.gateway.keys.format import display_prefix, key_digest, new_api_key


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    key: str  # shown once, never stored
    seq: int


def new_id() -> str:
    return uuid.uuid4().hex


async def issue_api_key(store: EventStore, project_id: str, name: str, scopes: list[str],
                        expires_at: datetime | None = None, replaces_key_id: str | None = None,
                        key_id: str | None = None) -> IssuedKey:
    key, key_id = new_api_key(), key_id or new_id()
    issued = ApiKeyIssued(project_id=project_id, aggregate_id=key_id, payload={
        "name": name, "prefix": display_prefix(key), "key_sha256": key_digest(key), "scopes": scopes,
        "expires_at": expires_at, "replaces_key_id": replaces_key_id})
    return IssuedKey(key_id, key, await store.append(issued, expected_last_seq=0))


async def rotate_api_key(store: EventStore, project_id: str, key_id: str, grace: timedelta,
                         ) -> tuple[IssuedKey, datetime]:
    """A new key now; the old one keeps working until the grace period ends (Stripe's "roll key").

    The successor is issued only once ApiKeyRotated, decided on the old key's own events, is in
    the log: a rotation that loses a race leaves no key behind.
    """
    successor_id, old_expires = new_id(), datetime.now(UTC) + grace
    rotated: list[ApiKeyIssuedPayload] = []  # the old key, as the winning decision saw it

    def decide(history: Sequence[Event]) -> list[Event]:
        old = _live_key(history, project_id)
        rotated[:] = [old]
        return [ApiKeyRotated(project_id=project_id, aggregate_id=key_id,
                              payload={"new_key_id": successor_id, "expires_at": old_expires})]

    await execute(store, "apikey", key_id, decide)
    old = rotated[0]
    successor = await issue_api_key(store, project_id, old.name, old.scopes, replaces_key_id=key_id,
                                    key_id=successor_id)
    return successor, old_expires  # its sequence follows ApiKeyRotated's: waiting for it waits for both


async def revoke_api_key(store: EventStore, project_id: str, key_id: str) -> int:
    def decide(history: Sequence[Event]) -> list[Event]:
        _live_key(history, project_id, rotated_ok=True)
        return [ApiKeyRevoked(project_id=project_id, aggregate_id=key_id, payload={"reason": "revoked by API"})]

    seq, = await execute(store, "apikey", key_id, decide)
    return seq


def _live_key(history: Sequence[Event], project_id: str, rotated_ok: bool = False) -> ApiKeyIssuedPayload:
    """The key's issue as its own events tell it, if the key may still change."""
    if not history or history[0].project_id != project_id or not isinstance(history[0], ApiKeyIssued):
        raise Rejected("no such API key", not_found=True)
    if any(isinstance(event, ApiKeyRevoked) for event in history):
        raise Rejected("no such active API key", not_found=True)
    if not rotated_ok and any(isinstance(event, ApiKeyRotated) for event in history):
        raise Rejected("this key was already rotated")
    return history[0].payload
