"""Tenant JWTs: a project's own backend signs them; the auth layer turns a valid one into a Principal.

The token names its project by its audience (`aud` = the project's audience, see
contracts/embedding.py) and its key by `kid`; the key the project registered under that kid fixes
the one algorithm accepted (so `alg: none` and HS256-signed-with-the-RS256-public-key both fail).
`exp` and `aud` are required (`iat`, when present, is checked), with 60 s of leeway for clocks; an
`exp` more than 24 hours ahead is refused (a leaked token must not live for years). A token without
`kid` (as the embedding guide makes them) is checked with the project's key when it has exactly one.
The tenants it may act for are `tenant_id` (one) or `tenants` (a list); `sub` names the caller
(else its tenants). Its scopes on its own tenants' dashboards: those its key's registration grants
(`read`, `write` and `embed` unless it says fewer); a `scope` claim (space-separated, OAuth style) may
narrow them, never widen them; `admin` is never granted to a tenant JWT. A refused token's 401 says
which claim was wrong, never anything it held. A verified token
is remembered until its exp (verified_tokens.py); a key deleted or added drops its project's
remembered tokens on every gateway at once, and the next request is checked against the read model.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import Engine

from contracts.embedding import TENANT_JWT_DEFAULT_SCOPES, jwt_key_ref, project_audience
from services.gateway.edge.auth import Principal
from services.gateway.edge.credentials import Admission, NotAdmitted, Presented
from services.gateway.embedding import queries
from services.gateway.embedding.projections import embedding
from services.gateway.embedding.verified_tokens import VerifiedTokens, token_hash
from services.readmodels.checkpoints import read_checkpoint
from services.runtime.sealing import SecretBox, SecretUnreadable

LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["exp", "aud"]  # iat and sub as the token has them (the embedding guide's tokens carry neither)
MAX_LIFETIME_SECONDS = 24 * 3600  # a leaked token must not outlive a day (exp counted from now)
MAX_TENANTS = 100
_AUDIENCE = re.compile(r"^dashloom:project:(?P<project>[A-Za-z0-9_-]{1,128})$")
_TENANT = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")


def looks_like_jwt(token: str) -> bool:
    return token.startswith("eyJ") and token.count(".") == 2


class TenantJwtAuthenticator:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box
        self.verified = VerifiedTokens()

    refused = "invalid or expired tenant JWT"

    def carried_by(self, presented: Presented) -> bool:
        return looks_like_jwt(presented.bearer)

    async def admit(self, presented: Presented) -> Admission | NotAdmitted:
        principal = await self.authenticate(presented.bearer)
        return principal if isinstance(principal, NotAdmitted) else Admission(principal)

    async def authenticate(self, token: str) -> Principal | NotAdmitted:
        """The Principal a valid tenant JWT stands for, or what is wrong with the token (which claim)."""
        digest = token_hash(token)
        return self.verified.get(digest) or await self._verify(token, digest)

    async def _verify(self, token: str, digest: bytes) -> Principal | NotAdmitted:
        """The token checked against its key; a valid one is remembered (verified_tokens.py)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
        except jwt.InvalidTokenError:
            return NotAdmitted("it is not a JWT")
        project_id = _project_named_by(audience)
        if project_id is None:
            return NotAdmitted("its aud claim is not a project's audience (GET /api/v1/project says yours)")
        if kid is not None and not isinstance(kid, str):
            return NotAdmitted("its kid header is not text")
        applied_seq, row = await asyncio.to_thread(self._key_row, project_id, kid)
        if row is None:
            return NotAdmitted("no key of the project its aud names has its kid" if kid else
                               "it has no kid header and the project has more or fewer than one key")
        try:
            claims = jwt.decode(token, self._verification_key(row), algorithms=[row.alg],
                                audience=project_audience(project_id), leeway=LEEWAY_SECONDS,
                                options={"require": REQUIRED_CLAIMS})
        except jwt.MissingRequiredClaimError as missing:
            return NotAdmitted(f"the {missing.claim} claim is missing")
        except jwt.ExpiredSignatureError:
            return NotAdmitted("it has expired (exp)")
        except jwt.ImmatureSignatureError:
            return NotAdmitted("it is not valid yet (iat or nbf in the future)")
        except jwt.InvalidAlgorithmError:
            return NotAdmitted(f"its key takes {row.alg} only")
        except jwt.InvalidSignatureError:
            return NotAdmitted("its signature does not verify with the key its kid names")
        except (jwt.InvalidTokenError, SecretUnreadable, ValueError):
            return NotAdmitted("it does not verify (signature, aud, exp, iat)")
        principal = _principal(project_id, row.plan, claims, frozenset(granted_scopes(row)))
        if isinstance(principal, Principal):
            self.verified.remember(digest, principal, applied_seq)
        return principal

    def _key_row(self, project_id: str, kid: str | None):
        """(the embedding checkpoint, read first: the row is at least that new; the key's row)."""
        with self.engine.connect() as conn:
            applied_seq = read_checkpoint(conn, embedding.name)
            if kid is None:  # a token as the embedding guide makes it names no key: the project's only one
                return applied_seq, queries.only_key_with_plan(conn, project_id)
            return applied_seq, queries.key_with_plan(conn, project_id, kid)

    def _verification_key(self, row):
        if row.alg == "HS256":
            return self.box.open(row.sealed_secret, jwt_key_ref(row.project_id, row.kid)).encode()
        return load_pem_public_key(row.public_key_pem.encode())


def granted_scopes(key) -> list[str]:
    """What a tenant JWT signed by this key may do (a key registered before keys had scopes: the defaults)."""
    return sorted(key.scopes if key.scopes is not None else TENANT_JWT_DEFAULT_SCOPES)


def _principal(project_id: str, plan: str, claims: dict, granted: frozenset[str]) -> Principal | NotAdmitted:
    if not _lifetime_bounded(claims["exp"]):
        return NotAdmitted("its exp is more than 24 hours ahead, or not a number")
    tenants, scopes = _tenants(claims), _scopes(claims, granted)
    if not tenants:
        return NotAdmitted(f"tenant_id (or tenants: at most {MAX_TENANTS}) is missing or not a tenant id")
    if scopes is None:
        return NotAdmitted(f"its scope claim may hold only what its key grants: {', '.join(sorted(granted))}")
    subject = claims.get("sub", f"tenant:{','.join(sorted(tenants))}")
    if not isinstance(subject, str) or not subject:
        return NotAdmitted("its sub claim is not text")
    return Principal(project_id=project_id, plan=plan, kind="tenant_jwt", subject=subject, scopes=scopes,
                     tenant_ids=tenants, expires_at=datetime.fromtimestamp(claims["exp"], UTC))


def _lifetime_bounded(exp: object) -> bool:
    """PyJWT checks `int(exp)`, so "9999999999" (text) or 1e300 pass it: a number, within a day."""
    return isinstance(exp, int | float) and exp <= time.time() + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS


def _project_named_by(audience: object) -> str | None:
    candidates = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    for candidate in candidates:
        found = _AUDIENCE.fullmatch(candidate) if isinstance(candidate, str) else None
        if found:
            return found["project"]
    return None


def _tenants(claims: dict) -> frozenset[str] | None:
    named = claims.get("tenants", [claims["tenant_id"]] if "tenant_id" in claims else [])
    if not isinstance(named, list) or not 0 < len(named) <= MAX_TENANTS:
        return None
    if not all(isinstance(tenant, str) and _TENANT.fullmatch(tenant) for tenant in named):
        return None
    return frozenset(named)


def _scopes(claims: dict, granted: frozenset[str]) -> frozenset[str] | None:
    """The token's scopes; None when it asks for one its key does not grant."""
    asked = claims.get("scope")
    if asked is None:
        return granted
    scopes = frozenset(asked.split()) if isinstance(asked, str) else frozenset()
    return scopes if scopes and scopes <= granted else None
