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
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)

from services.gateway.edge.auth import Principal
from services.gateway.edge.credentials import Admission, Presented

TICKETS = "ws-tickets"
TICKET_SECONDS = 30
TICKET = re.compile(r"[A-Za-z0-9_-]{16,64}")  # secrets.token_urlsafe(24): 32 such characters


def tickets_config(replicas: int = 1) -> KeyValueConfig:
    """In files, replicated as the stream is: a majority of the cluster keeps tickets answering."""
    return KeyValueConfig(bucket=TICKETS, ttl=TICKET_SECONDS, history=1, storage=StorageType.FILE, replicas=replicas)


async def ticket_bucket(js):
    try:
        return await js.key_value(TICKETS)
    except BucketNotFoundError:  # the gateway declares it at start; after a bus restart, here
        return await js.create_key_value(tickets_config())


async def issue_ticket(js, principal: Principal, seconds: float = TICKET_SECONDS) -> str:
    """A new ticket for the principal, good for `seconds` (the bucket's TTL only sweeps; the
    redeeming gateway checks the time written in the ticket)."""
    ticket, seconds = secrets.token_urlsafe(24), min(seconds, TICKET_SECONDS)  # the bucket keeps none longer
    await (await ticket_bucket(js)).put(ticket, orjson.dumps({
        "valid_until": time.time() + seconds,
        "project_id": principal.project_id, "plan": principal.plan, "kind": principal.kind,
        "subject": principal.subject, "scopes": sorted(principal.scopes),
        "tenant_ids": sorted(principal.tenant_ids) if principal.tenant_ids is not None else None,
        "expires_at": principal.expires_at.isoformat() if principal.expires_at else None}))
    return ticket


async def redeem_ticket(js, ticket: str) -> Principal | None:
    """The Principal the ticket was issued to, once; None when unknown, expired or used, or not a
    ticket at all ('>' or '*' would reach the bucket as a subject wildcard)."""
    if not TICKET.fullmatch(ticket):
        return None
    bucket = await ticket_bucket(js)
    try:
        entry = await bucket.get(ticket)
        await bucket.delete(ticket, last=entry.revision)
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


class WebsocketTicket:
    """The credential of a browser's websocket: `?ticket=`, single use (a browser cannot send an
    Authorization header on a websocket)."""

    refused = "missing API key"

    def __init__(self, js) -> None:
        self.js = js

    def carried_by(self, presented: Presented) -> bool:
        return presented.websocket and not presented.bearer and bool(presented.ticket)

    async def admit(self, presented: Presented) -> Admission | None:
        principal = await redeem_ticket(self.js, presented.ticket or "")
        return None if principal is None else Admission(principal)
