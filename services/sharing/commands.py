"""The owner's decisions on share links: issue and revoke (and erase).

Each decision runs through `eventlog.commands.execute`: the link's own events, decided on, appended
with the version they had; the answer waits (bounded) until the service's own read model holds
the change.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from contracts import Event, ShareLinkErased, ShareLinkIssued, ShareLinkRevoked
from contracts.rpc import Refused
from contracts.sharing_commands import (
    Caller,
    GetLink,
    IssueLink,
    RevealLink,
    RevokeLink,
    ShareLink,
    ShareLinkWithToken,
)
from services.eventlog.commands import execute
from services.eventlog.store import ConcurrencyError
from services.readmodels.consistency import wait_for_checkpoint
from services.sharing.context import SharingContext
from services.sharing.links import AGGREGATE, link_from, load_link
from services.sharing.links import ShareLink as Link
from services.sharing.projections import issued_row, share_link_state
from services.sharing.queries import ShareLinkQueries, link_out

FREE_LINK_LIFETIME = timedelta(days=7)
LONGEST_LIFETIME = timedelta(days=365)
MAX_ALLOWED_EMAILS = 100
TOKEN_PREFIX = "sl_"
SHOWN_PREFIX_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
PREMIUM_ONLY = ("allowed_emails (a private link) and expires_at (a custom expiry) are premium options: "
                "on the free plan a share link is public and expires after 7 days")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def sealed_token_ref(link_id: str) -> str:
    """What a link's sealed token is bound to: opened under another link's id, it does not open."""
    return f"sharelink:{link_id}:token"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalized_email(address: str) -> str:
    email = address.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise Refused("VALIDATION_ERROR", f"not an email address: {address!r}")
    return email


class ShareLinkCommands:
    def __init__(self, context: SharingContext, queries: ShareLinkQueries) -> None:
        self.store, self.engine, self.personal = context.store, context.engine, context.personal
        self.clock, self.catch_up_seconds = context.clock, context.catch_up_seconds
        self.box, self.queries = context.box, queries

    async def issue(self, command: IssueLink) -> ShareLinkWithToken:
        caller, now = command.caller, self.clock.now()
        if caller.plan != "premium" and (command.allowed_emails or command.expires_at is not None):
            raise Refused("FORBIDDEN", PREMIUM_ONLY)
        emails = sorted({normalized_email(e) for e in command.allowed_emails or []})
        if len(emails) > MAX_ALLOWED_EMAILS:
            raise Refused("VALIDATION_ERROR", f"at most {MAX_ALLOWED_EMAILS} allowed_emails per link")
        expires_at = _expiry(now, command.expires_at)
        await self.queries.dashboard_title(caller.project_id, command.dashboard_id)
        link_id, token = uuid.uuid4().hex, new_token()
        addresses: dict[str, str] = {}
        if emails:  # the key and addresses are stored before any event names their hashes
            addresses = (await asyncio.to_thread(self.personal.keep, link_id, emails)).addresses
        issued = ShareLinkIssued(project_id=caller.project_id, aggregate_id=link_id, occurred_at=now, payload={
            "dashboard_id": command.dashboard_id, "visibility": "private" if emails else "public",
            "allowed_email_hashes": sorted(addresses), "expires_at": expires_at,
            "token_sha256": token_digest(token), "token_prefix": token[:SHOWN_PREFIX_LENGTH],
            "issued_by_key_id": caller.key_id,
            "sealed_token": None if emails else self.box.seal(token, sealed_token_ref(link_id))})
        seq = await self.store.append(issued, expected_last_seq=0)
        await wait_for_checkpoint(self.engine, share_link_state.name, seq, self.catch_up_seconds)
        shown = link_out(issued_row(issued), addresses, now)
        return ShareLinkWithToken(**shown.model_dump(), token=token)

    async def reveal(self, command: RevealLink) -> ShareLinkWithToken:
        """A live public link's token again, opened from its event, for its owner to copy."""
        link = await self._owned(command.caller, command.link_id)
        shown = await self.queries.link(GetLink(caller=command.caller, link_id=command.link_id))
        if shown.status != "active":
            raise Refused("GONE", f"this link is {shown.status}: create a new one")
        sealed = link.issued.payload.sealed_token
        if sealed is None:
            raise Refused("CONFLICT", "only a public link issued since links were kept sealed can be copied again; "
                                      "a private link's recipients open it with a code sent to their address")
        return ShareLinkWithToken(**shown.model_dump(), token=self.box.open(sealed, sealed_token_ref(link.link_id)))

    async def revoke(self, command: RevokeLink) -> ShareLink:
        """Revoke (at once: every viewer session ends with it) and, with `erase`, destroy the
        link's addresses. Revoking a revoked link changes nothing and answers it as it is."""
        link = await self._owned(command.caller, command.link_id)
        await self.queries.refuse_if_deleted(link.issued.payload.dashboard_id)
        now = self.clock.now()
        try:
            appended = await execute(self.store, AGGREGATE, link.link_id,
                                     lambda history: _ending(history, command.erase, now), attempts=5)
        except ConcurrencyError:  # a viewer's code or session kept landing meanwhile
            raise Refused("CONFLICT", "this link kept changing while revoking it; try again") from None
        if command.erase:
            await asyncio.to_thread(self.personal.erase, link.link_id)
        seq = appended[-1] if appended else link.version
        await wait_for_checkpoint(self.engine, share_link_state.name, seq, self.catch_up_seconds)
        return await self.queries.link(GetLink(caller=command.caller, link_id=command.link_id))

    async def _owned(self, caller: Caller, link_id: str) -> Link:
        link = await load_link(self.store, link_id) if _is_link_id(link_id) else None
        if link is None or link.project_id != caller.project_id:
            raise Refused("NOT_FOUND", "no such share link")
        return link


def _ending(history: Sequence[Event], erase: bool, now: datetime) -> list[Event]:
    """The revocation, and with `erase` the erasure, that the link does not have yet."""
    link = link_from(history)
    if link is None:
        raise Refused("NOT_FOUND", "no such share link")
    ending: list[Event] = []
    if not link.revoked:
        ending.append(ShareLinkRevoked(project_id=link.project_id, aggregate_id=link.link_id, occurred_at=now,
                                       payload={"reason": "revoked by API"}))
    if erase and not link.erased:
        ending.append(ShareLinkErased(project_id=link.project_id, aggregate_id=link.link_id, occurred_at=now,
                                      payload={"reason": "erased by API"}))
    return ending


def _is_link_id(link_id: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{32}", link_id))


def _expiry(now: datetime, asked: datetime | None) -> datetime:
    if asked is None:
        return now + FREE_LINK_LIFETIME
    if asked.tzinfo is None:
        raise Refused("VALIDATION_ERROR", "expires_at: give a time zone (e.g. 2027-01-31T12:00:00Z)")
    if asked <= now:
        raise Refused("VALIDATION_ERROR", "expires_at: must be in the future")
    if asked > now + LONGEST_LIFETIME:
        raise Refused("VALIDATION_ERROR", "expires_at: at most one year from now")
    return asked
