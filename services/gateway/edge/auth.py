"""Who is calling: a typed Principal, whatever credential made it (edge/credentials.py: the
`Credential` kinds app.py lists), and the scopes routes ask of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal


class Scope(StrEnum):
    """What a credential may do; each route declares the one it needs (app.py, ROUTE_SCOPES)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    EMBED = "embed"  # issue and revoke iframe tokens (a tenant JWT: for its own tenants)


# A route that acts only for the tenants its caller names (it checks `may_use_tenant`) says so
# with `openapi_extra=TENANT_ROUTE`; a tenant-bound Principal (a tenant JWT) may use no other.
TENANT_ROUTE = {"x-tenant-route": True}

# api_key: keys/credential.py; tenant_jwt: embedding/tenant_jwt.py; console_session: a console
# sign-in (edge/sessions.py), acting as the key it was opened with.
CredentialKind = Literal["api_key", "tenant_jwt", "console_session"]


@dataclass(frozen=True)
class Principal:
    project_id: str
    plan: str
    kind: CredentialKind
    subject: str  # the key id for an API key; the JWT's `sub` or the link's session id later
    scopes: frozenset[str]
    # None: every tenant of the project (an API key); a set: only those tenants (a tenant JWT).
    tenant_ids: frozenset[str] | None
    expires_at: datetime | None

    @property
    def key_id(self) -> str:
        return self.subject

    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC)

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes

    def may_use_tenant(self, tenant_id: str | None) -> bool:
        if self.tenant_ids is None:
            return True
        return tenant_id is not None and tenant_id in self.tenant_ids
