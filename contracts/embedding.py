"""Events of tenant embedding: the project's tenant-JWT verification keys, its embed origins,
Dashloom's own iframe-token signing keys, and the iframe tokens issued and revoked.

Subjects: events.jwtkey.<key_ref>, events.project.<project_id>, events.embedkey.<project_id>,
events.iframetoken.<jti>, events.embedtenant.<tenant_ref>.

No event carries a secret in the clear: an HS256 verification secret and a signing private key
enter the log only sealed (AES-GCM under the service's secrets key); a token itself never does.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from contracts.envelope import Event

TenantJwtAlgorithm = Literal["HS256", "RS256", "ES256"]
TenantJwtScope = Literal["read", "write", "embed"]  # on its own tenants' dashboards; never admin
TENANT_JWT_DEFAULT_SCOPES: tuple[TenantJwtScope, ...] = ("read", "write", "embed")
EMBED_ISSUER = "dashloom"


def project_audience(project_id: str) -> str:
    """The `aud` a tenant JWT must carry for this project (fixed, shown by GET /api/v1/project)."""
    return f"dashloom:project:{project_id}"


def embed_audience(project_id: str) -> str:
    """The `aud` of the iframe tokens Dashloom signs for this project."""
    return f"dashloom:embed:{project_id}"


def _ref(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def jwt_key_ref(project_id: str, kid: str) -> str:
    """The aggregate id of a project's verification key `kid` (kids are the project's own names)."""
    return _ref("jwtkey", project_id, kid)


def tenant_ref(project_id: str, tenant_id: str) -> str:
    """The aggregate id of a project's tenant, for its embedding events (tenant ids are free text)."""
    return _ref("tenant", project_id, tenant_id)


class TenantJwtKeyRegisteredPayload(BaseModel):
    kid: str = Field(max_length=128)
    alg: TenantJwtAlgorithm
    public_key_pem: str | None = Field(default=None, description="RS256 and ES256: the PEM public key")
    sealed_secret: str | None = Field(default=None, description="HS256: the shared secret, sealed with AES-GCM")
    fingerprint: str | None = Field(default=None, description="RS256, ES256: SHA-256 of the public key (DER), "
                                                              "first 16 hex digits, to recognise it")
    scopes: list[TenantJwtScope] | None = Field(default=None, description=(
        "What a tenant JWT signed by this key may do on its own tenants' dashboards; None (a key registered "
        "before keys had scopes): read, write and embed"))


class TenantJwtKeyRegistered(Event):
    aggregate: ClassVar[str] = "jwtkey"
    type: Literal["TenantJwtKeyRegistered"] = "TenantJwtKeyRegistered"
    version: Literal[1] = 1
    payload: TenantJwtKeyRegisteredPayload


class TenantJwtKeyDeletedPayload(BaseModel):
    kid: str


class TenantJwtKeyDeleted(Event):
    aggregate: ClassVar[str] = "jwtkey"
    type: Literal["TenantJwtKeyDeleted"] = "TenantJwtKeyDeleted"
    version: Literal[1] = 1
    payload: TenantJwtKeyDeletedPayload


class EmbedOriginsSetPayload(BaseModel):
    origins: list[str] = Field(max_length=20, description="The origins that may frame /embed pages")


class EmbedOriginsSet(Event):
    aggregate: ClassVar[str] = "project"
    type: Literal["EmbedOriginsSet"] = "EmbedOriginsSet"
    version: Literal[1] = 1
    payload: EmbedOriginsSetPayload


class EmbedSigningKeyCreatedPayload(BaseModel):
    kid: str
    alg: Literal["EdDSA"] = "EdDSA"
    public_key_pem: str
    sealed_private_key: str = Field(description="PKCS#8 PEM sealed with AES-GCM, the kid bound in")


class EmbedSigningKeyCreated(Event):
    """A new key signs the project's iframe tokens from now on; older keys still verify theirs."""

    aggregate: ClassVar[str] = "embedkey"
    type: Literal["EmbedSigningKeyCreated"] = "EmbedSigningKeyCreated"
    version: Literal[1] = 1
    payload: EmbedSigningKeyCreatedPayload


class IframeTokenIssuedPayload(BaseModel):
    dashboard_id: str
    tenant_id: str
    workspace_id: str
    kid: str
    expires_at: AwareDatetime
    issued_by: str | None = Field(default=None, description="The API key id, or `jwt:` + SHA-256 of the "
                                                            "tenant JWT's subject (a subject may be an email)")


class IframeTokenIssued(Event):
    """aggregate_id is the token's `jti`."""

    aggregate: ClassVar[str] = "iframetoken"
    type: Literal["IframeTokenIssued"] = "IframeTokenIssued"
    version: Literal[1] = 1
    payload: IframeTokenIssuedPayload


class IframeTokenRevokedPayload(BaseModel):
    reason: str | None = None


class IframeTokenRevoked(Event):
    aggregate: ClassVar[str] = "iframetoken"
    type: Literal["IframeTokenRevoked"] = "IframeTokenRevoked"
    version: Literal[1] = 1
    payload: IframeTokenRevokedPayload


class TenantIframeTokensRevokedPayload(BaseModel):
    tenant_id: str


class TenantIframeTokensRevoked(Event):
    """Every iframe token of the tenant stored before this event (by stream sequence) is revoked."""

    aggregate: ClassVar[str] = "embedtenant"
    type: Literal["TenantIframeTokensRevoked"] = "TenantIframeTokensRevoked"
    version: Literal[1] = 1
    payload: TenantIframeTokensRevokedPayload
