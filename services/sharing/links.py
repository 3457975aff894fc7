"""The share-link aggregate, folded from its own events (never from a read model, which may lag)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts import (
    Event,
    ShareLinkCodeRejected,
    ShareLinkCodeSent,
    ShareLinkErased,
    ShareLinkIssued,
    ShareLinkRevoked,
    ShareLinkSessionOpened,
)
from services.eventlog.store import EventStore

AGGREGATE = ShareLinkIssued.aggregate
MAX_CODE_TRIES = 5


@dataclass
class Code:
    code_hash: str
    expires_at: datetime
    rejected: int = 0
    used: bool = False

    def usable(self, now: datetime) -> bool:
        return not self.used and self.rejected < MAX_CODE_TRIES and now < self.expires_at


@dataclass
class Session:
    email_hash: str
    expires_at: datetime


@dataclass
class ShareLink:
    link_id: str
    project_id: str
    issued: ShareLinkIssued
    version: int = 0  # stream sequence of the link's last event
    revoked: bool = False
    erased: bool = False
    codes: dict[str, Code] = field(default_factory=dict)  # email hash -> the latest code sent to it
    sessions: dict[str, Session] = field(default_factory=dict)  # session sha256 -> session

    @property
    def private(self) -> bool:
        return self.issued.payload.visibility == "private"

    def gone_because(self, now: datetime) -> str | None:
        """Why the link no longer opens, or None while it does."""
        if self.revoked:
            return "This link was revoked by its owner."
        if now >= self.issued.payload.expires_at:
            return f"This link expired on {self.issued.payload.expires_at:%Y-%m-%d %H:%M} UTC."
        return None

    def allows(self, email_hash: str) -> bool:
        return email_hash in self.issued.payload.allowed_email_hashes

    def session(self, session_sha256: str, now: datetime) -> Session | None:
        session = self.sessions.get(session_sha256)
        return session if session is not None and now < session.expires_at else None

    def apply(self, event: Event, seq: int = 0) -> None:
        self.version = seq
        payload = event.payload
        if isinstance(event, ShareLinkRevoked):
            self.revoked = True
        elif isinstance(event, ShareLinkErased):
            self.erased = True
        elif isinstance(event, ShareLinkCodeSent):
            self.codes[payload.email_hash] = Code(payload.code_hash, payload.expires_at)
        elif isinstance(event, ShareLinkCodeRejected):
            code = self.codes.get(payload.email_hash)
            if code is not None and code.code_hash == payload.code_hash:
                code.rejected += 1
        elif isinstance(event, ShareLinkSessionOpened):
            code = self.codes.get(payload.email_hash)
            if code is not None and code.code_hash == payload.code_hash:
                code.used = True
            self.sessions[payload.session_sha256] = Session(payload.email_hash, payload.expires_at)


def link_from(history: Sequence[Event]) -> ShareLink | None:
    """The link its events tell (what `execute`'s decisions see), None before it was issued."""
    if not history or not isinstance(history[0], ShareLinkIssued):
        return None
    first = history[0]
    link = ShareLink(first.aggregate_id, first.project_id, first)
    for event in history[1:]:
        link.apply(event)
    return link


async def load_link(store: EventStore, link_id: str) -> ShareLink | None:
    stored = await store.load(AGGREGATE, link_id)
    if not stored or not isinstance(stored[0].event, ShareLinkIssued):
        return None
    first = stored[0].event
    link = ShareLink(link_id, first.project_id, first, version=stored[0].seq)
    for event in stored[1:]:
        link.apply(event.event, event.seq)
    return link
