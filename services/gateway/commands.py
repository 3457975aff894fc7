"""What the gateway writes: projects and API keys, as events appended to the log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts import ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated, ProjectCreated
from services.eventlog.store import EventStore
from services.gateway.keys import display_prefix, key_digest, new_api_key

FIRST_KEY_SCOPES = ["admin", "read", "write"]


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    key: str  # shown once, never stored
    seq: int


def new_id() -> str:
    return uuid.uuid4().hex


async def create_project(store: EventStore, name: str, plan: str) -> tuple[str, IssuedKey]:
    project_id = new_id()
    created = ProjectCreated(project_id=project_id, aggregate_id=project_id, payload={"name": name, "plan": plan})
    await store.append(created, expected_last_seq=0)
    return project_id, await issue_api_key(store, project_id, "first key", FIRST_KEY_SCOPES)


async def issue_api_key(store: EventStore, project_id: str, name: str, scopes: list[str],
                        expires_at: datetime | None = None, replaces_key_id: str | None = None) -> IssuedKey:
    key, key_id = new_api_key(), new_id()
    issued = ApiKeyIssued(project_id=project_id, aggregate_id=key_id, payload={
        "name": name, "prefix": display_prefix(key), "key_sha256": key_digest(key), "scopes": scopes,
        "expires_at": expires_at, "replaces_key_id": replaces_key_id})
    return IssuedKey(key_id, key, await store.append(issued, expected_last_seq=0))


async def rotate_api_key(store: EventStore, project_id: str, key_id: str, name: str, scopes: list[str],
                         grace: timedelta) -> tuple[IssuedKey, datetime]:
    """A new key now; the old one keeps working until the grace period ends (Stripe's "roll key")."""
    version = await store.aggregate_version("apikey", key_id)
    successor = await issue_api_key(store, project_id, name, scopes, replaces_key_id=key_id)
    old_expires = datetime.now(UTC) + grace
    rotated = ApiKeyRotated(project_id=project_id, aggregate_id=key_id,
                            payload={"new_key_id": successor.key_id, "expires_at": old_expires})
    seq = await store.append(rotated, expected_last_seq=version)
    return IssuedKey(successor.key_id, successor.key, seq), old_expires


async def revoke_api_key(store: EventStore, project_id: str, key_id: str) -> int:
    revoked = ApiKeyRevoked(project_id=project_id, aggregate_id=key_id, payload={"reason": "revoked by API"})
    return await store.append(revoked, expected_last_seq=await store.aggregate_version("apikey", key_id))
