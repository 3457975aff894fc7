"""API keys, as events appended to the log: issue, rotate, revoke (each decided on the key's own events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts import ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated, Event
from contracts.envelope import subject_for
from contracts.projects import ApiKeyIssuedPayload
from contracts.rpc import Refused
from services.eventlog.commands import execute
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
                        expires_at: datetime | None = None) -> IssuedKey:
    key, key_id = new_api_key(), new_id()
    issued = ApiKeyIssued(project_id=project_id, aggregate_id=key_id, payload={
        "name": name, "prefix": display_prefix(key), "key_sha256": key_digest(key), "scopes": scopes,
        "expires_at": expires_at})
    return IssuedKey(key_id, key, await store.append(issued, expected_last_seq=0))


async def rotate_api_key(store: EventStore, project_id: str, key_id: str, grace: timedelta,
                         predecessor: str | None = None) -> tuple[IssuedKey, datetime]:
    """A new key now; the old one keeps working until the grace period ends (Stripe's "roll key").

    One append: ApiKeyRotated, decided on the old key's events, carries the successor. A rotation
    that loses its race leaves no key behind, and no crash can leave the old key pointing at a
    successor that was never issued.
    """
    key, successor_id, old_expires = new_api_key(), new_id(), datetime.now(UTC) + grace
    birth = await _birth(store, key_id, predecessor)

    def decide(history: Sequence[Event]) -> list[Event]:
        old = _live_key([*birth, *history], project_id)
        return [ApiKeyRotated(project_id=project_id, aggregate_id=key_id, payload={
            "new_key_id": successor_id, "expires_at": old_expires,
            "successor": {"name": old.name, "prefix": display_prefix(key), "key_sha256": key_digest(key),
                          "scopes": old.scopes, "expires_at": None}})]

    seq, = await execute(store, "apikey", key_id, decide)
    return IssuedKey(successor_id, key, seq), old_expires


async def revoke_api_key(store: EventStore, project_id: str, key_id: str, predecessor: str | None = None) -> int:
    birth = await _birth(store, key_id, predecessor)

    def decide(history: Sequence[Event]) -> list[Event]:
        _live_key([*birth, *history], project_id, rotated_ok=True)
        return [ApiKeyRevoked(project_id=project_id, aggregate_id=key_id, payload={"reason": "revoked by API"})]

    seq, = await execute(store, "apikey", key_id, decide)
    return seq


async def _birth(store: EventStore, key_id: str, predecessor: str | None = None) -> list[Event]:
    """How the key came to be, when its own events do not say: a key issued by a rotation begins
    with its predecessor's ApiKeyRotated (an event that never changes), read as its ApiKeyIssued.

    `predecessor` (the read model's `replaced_by`) is only where to look first: the answer is the
    predecessor's own event. Without it, or when it does not say so, every rotation is read.
    """
    own = await store.load(ApiKeyIssued.aggregate, key_id)
    if own and isinstance(own[0].event, ApiKeyIssued):
        return []
    if predecessor is not None:
        for stored in await store.load(ApiKeyRotated.aggregate, predecessor):
            if (issued := _issued_by(stored.event, key_id)) is not None:
                return [issued]
    async for batch in store.reader.batches(subject=subject_for(ApiKeyRotated.aggregate, ">")):
        for stored in batch:
            if (issued := _issued_by(stored.event, key_id)) is not None:
                return [issued]
    return []


def _issued_by(event: Event, key_id: str) -> ApiKeyIssued | None:
    if isinstance(event, ApiKeyRotated) and event.payload.new_key_id == key_id and event.payload.successor:
        return ApiKeyIssued(project_id=event.project_id, aggregate_id=key_id, occurred_at=event.occurred_at,
                            payload={**event.payload.successor.model_dump(), "replaces_key_id": event.aggregate_id})
    return None


def _live_key(history: Sequence[Event], project_id: str, rotated_ok: bool = False) -> ApiKeyIssuedPayload:
    """The key's issue as its own events tell it, if the key may still change."""
    if not history or history[0].project_id != project_id or not isinstance(history[0], ApiKeyIssued):
        raise Refused("NOT_FOUND", "no such API key")
    if any(isinstance(event, ApiKeyRevoked) for event in history):
        raise Refused("NOT_FOUND", "no such active API key")
    if not rotated_ok and any(isinstance(event, ApiKeyRotated) for event in history):
        raise Refused("CONFLICT", "this key was already rotated")
    return history[0].payload
