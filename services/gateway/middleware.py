"""Authentication and rate limiting in front of every /api/v1 route, as plain ASGI.

Authenticating here, from the headers alone, refuses a bad key before any body is read, and
lets the budget be keyed by project. Every answer under /api/v1 (the open health route and the
API docs aside) carries the rate-limit headers; failures to authenticate spend a per-address
budget of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.auth import ApiKeyAuthenticator
from services.gateway.envelope import failure
from services.gateway.ratelimit import Decision, RateLimiter, kv_token
from services.gateway.usage import KeyUsage

log = logging.getLogger(__name__)
OPEN_PATHS = {"/api/v1/health"}


@dataclass(frozen=True)
class Budgets:
    per_plan: dict[str, int]
    window: int = 3600
    failed_auth_limit: int = 30
    failed_auth_window: int = 600


def policy_name(window: int) -> str:
    return {3600: "hourly", 60: "minutely", 86400: "daily"}.get(window, f"per-{window}s")


class AuthAndRateLimit:
    def __init__(self, app: ASGIApp, authenticator: ApiKeyAuthenticator, limiter: RateLimiter,
                 budgets: Budgets, usage: KeyUsage) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limiter = limiter
        self.budgets = budgets
        self.usage = usage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/v1/") or path in OPEN_PATHS:
            return await self.app(scope, receive, send)
        token = _bearer(_header(scope, b"authorization"))
        principal = await self.authenticator.authenticate(token) if token else None
        if principal is None:
            budgets = self.budgets
            client = kv_token((scope.get("client") or ("unknown", 0))[0])
            decision = await self.limiter.hit(f"authfail.{client}", budgets.failed_auth_limit,
                                              budgets.failed_auth_window, "failed-auth")
            if not decision.allowed:
                return await _answer(send, failure(429, "too many failed authentication attempts", decision.headers()))
            message = "missing API key" if not token else "invalid, expired or revoked API key"
            headers = {**decision.headers(), "WWW-Authenticate": "Bearer"}
            return await _answer(send, failure(401, message, headers))
        limit = self.budgets.per_plan.get(principal.plan, self.budgets.per_plan["free"])
        decision = await self.limiter.hit(f"project.{principal.project_id}", limit, self.budgets.window,
                                          policy_name(self.budgets.window))
        if not decision.allowed:
            return await _answer(send, failure(429, f"rate limit of {limit} requests reached", decision.headers()))
        self.usage.touch(principal.key_id)
        scope.setdefault("state", {})["principal"] = principal
        await self._call_with_headers(scope, receive, send, decision)

    async def _call_with_headers(self, scope: Scope, receive: Receive, send: Send, decision: Decision) -> None:
        extra = decision.raw_headers()
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _answer(send, failure(500, "internal server error", decision.headers()))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _answer(send: Send, response) -> None:
    async def no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response({"type": "http"}, no_body, send)
