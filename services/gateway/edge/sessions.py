"""Console sessions: the credential kind "console_session" of the one auth layer.

Signing in at /console trades an API key (checked by the auth layer like any bearer) for a
session kept server-side in a JetStream KV bucket, so any gateway instance knows it. The browser
holds only the session id, in an HttpOnly, SameSite=Strict cookie; the bucket holds the SHA-256
of that id (a leaked bucket opens nothing) and the key's SHA-256, never the key. Each request
looks the key up again by its digest, so a revoked or rotated-out key ends its sessions at once.
Every request that changes something carries the session's CSRF token, or is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import orjson
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError
from starlette.requests import cookie_parser

from services.eventlog.buckets import key_value_bucket
from services.gateway.edge.auth import Principal
from services.gateway.edge.credentials import Admission, Presented

BUCKET = "console_sessions"
SESSION_COOKIE = "dashloom_console"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_bucket(js: JetStreamContext, max_age: float, replicas: int = 1):
    """Entries vanish after `max_age` by the bucket's own TTL, even if nobody signs out."""
    return await key_value_bucket(js, KeyValueConfig(bucket=BUCKET, history=1, ttl=max_age,
                                                     storage=StorageType.FILE, replicas=replicas))


@dataclass(frozen=True)
class ConsoleSession:
    handle: str  # SHA-256 of the session id: the bucket's key
    key_digest: str
    key_id: str
    project_id: str
    csrf: str
    expires_at: datetime

    def csrf_matches(self, token: str | None) -> bool:
        # bytes: compare_digest raises on a str with non-ASCII characters (a forged header would be a 500)
        return bool(token) and hmac.compare_digest(str(token).encode(), self.csrf.encode())

    def expired(self) -> bool:
        return self.expires_at <= datetime.now(UTC)


def _handle(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class ConsoleSessions:
    def __init__(self, kv, max_age: float) -> None:
        self.kv = kv
        self.max_age = max_age

    async def open(self, key_digest: str, principal: Principal) -> tuple[str, ConsoleSession]:
        """A new session for an API key's Principal: (the id for the cookie, the session)."""
        session_id = secrets.token_urlsafe(32)
        session = ConsoleSession(_handle(session_id), key_digest, principal.key_id, principal.project_id,
                                 secrets.token_urlsafe(32), datetime.now(UTC) + timedelta(seconds=self.max_age))
        await self.kv.put(session.handle, orjson.dumps({
            "key_digest": session.key_digest, "key_id": session.key_id, "project_id": session.project_id,
            "csrf": session.csrf, "expires_at": session.expires_at.isoformat()}))
        return session_id, session

    async def find(self, session_id: str | None) -> ConsoleSession | None:
        if not session_id or len(session_id) > 100:
            return None
        handle = _handle(session_id)
        try:
            entry = await self.kv.get(handle)
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        held = orjson.loads(entry.value)
        session = ConsoleSession(handle, held["key_digest"], held["key_id"], held["project_id"], held["csrf"],
                                 datetime.fromisoformat(held["expires_at"]))
        return None if session.expired() else session

    async def close(self, session: ConsoleSession) -> None:
        await self.kv.purge(session.handle)


class KeyDigests(Protocol):
    async def authenticate_digest(self, digest: str) -> Principal | None: ...


class SessionCredential:
    """The cookie of a request -> its console session and the Principal of the key behind it.
    A websocket never opens on the cookie: the console asks for a ticket with it."""

    refused = "the console session has ended: sign in again"

    def __init__(self, sessions: ConsoleSessions, keys: KeyDigests) -> None:
        self.sessions = sessions
        self.keys = keys

    def carried_by(self, presented: Presented) -> bool:
        return not presented.websocket and not presented.bearer and self.has_cookie(presented.cookies)

    async def admit(self, presented: Presented) -> Admission | None:
        session, principal = await self.resolve(presented.cookies)
        if session is None or principal is None:
            return None
        return Admission(principal, csrf_matches=session.csrf_matches)

    async def resolve(self, cookie_header: str) -> tuple[ConsoleSession | None, Principal | None]:
        """(None, None) without a session cookie; (session or None, None) when it no longer opens."""
        session_id = cookie_parser(cookie_header).get(SESSION_COOKIE) if cookie_header else None
        if not session_id:
            return None, None
        session = await self.sessions.find(session_id)
        if session is None:
            return None, None
        principal = await self.keys.authenticate_digest(session.key_digest)
        if principal is None or principal.project_id != session.project_id:
            return session, None
        return session, replace(principal, kind="console_session")

    def has_cookie(self, cookie_header: str) -> bool:
        return bool(cookie_header) and SESSION_COOKIE in cookie_parser(cookie_header)
