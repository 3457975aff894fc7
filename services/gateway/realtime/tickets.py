"""Single-use websocket tickets: browsers cannot set headers on a websocket, so an authenticated
caller trades its credential for a ticket (30 s, kept in a JetStream KV bucket so any gateway can
redeem it) and connects with `?ticket=`. The auth layer redeems it into the caller's Principal."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime

import orjson
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.gateway.edge.auth import Principal
from services.gateway.edge.credentials import Admission, Presented
from services.runtime.buckets import Bucket

TICKETS = "ws-tickets"
TICKET_SECONDS = 30
TICKET = re.compile(r"[A-Za-z0-9_-]{16,64}")  # secrets.token_urlsafe(24): 32 such characters


def tickets_config(replicas: int = 1) -> KeyValueConfig:
    """In files, replicated as the stream is: a majority of the cluster keeps tickets answering."""
    return KeyValueConfig(bucket=TICKETS, ttl=TICKET_SECONDS, history=1, storage=StorageType.FILE, replicas=replicas)


class WebsocketTicket:
    """The credential of a browser's websocket: `?ticket=`, single use (a browser cannot send an
    Authorization header on a websocket). Issued and redeemed through the gateway's `Bucket` of
    tickets, which it declares at start and again after a bus restart, with its replicas."""

    refused = "missing API key"

    def __init__(self, tickets: Bucket) -> None:
        self.tickets = tickets

    def carried_by(self, presented: Presented) -> bool:
        return presented.websocket and not presented.bearer and bool(presented.ticket)

    async def admit(self, presented: Presented) -> Admission | None:
        principal = await self.redeem(presented.ticket or "")
        return None if principal is None else Admission(principal)

    async def issue(self, principal: Principal, seconds: float = TICKET_SECONDS) -> str:
        """A new ticket for the principal, good for `seconds` (the bucket's TTL only sweeps; the
        redeeming gateway checks the time written in the ticket)."""
        ticket, seconds = secrets.token_urlsafe(24), min(seconds, TICKET_SECONDS)  # the bucket keeps none longer
        await self.tickets.put(ticket, orjson.dumps({
            "valid_until": time.time() + seconds,
            "project_id": principal.project_id, "plan": principal.plan, "kind": principal.kind,
            "subject": principal.subject, "scopes": sorted(principal.scopes),
            "tenant_ids": sorted(principal.tenant_ids) if principal.tenant_ids is not None else None,
            "expires_at": principal.expires_at.isoformat() if principal.expires_at else None}))
        return ticket

    async def redeem(self, ticket: str) -> Principal | None:
        """The Principal the ticket was issued to, once; None when unknown, expired or used, or not a
        ticket at all ('>' or '*' would reach the bucket as a subject wildcard)."""
        if not TICKET.fullmatch(ticket):
            return None
        try:
            entry = await self.tickets.get(ticket)
            await self.tickets.delete(ticket, last=entry.revision)
        except (KeyNotFoundError, KeyWrongLastSequenceError):
            return None
        if not entry.value:
            return None
        held = orjson.loads(entry.value)
        if held["valid_until"] <= time.time():
            return None
        return Principal(
            project_id=held["project_id"], plan=held["plan"], kind=held["kind"], subject=held["subject"],
            scopes=frozenset(held["scopes"]),
            tenant_ids=frozenset(held["tenant_ids"]) if held["tenant_ids"] is not None else None,
            expires_at=datetime.fromisoformat(held["expires_at"]) if held["expires_at"] else None)
