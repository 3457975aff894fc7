"""The owner's decisions on share links: issue and revoke (and erase).

Each command loads what it needs from the log, decides, and appends with the version it loaded;
the answer waits (bounded) until the service's own read model holds the change.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from contracts import ShareLinkErased, ShareLinkIssued, ShareLinkRevoked
from contracts.sharing_commands import Caller, IssueLink, LinkQuery, RevokeLink
from services.eventlog.store import ConcurrencyError
from services.readmodels.consistency import wait_for_checkpoint
from services.sharing.context import SharingContext
from services.sharing.links import Refusal, ShareLink, load_link
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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalized_email(address: str) -> str:
    email = address.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise Refusal(422, f"not an email address: {address!r}")
    return email


class ShareLinkCommands:
    def __init__(self, context: SharingContext, queries: ShareLinkQueries) -> None:
        self.store, self.engine, self.personal = context.store, context.engine, context.personal
        self.clock, self.catch_up_seconds = context.clock, context.catch_up_seconds
        self.queries = queries

    async def issue(self, command: IssueLink) -> dict:
        caller, now = command.caller, self.clock.now()
        if caller.plan != "premium" and (command.allowed_emails or command.expires_at is not None):
            raise Refusal(403, PREMIUM_ONLY)
        emails = sorted({normalized_email(e) for e in command.allowed_emails or []})
        if len(emails) > MAX_ALLOWED_EMAILS:
            raise Refusal(422, f"at most {MAX_ALLOWED_EMAILS} allowed_emails per link")
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
            "issued_by_key_id": caller.key_id})
        seq = await self.store.append(issued, expected_last_seq=0)
        await wait_for_checkpoint(self.engine, share_link_state.name, seq, self.catch_up_seconds)
        return {**link_out(issued_row(issued), addresses, now), "token": token}

    async def revoke(self, command: RevokeLink) -> dict:
        """Revoke (at once: every viewer session ends with it) and, with `erase`, destroy the
        link's addresses. Revoking a revoked link changes nothing and answers it as it is."""
        for _ in range(5):
            link = await self._owned(command.caller, command.link_id)
            await self.queries.refuse_if_deleted(link.issued.payload.dashboard_id)
            try:
                seq = await self._append_ending(link, command.erase)
                break
            except ConcurrencyError:
                continue  # a viewer's code or session landed meanwhile: decide again
        else:
            raise Refusal(409, "this link kept changing while revoking it; try again")
        if command.erase:
            await asyncio.to_thread(self.personal.erase, link.link_id)
        await wait_for_checkpoint(self.engine, share_link_state.name, seq, self.catch_up_seconds)
        return await self.queries.link(LinkQuery(caller=command.caller, link_id=command.link_id))

    async def _append_ending(self, link: ShareLink, erase: bool) -> int:
        now, version = self.clock.now(), link.version
        if not link.revoked:
            version = await self.store.append(ShareLinkRevoked(
                project_id=link.project_id, aggregate_id=link.link_id, occurred_at=now,
                payload={"reason": "revoked by API"}), expected_last_seq=version)
        if erase and not link.erased:
            version = await self.store.append(ShareLinkErased(
                project_id=link.project_id, aggregate_id=link.link_id, occurred_at=now,
                payload={"reason": "erased by API"}), expected_last_seq=version)
        return version

    async def _owned(self, caller: Caller, link_id: str) -> ShareLink:
        link = await load_link(self.store, link_id) if _is_link_id(link_id) else None
        if link is None or link.project_id != caller.project_id:
            raise Refusal(404, "no such share link")
        return link


def _is_link_id(link_id: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{32}", link_id))


def _expiry(now: datetime, asked: datetime | None) -> datetime:
    if asked is None:
        return now + FREE_LINK_LIFETIME
    if asked.tzinfo is None:
        raise Refusal(422, "expires_at: give a time zone (e.g. 2027-01-31T12:00:00Z)")
    if asked <= now:
        raise Refusal(422, "expires_at: must be in the future")
    if asked > now + LONGEST_LIFETIME:
        raise Refusal(422, "expires_at: at most one year from now")
    return asked
