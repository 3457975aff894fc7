"""/api/v1 embedding: tenant-JWT verification keys, the origins that may frame /embed, iframe tokens.

Keys and origins are the gateway's own (commands.py, appended here). Iframe tokens are the
sharing service's: the gateway authenticates, checks the caller may act for the tenant (the
Principal's tenants), spends the caller's token budget and forwards over NATS request-reply.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from contracts.embedding import TENANT_JWT_DEFAULT_SCOPES, TenantJwtScope, project_audience
from contracts.sharing_commands import (
    Caller,
    IframeTokenState,
    IssueIframeToken,
    RevokeIframeToken,
    RevokeTenantIframeTokens,
)
from services.eventlog.store import ConcurrencyError
from services.gateway.edge.auth import TENANT_ROUTE, Principal
from services.gateway.edge.bounds import Id, Matches, ScopeId
from services.gateway.edge.dependencies import (
    Admin,
    Commands,
    ReadModels,
    ScopedRoute,
    State,
    Store,
    applied,
    off_the_loop,
    tenant_of,
)
from services.gateway.edge.dependencies import Caller as Authenticated
from services.gateway.edge.envelope import ApiError, Success, ok
from services.gateway.edge.middleware import policy_name
from services.gateway.edge.ratelimit import Decision
from services.gateway.embedding import commands, queries
from services.gateway.embedding.commands import KeyRefused
from services.gateway.embedding.projections import embedding
from services.gateway.embedding.tenant_jwt import granted_scopes
from services.gateway.sharing.routes import UNANSWERED

keys_router = APIRouter(route_class=ScopedRoute, prefix="/api/v1/jwt-keys", tags=["Tenant JWT keys"])
origins_router = APIRouter(route_class=ScopedRoute, prefix="/api/v1/project", tags=["Project"])
tokens_router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Iframe tokens"], responses=UNANSWERED)

IFRAME_TOKENS_PER_MINUTE = 10
Kid = Annotated[str, Matches(r"^[A-Za-z0-9._:-]{1,128}$", "1 to 128 letters, digits and . _ : -")]
MAX_ORIGINS = 20
# scheme://host[:port]: nothing a Content-Security-Policy could read as another source or directive
Origin = Annotated[str, Field(max_length=300), Matches(
    r"^https?://(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*(:[0-9]{1,5})?$", "not an origin (scheme://host[:port])"), AfterValidator(str.lower)]


# Lines of text: cryptography finds a PEM block amid any bytes, and a NUL would reach the event and
# then PostgreSQL's read model, which refuses it.
PemText = Annotated[str, Field(max_length=10_000), Matches(
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
    "must not contain control characters other than line breaks")]


class JwtKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kid: Kid = Field(description="The `kid` your tokens carry in their header")
    alg: Literal["HS256", "RS256", "ES256"]
    secret: str | None = Field(default=None, max_length=512, description="HS256: the shared secret (32+ characters)")
    public_key_pem: PemText | None = Field(default=None, description="RS256 / ES256: the PEM public key")
    scopes: list[TenantJwtScope] = Field(
        default=list(TENANT_JWT_DEFAULT_SCOPES), min_length=1, max_length=3,
        description="What a tenant JWT signed by this key may do on its own tenants' dashboards (read: see them; "
                    "write: make, refresh and delete them; embed: issue their iframe tokens). A token's `scope` "
                    "claim may narrow them, never widen them; admin is never granted")

    @model_validator(mode="after")
    def _one_material(self) -> JwtKeyCreate:
        wanted = "secret" if self.alg == "HS256" else "public_key_pem"
        given = [name for name in ("secret", "public_key_pem") if getattr(self, name) is not None]
        if given != [wanted]:
            raise ValueError(f"{self.alg} takes `{wanted}` (and only it)")
        return self


class JwtKeyOut(BaseModel):
    kid: str
    alg: str
    fingerprint: str | None = Field(description="RS256 / ES256: SHA-256 of the public key (DER), first 16 hex digits")
    created_at: datetime
    audience: str = Field(description="The `aud` your tenant JWTs must carry for this project")
    scopes: list[TenantJwtScope] = Field(description="What a tenant JWT signed by this key is granted on its own "
                                                     "tenants' dashboards")


class EmbedOrigins(BaseModel):
    model_config = ConfigDict(extra="forbid")
    origins: list[Origin] = Field(max_length=MAX_ORIGINS, description="Origins whose pages may frame /embed "
                                                                       "(`frame-ancestors`); empty: none may")


TenantInPath = Annotated[ScopeId, Path()]


class IframeTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: ScopeId
    workspace_id: ScopeId
    dashboard_id: Id
    valid_until: int | None = Field(default=None, ge=0, le=10**11, strict=True,
                                    description="Unix seconds; default one hour from now, at most 24 hours")


class IframeTokenOut(BaseModel):
    token: str = Field(description="A JWT Dashloom signed; open `/embed/{token}` in an iframe. Its `jti` claim "
                                   "names it for revocation.")
    dashboard_id: str
    expires_at: int = Field(description="Unix seconds")


class TenantTokensRevokedOut(BaseModel):
    tenant_id: str
    revoked_at: datetime


@contextmanager
def _decided():
    try:
        yield
    except KeyRefused as refused:
        raise ApiError(422, str(refused)) from None
    except ConcurrencyError:
        raise ApiError(409, "this key changed meanwhile; try again") from None


def _key_out(row) -> dict:
    return {"kid": row.kid, "alg": row.alg, "fingerprint": row.fingerprint, "created_at": row.created_at,
            "audience": project_audience(row.project_id), "scopes": granted_scopes(row)}


@keys_router.post("", status_code=201, response_model=Success[JwtKeyOut])
async def register_jwt_key(body: JwtKeyCreate, caller: Admin, store: Store, engine: ReadModels, state: State,
                           request: Request):
    with _decided():
        seq = await commands.register_jwt_key(store, state.secret_box, caller.project_id, body.kid,
                                              body.alg, body.secret, body.public_key_pem, sorted(set(body.scopes)))
    await applied(request, embedding.name, seq)
    row, = await off_the_loop(engine, lambda conn: queries.jwt_keys(conn, caller.project_id, body.kid))
    return ok(_key_out(row), 201)


@keys_router.get("", response_model=Success[list[JwtKeyOut]])
async def list_jwt_keys(caller: Admin, engine: ReadModels):
    return ok([_key_out(row) for row in await off_the_loop(engine, lambda conn: queries.jwt_keys(conn, caller.project_id))])


@keys_router.delete("/{kid}", response_model=Success[JwtKeyOut])
async def delete_jwt_key(kid: Annotated[Kid, Path()], caller: Admin, store: Store, engine: ReadModels,
                         request: Request):
    rows = await off_the_loop(engine, lambda conn: queries.jwt_keys(conn, caller.project_id, kid))
    if not rows:
        raise ApiError(404, "no such JWT key")
    with _decided():
        seq = await commands.delete_jwt_key(store, caller.project_id, kid)
    await applied(request, embedding.name, seq)  # every gateway reads keys from here: refused from now on
    return ok(_key_out(rows[0]))


@origins_router.put("/embed-origins", response_model=Success[EmbedOrigins])
async def set_embed_origins(body: EmbedOrigins, caller: Admin, store: Store, request: Request):
    origins = sorted(set(body.origins))
    seq = await commands.set_embed_origins(store, caller.project_id, origins)
    await applied(request, embedding.name, seq)
    return ok({"origins": origins})


def embedding_caller(principal: Principal) -> Caller:
    """The caller as the sharing service sees it; a JWT subject (perhaps an email) only as a hash."""
    if principal.kind == "api_key":
        issued_by = principal.key_id
    else:
        issued_by = "jwt:" + hashlib.sha256(principal.subject.encode()).hexdigest()
    tenants = None if principal.tenant_ids is None else sorted(principal.tenant_ids)
    return Caller(project_id=principal.project_id, plan=principal.plan, key_id=issued_by, tenant_ids=tenants)


async def iframe_token_budget(request: Request, principal: Authenticated, state: State) -> None:
    """10 tokens a minute per caller (API key, or JWT subject), shared by every gateway; its headers
    replace the project's on this route's answers."""
    caller = hashlib.sha256(f"{principal.project_id}\0{principal.kind}\0{principal.subject}".encode()).hexdigest()
    decision: Decision = await state.limiter.hit(f"iframe.{caller[:40]}", IFRAME_TOKENS_PER_MINUTE, 60,
                                                  policy_name(60))
    request.scope.setdefault("state", {})["route_budget"] = decision
    if not decision.allowed:
        raise ApiError(429, f"at most {IFRAME_TOKENS_PER_MINUTE} iframe tokens a minute")  # headers: the middleware


@tokens_router.post("/dashboards/iframe-token", response_model=Success[IframeTokenOut],
                    dependencies=[Depends(iframe_token_budget)], openapi_extra=TENANT_ROUTE)
async def create_iframe_token(body: IframeTokenCreate, principal: Authenticated, commands: Commands):
    tenant_of(principal, body.tenant_id)
    return ok((await commands.ask(IssueIframeToken(
        caller=embedding_caller(principal), tenant_id=body.tenant_id, workspace_id=body.workspace_id,
        dashboard_id=body.dashboard_id, valid_until=body.valid_until))).model_dump())


@tokens_router.delete("/iframe-tokens/{jti}", response_model=Success[IframeTokenState], openapi_extra=TENANT_ROUTE)
async def revoke_iframe_token(jti: Annotated[str, Path(), Matches(r"^[0-9a-f]{32}$", "32 hex digits")], principal: Authenticated,
                              commands: Commands):
    return ok((await commands.ask(RevokeIframeToken(caller=embedding_caller(principal), jti=jti))).model_dump())


@tokens_router.post("/tenants/{tenant_id}/iframe-tokens/revoke", response_model=Success[TenantTokensRevokedOut],
                    openapi_extra=TENANT_ROUTE)
async def revoke_tenant_iframe_tokens(tenant_id: TenantInPath, principal: Authenticated, commands: Commands):
    tenant_of(principal, tenant_id)
    return ok((await commands.ask(RevokeTenantIframeTokens(
        caller=embedding_caller(principal), tenant_id=tenant_id))).model_dump())
