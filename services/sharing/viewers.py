"""The people who open a link: opening it, asking for a code, proving an address with it.

No answer tells whether an address is allowed: a code request answers the same either way (the
code is decided, stored and emailed after the answer, in the background), and a wrong address
fails a code check exactly like a wrong code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from contracts import Event, ShareLinkCodeRejected, ShareLinkCodeSent, ShareLinkSessionOpened, ShareLinkViewed
from contracts.rpc import Refused
from contracts.sharing_commands import (
    CodeRequested,
    DashboardToDraw,
    OpenLink,
    RequestCode,
    SignInNeeded,
    VerifyCode,
    ViewerSession,
)
from services.eventlog.commands import execute
from services.eventlog.store import ConcurrencyError
from services.sharing.commands import normalized_email, token_digest
from services.sharing.context import SharingContext
from services.sharing.limits import CodeRequestLimits
from services.sharing.links import AGGREGATE, ShareLink, link_from, load_link
from services.sharing.mail import code_message
from services.sharing.models import share_links
from services.sharing.personal import LinkKey
from services.sharing.queries import ShareLinkQueries

log = logging.getLogger(__name__)
CODE_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
WRONG_CODE = ("That code is wrong or no longer valid. A code works once, for 10 minutes and 5 tries: "
              "ask for a new one if needed.")
APPEND_ATTEMPTS = 10  # each conflict is another append that landed; wrong codes stop after 5
USER_AGENT_CHARS = 256


class LinkViewers:
    def __init__(self, context: SharingContext, queries: ShareLinkQueries, limits: CodeRequestLimits, mailer,
                 sender: str) -> None:
        self.store, self.engine, self.personal, self.clock = context.store, context.engine, context.personal, context.clock
        self.queries = queries
        self.limits = limits
        self.mailer = mailer
        self.sender = sender
        self.background: set[asyncio.Task] = set()

    async def open(self, command: OpenLink) -> DashboardToDraw | SignInNeeded:
        link = await self._live_link(command.token)
        now = self.clock.now()
        viewer = None
        if link.private:
            session = link.session(token_digest(command.session), now) if command.session else None
            if session is None:
                return SignInNeeded()
            viewer = session.email_hash
        await self.store.append(ShareLinkViewed(project_id=link.project_id, aggregate_id=link.link_id, occurred_at=now,
                                                payload={"viewer_email_hash": viewer,
                                                         "user_agent": shown_user_agent(command.user_agent)}))
        return DashboardToDraw(dashboard_id=link.issued.payload.dashboard_id, project_id=link.project_id)

    async def request_code(self, command: RequestCode) -> CodeRequested:
        link = await self._live_link(command.token)
        email = normalized_email(command.email)
        address = hashlib.sha256(command.client_address.encode()).hexdigest()[:32]
        if not await self.limits.allow(link.link_id, address):
            raise Refused("RATE_LIMITED", "Too many codes were asked for; try again in an hour.")
        if link.private:
            task = asyncio.create_task(self._send_code(link.link_id, email))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        return CodeRequested()

    async def _send_code(self, link_id: str, email: str) -> None:
        try:
            key = await asyncio.to_thread(self.personal.key_of, link_id)
            if key is None:
                return
            email_hash, code = key.email_hash(email), f"{secrets.randbelow(1_000_000):06d}"
            if not await self._append_code(link_id, key, email_hash, code):
                return
            link = await load_link(self.store, link_id)
            if link is None:
                return
            title = await asyncio.to_thread(self.queries.dashboard_title_now, link.project_id,
                                            link.issued.payload.dashboard_id)
            minutes = int(CODE_LIFETIME.total_seconds() // 60)
            await self.mailer.send(code_message(self.sender, email, title or "shared with you", code, minutes))
            log.info("share link %s: a code was emailed", link_id)  # never the address, never the code
        except Exception:
            log.exception("share link %s: the code could not be sent", link_id)

    async def _append_code(self, link_id: str, key: LinkKey, email_hash: str, code: str) -> bool:
        """Stored before it is emailed; False when the address is not allowed (nothing is sent)."""
        def decide(history: Sequence[Event]) -> list[Event]:
            link, now = link_from(history), self.clock.now()
            if link is None or link.gone_because(now) or not link.allows(email_hash):
                return []
            return [ShareLinkCodeSent(project_id=link.project_id, aggregate_id=link_id, occurred_at=now, payload={
                "email_hash": email_hash, "code_hash": key.code_hash(email_hash, code),
                "expires_at": now + CODE_LIFETIME})]

        try:
            return bool(await execute(self.store, AGGREGATE, link_id, decide, attempts=APPEND_ATTEMPTS))
        except ConcurrencyError:
            return False

    async def verify_code(self, command: VerifyCode) -> ViewerSession:
        link = await self._live_link(command.token)
        key = await asyncio.to_thread(self.personal.key_of, link.link_id) if link.private else None
        if key is None:
            raise Refused("VALIDATION_ERROR", WRONG_CODE)
        try:
            email_hash = key.email_hash(normalized_email(command.email))
        except Refused:
            raise Refused("VALIDATION_ERROR", WRONG_CODE) from None
        check = CodeCheck(key, email_hash, command.code.strip(), self.clock.now())
        try:  # each conflict is another try on this link that landed first: count again
            await execute(self.store, AGGREGATE, link.link_id, check.decide, attempts=APPEND_ATTEMPTS)
        except ConcurrencyError:
            raise Refused("CONFLICT", "This link is busy; try again.") from None
        if check.session_expires_at is None:
            raise Refused("VALIDATION_ERROR", WRONG_CODE)
        return ViewerSession(session=check.session, expires_at=check.session_expires_at,
                             max_age=int((check.session_expires_at - check.now).total_seconds()))

    async def _live_link(self, token: str) -> ShareLink:
        """The link a token opens, as its events say now: 404 unknown, 410 expired or revoked."""
        link_id = await asyncio.to_thread(self._link_id_of, token_digest(token))
        link = await load_link(self.store, link_id) if link_id else None
        if link is None:
            raise Refused("NOT_FOUND", "There is no such link. Check that it was copied whole.")
        gone = link.gone_because(self.clock.now())
        if gone:
            raise Refused("GONE", gone)
        await self.queries.refuse_if_deleted(link.issued.payload.dashboard_id)
        return link

    def _link_id_of(self, token_sha256: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(share_links.c.link_id).where(share_links.c.token_sha256 == token_sha256)).scalar()

    async def drain(self) -> None:
        """Let codes being sent finish (on shutdown)."""
        if self.background:
            await asyncio.wait(self.background, timeout=30)


@dataclass
class CodeCheck:
    """One try of a code, decided on the link's events: a session opened, or the code rejected
    (then `session_expires_at` stays None and the answer is WRONG_CODE)."""

    key: LinkKey
    email_hash: str
    attempt: str
    now: datetime
    session: str = ""
    session_expires_at: datetime | None = None

    def decide(self, history: Sequence[Event]) -> list[Event]:
        link = link_from(history)
        if link is None:
            raise Refused("NOT_FOUND", "There is no such link. Check that it was copied whole.")
        gone = link.gone_because(self.now)
        if gone:
            raise Refused("GONE", gone)
        code = link.codes.get(self.email_hash)
        if code is None or not code.usable(self.now):
            raise Refused("VALIDATION_ERROR", WRONG_CODE)
        if not hmac.compare_digest(self.key.code_hash(self.email_hash, self.attempt), code.code_hash):
            self.session_expires_at = None
            return [ShareLinkCodeRejected(project_id=link.project_id, aggregate_id=link.link_id, occurred_at=self.now,
                                          payload={"email_hash": self.email_hash, "code_hash": code.code_hash})]
        self.session = secrets.token_urlsafe(32)
        self.session_expires_at = min(self.now + SESSION_LIFETIME, link.issued.payload.expires_at)
        return [ShareLinkSessionOpened(project_id=link.project_id, aggregate_id=link.link_id, occurred_at=self.now,
                                       payload={"email_hash": self.email_hash, "code_hash": code.code_hash,
                                                "session_sha256": token_digest(self.session),
                                                "expires_at": self.session_expires_at})]


def shown_user_agent(header: str) -> str:
    """A browser's User-Agent as the view log keeps it: no control or invisible characters (a
    NUL would not store on PostgreSQL; an escape or a bidi override would dress up the console's
    list), at most 256 characters."""
    visible = "".join(c for c in header if not unicodedata.category(c).startswith("C"))
    return " ".join(visible.split())[:USER_AGENT_CHARS]
