"""The `Credential` protocol: each kind (API key, tenant JWT, console session, websocket ticket)
says whether a request carries it and turns it into a Principal. The kinds live with their
features and app.py lists them, in the order the auth layer tries them; the edge knows none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.gateway.edge.auth import Principal


@dataclass(frozen=True)
class Presented:
    """What a request shows that a credential may read."""

    websocket: bool
    bearer: str  # the Authorization bearer token, or ""
    ticket: str | None  # a websocket's ?ticket=
    cookies: str  # the Cookie header of an HTTP request without a bearer, or ""


@dataclass(frozen=True)
class Admission:
    principal: Principal
    # A credential a browser sends by itself (a cookie) must prove each change with a token.
    csrf_matches: Callable[[str | None], bool] | None = None


@dataclass(frozen=True)
class NotAdmitted:
    """A credential carried but refused, with what was wrong with it (never a secret it held)."""

    reason: str


class Credential(Protocol):
    refused: str  # the 401's words when the credential is carried but opens nothing

    def carried_by(self, presented: Presented) -> bool: ...

    async def admit(self, presented: Presented) -> Admission | NotAdmitted | None: ...
