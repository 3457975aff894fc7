"""Iframe tokens: issued for one dashboard of one tenant and workspace, opened at /embed/{token},
revoked one by one (jti) or all of a tenant's at once.

A token is a JWT Dashloom signs (signing.py) over every claim: iss, aud (the project's embed
audience), jti, iat, exp, tenant_id, workspace_id, dashboard_id, with the key's kid in the header.
Opening one checks the signature and the claims, then the log itself (not a read model, which may
lag): the token's own events (issued as claimed, not revoked) and its tenant's revocations (none
stored after the token). Issued and revoked are events; the token never is.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from sqlalchemy import select

from contracts import DashboardDeleted, Event, IframeTokenIssued, IframeTokenRevoked, TenantIframeTokensRevoked
from contracts.embedding import EMBED_ISSUER, embed_audience, tenant_ref
from contracts.rpc import Refused
from contracts.sharing_commands import (
    Caller,
    DashboardToDraw,
    IframeToken,
    IframeTokenState,
    IssueIframeToken,
    OpenEmbed,
    RevokeIframeToken,
    RevokeTenantIframeTokens,
    TenantTokensRevoked,
)
from services.eventlog.commands import execute
from services.eventlog.store import ConcurrencyError, StoredEvent
from services.readmodels.consistency import wait_for_checkpoint
from services.sharing.context import SharingContext
from services.sharing.models import embeddable_dashboards
from services.sharing.projections import dashboards_to_embed
from services.sharing.signing import ALGORITHM, EmbedSigningKeys

DEFAULT_LIFETIME = timedelta(hours=1)
LONGEST_LIFETIME = timedelta(hours=24)
CLAIMS = ("iss", "aud", "jti", "iat", "exp", "tenant_id", "workspace_id", "dashboard_id")
TAMPERED = "This embed link is not valid: it was not issued by Dashloom, or it was changed."
_JTI = re.compile(r"^[0-9a-f]{32}$")


class IframeTokens:
    def __init__(self, context: SharingContext, keys: EmbedSigningKeys) -> None:
        self.store, self.engine, self.clock = context.store, context.engine, context.clock
        self.catch_up_seconds = context.catch_up_seconds
        self.keys = keys

    async def issue(self, command: IssueIframeToken) -> IframeToken:
        caller, now = command.caller, self.clock.now()
        expires_at = _expiry(now, command.valid_until)
        await self._embeddable(caller.project_id, command)
        key = await self.keys.signer(caller.project_id)
        jti = uuid.uuid4().hex
        claims = {"iss": EMBED_ISSUER, "aud": embed_audience(caller.project_id), "jti": jti,
                  "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()), "tenant_id": command.tenant_id,
                  "workspace_id": command.workspace_id, "dashboard_id": command.dashboard_id}
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
        await self.store.append(IframeTokenIssued(
            project_id=caller.project_id, aggregate_id=jti, occurred_at=now, payload={
                "dashboard_id": command.dashboard_id, "tenant_id": command.tenant_id,
                "workspace_id": command.workspace_id, "kid": key.kid, "expires_at": expires_at,
                "issued_by": caller.key_id}), expected_last_seq=0)
        return IframeToken(token=token, dashboard_id=command.dashboard_id, expires_at=claims["exp"])

    async def _embeddable(self, project_id: str, command: IssueIframeToken) -> None:
        """The dashboard exists, is not deleted, and belongs to that tenant and workspace; else 404."""
        row = await asyncio.to_thread(self._dashboard_row, project_id, command.dashboard_id)
        if row is None:  # perhaps made a moment ago: let the projection catch up once
            await wait_for_checkpoint(self.engine, dashboards_to_embed.name, await self.store.last_sequence(),
                                      self.catch_up_seconds)
            row = await asyncio.to_thread(self._dashboard_row, project_id, command.dashboard_id)
        if (row is None or row.deleted_at is not None or row.tenant_id != command.tenant_id
                or row.workspace_id != command.workspace_id or await self._deleted(command.dashboard_id)):
            raise Refused("NOT_FOUND", f"no dashboard {command.dashboard_id} for tenant {command.tenant_id!r} "
                               f"in workspace {command.workspace_id!r}")

    async def _deleted(self, dashboard_id: str) -> bool:
        """From the log itself (one direct get): a read model a moment behind must not let a deleted
        dashboard be embedded."""
        return await self.store.last_event_type(DashboardDeleted.aggregate, dashboard_id) == DashboardDeleted.__name__

    def _dashboard_row(self, project_id: str, dashboard_id: str):
        with self.engine.connect() as conn:
            return conn.execute(select(embeddable_dashboards).where(
                embeddable_dashboards.c.dashboard_id == dashboard_id,
                embeddable_dashboards.c.project_id == project_id)).first()

    async def revoke(self, command: RevokeIframeToken) -> IframeTokenState:
        """Revoking a revoked token changes nothing and answers it as it is."""
        history = await self._history(command.caller, command.jti)
        issued = history[0].event
        assert isinstance(issued, IframeTokenIssued)  # _history checked it
        now = self.clock.now()

        def decide(events: Sequence[Event]) -> list[Event]:
            if any(isinstance(event, IframeTokenRevoked) for event in events):
                return []
            return [IframeTokenRevoked(project_id=issued.project_id, aggregate_id=command.jti, occurred_at=now,
                                       payload={"reason": "revoked by API"})]

        try:
            await execute(self.store, IframeTokenIssued.aggregate, command.jti, decide, attempts=5)
        except ConcurrencyError:
            raise Refused("CONFLICT", "this token kept changing while revoking it; try again") from None
        return _token_out(issued, "revoked")

    async def _history(self, caller: Caller, jti: str) -> list[StoredEvent]:
        history = await self.store.load(IframeTokenIssued.aggregate, jti) if _JTI.fullmatch(jti) else []
        issued = history[0].event if history else None
        if (not isinstance(issued, IframeTokenIssued) or issued.project_id != caller.project_id
                or (caller.tenant_ids is not None and issued.payload.tenant_id not in caller.tenant_ids)):
            raise Refused("NOT_FOUND", "no such iframe token")  # another project's or tenant's is as absent
        return history

    async def revoke_tenant(self, command: RevokeTenantIframeTokens) -> TenantTokensRevoked:
        caller, now = command.caller, self.clock.now()
        await self.store.append(TenantIframeTokensRevoked(
            project_id=caller.project_id, aggregate_id=tenant_ref(caller.project_id, command.tenant_id),
            occurred_at=now, payload={"tenant_id": command.tenant_id}))
        return TenantTokensRevoked(tenant_id=command.tenant_id, revoked_at=now)

    async def open(self, command: OpenEmbed) -> DashboardToDraw:
        claims = await self._verified(command.token)
        history = await self.store.load(IframeTokenIssued.aggregate, claims["jti"])
        issued = history[0].event if history else None
        if not isinstance(issued, IframeTokenIssued) or not _as_issued(issued, claims):
            raise Refused("UNAUTHORIZED", TAMPERED)
        if _revoked_by_itself(history) or await self._tenant_revoked_since(issued, history[0].seq):
            raise Refused("GONE", "This embed link was revoked.")
        if await self._deleted(claims["dashboard_id"]):
            raise Refused("GONE", "This dashboard was deleted.")
        return DashboardToDraw(dashboard_id=claims["dashboard_id"], project_id=issued.project_id)

    async def _verified(self, token: str) -> dict:
        """The token's claims, checked: 401 when anything was changed, 410 when it expired."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self.keys.verifier(kid) if isinstance(kid, str) else None
            if key is None:
                raise Refused("UNAUTHORIZED", TAMPERED)
            # exp is checked below against the service's clock (which tests move), not PyJWT's
            claims = jwt.decode(token, key.public_key, algorithms=[ALGORITHM], audience=embed_audience(key.project_id),
                                issuer=EMBED_ISSUER, options={"require": list(CLAIMS), "verify_exp": False,
                                                              "verify_iat": False})
        except jwt.InvalidTokenError:
            raise Refused("UNAUTHORIZED", TAMPERED) from None
        if not all(isinstance(claims[name], str) for name in ("jti", "tenant_id", "workspace_id", "dashboard_id")):
            raise Refused("UNAUTHORIZED", TAMPERED)
        if not isinstance(claims["exp"], int) or claims["exp"] <= self.clock.now().timestamp():
            raise Refused("GONE", "This embed link expired.")
        return claims

    async def _tenant_revoked_since(self, issued: IframeTokenIssued, issued_seq: int) -> bool:
        """A revocation of every token of the tenant, stored after this token was issued."""
        ref = tenant_ref(issued.project_id, issued.payload.tenant_id)
        return await self.store.aggregate_version(TenantIframeTokensRevoked.aggregate, ref) > issued_seq


def _as_issued(issued: IframeTokenIssued, claims: dict) -> bool:
    payload = issued.payload
    return (claims["aud"] == embed_audience(issued.project_id) and claims["tenant_id"] == payload.tenant_id
            and claims["workspace_id"] == payload.workspace_id and claims["dashboard_id"] == payload.dashboard_id
            and claims["exp"] == int(payload.expires_at.timestamp()))


def _revoked_by_itself(history: list[StoredEvent]) -> bool:
    return any(isinstance(stored.event, IframeTokenRevoked) for stored in history)


def _token_out(issued: IframeTokenIssued, status: Literal["revoked"]) -> IframeTokenState:
    payload = issued.payload
    return IframeTokenState(jti=issued.aggregate_id, tenant_id=payload.tenant_id, workspace_id=payload.workspace_id,
                            dashboard_id=payload.dashboard_id, expires_at=int(payload.expires_at.timestamp()),
                            status=status)


def _expiry(now: datetime, valid_until: int | None) -> datetime:
    if valid_until is None:
        return now + DEFAULT_LIFETIME
    asked = datetime.fromtimestamp(valid_until, UTC)
    if asked <= now:
        raise Refused("VALIDATION_ERROR", "valid_until: must be in the future (unix seconds)")
    if asked > now + LONGEST_LIFETIME:
        raise Refused("VALIDATION_ERROR", "valid_until: at most 24 hours from now")
    return asked
