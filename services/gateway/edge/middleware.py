"""The auth layer in front of every /api/v1 route and websocket, as plain ASGI.

Authenticating here, from the headers alone, refuses a bad key before any body is read, and
lets the budget be keyed by project. The Principal it makes is what every route and websocket
receives (edge/dependencies.py); the scope each route needs is checked from app.py's one
table. Every answer under /api/v1 (the open health route and the API docs aside) carries the
rate-limit headers; failures to authenticate spend a per-address budget of their own. While
the bus is away, callers get 503 with Retry-After instead of an error of ours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson
from nats.aio.client import Client
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.eventlog.connection import BUS_UNAVAILABLE
from services.gateway.edge.auth import Principal
from services.gateway.edge.credentials import Admission, Credential, NotAdmitted, Presented
from services.gateway.edge.envelope import bus_unavailable, failure
from services.gateway.edge.ratelimit import Decision, RateLimiter, kv_token
from services.gateway.edge.sessions import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, SessionCredential

log = logging.getLogger(__name__)
OPEN_PATHS = {"/api/v1/health", "/api/v1/health/live"}
# The console's pages answer to its session cookie (and only these paths are open without one).
CONSOLE, CONSOLE_OPEN = "/console", ("/console/sign-in", "/console/static/")
FORM_BYTES = 16 * 1024
# Close codes for a websocket refused before it is accepted (RFC 6455: policy, try again later).
WS_POLICY_VIOLATION, WS_TRY_AGAIN_LATER = 1008, 1013


@dataclass(frozen=True)
class Budgets:
    per_plan: dict[str, int]
    window: int = 3600
    failed_auth_limit: int = 30
    failed_auth_window: int = 600


def policy_name(window: int) -> str:
    return {3600: "hourly", 60: "minutely", 86400: "daily"}.get(window, f"per-{window}s")


async def spend_project_budget(limiter: RateLimiter, budgets: Budgets, principal: Principal) -> Decision:
    """One request of the project's budget: every API request, and every lookup a websocket asks."""
    limit = budgets.per_plan.get(principal.plan, budgets.per_plan["free"])
    return await limiter.hit(f"project.{principal.project_id}", limit, budgets.window, policy_name(budgets.window))


class AuthAndRateLimit:
    def __init__(self, app: ASGIApp, credentials: Sequence[Credential], limiter: RateLimiter, budgets: Budgets,
                 admitted: Callable[[Principal], None], bus: Client, sessions: SessionCredential) -> None:
        """`credentials`: the kinds, tried in order (app.py); `admitted` hears of every caller let in;
        `sessions` also guards the console's pages."""
        self.app = app
        self.credentials = credentials
        self.sessions = sessions
        self.limiter = limiter
        self.budgets = budgets
        self.admitted = admitted
        self.bus = bus

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and _console_page(path):
            return await self._console_page(scope, receive, send)
        if scope["type"] not in ("http", "websocket") or not path.startswith("/api/v1/") or path in OPEN_PATHS:
            return await self.app(scope, receive, send)
        refuse = _refuse_websocket if scope["type"] == "websocket" else _answer
        if not self.bus.is_connected:
            return await refuse(send, bus_unavailable())
        try:
            refusal, decision = await self._admit(scope)
        except BUS_UNAVAILABLE:
            return await refuse(send, bus_unavailable())
        if refusal is not None:
            return await refuse(send, refusal)
        await self._call_with_headers(scope, receive, send, decision)

    async def _admit(self, scope: Scope):
        """(None, the budget's decision) for a caller let in, or (the refusal, None)."""
        presented = _presented(scope)
        credential = next((kind for kind in self.credentials if kind.carried_by(presented)), None)
        admission = await credential.admit(presented) if credential is not None else None
        if not isinstance(admission, Admission):
            budgets = self.budgets
            client = kv_token((scope.get("client") or ("unknown", 0))[0])
            decision = await self.limiter.hit(f"authfail.{client}", budgets.failed_auth_limit,
                                              budgets.failed_auth_window, "failed-auth")
            if not decision.allowed:
                return failure(429, "too many failed authentication attempts", decision.headers()), None
            message = credential.refused if credential is not None else "missing API key"
            if isinstance(admission, NotAdmitted):
                message = f"{message}: {admission.reason}"
            return failure(401, message, {**decision.headers(), "WWW-Authenticate": "Bearer"}), None
        if admission.csrf_matches is not None and scope.get("method") not in SAFE_METHODS \
                and not admission.csrf_matches(_header(scope, CSRF_HEADER.encode())):
            return failure(403, f"a change made with the console's session needs its CSRF token ({CSRF_HEADER})"), None
        principal = admission.principal
        decision = await spend_project_budget(self.limiter, self.budgets, principal)
        if not decision.allowed:
            return failure(429, f"rate limit of {decision.limit} requests reached", decision.headers()), None
        self.admitted(principal)
        scope.setdefault("state", {})["principal"] = principal
        return None, decision

    async def _call_with_headers(self, scope: Scope, receive: Receive, send: Send, decision: Decision) -> None:
        if scope["type"] == "websocket":  # a handshake has no room for budget headers
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # a route with a budget of its own (iframe tokens) shows that one instead
                budget = scope.get("state", {}).get("route_budget", decision)
                message = {**message, "headers": [*message.get("headers", []), *budget.raw_headers()]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            if started:
                raise
            if isinstance(error, BUS_UNAVAILABLE):
                return await _answer(send, bus_unavailable(decision.headers()))
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            await _answer(send, failure(500, "internal server error", decision.headers()))


    async def _console_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A console page: its session's Principal, or the sign-in page; a change needs the CSRF token."""
        if not self.bus.is_connected:
            return await _answer(send, bus_unavailable())
        try:
            session, principal = await self.sessions.resolve(_header(scope, b"cookie"))
        except BUS_UNAVAILABLE:
            return await _answer(send, bus_unavailable())
        safe = scope["method"] in SAFE_METHODS
        if principal is None or session is None:
            if safe:
                return await _answer(send, RedirectResponse("/console/sign-in", status_code=303))
            return await _answer(send, PlainTextResponse("Your console session has ended: sign in again.", 401))
        if not safe:
            token, receive = await _form_token(scope, receive)
            if not session.csrf_matches(_header(scope, CSRF_HEADER.encode()) or token):
                return await _answer(send, PlainTextResponse(
                    "Refused: this form was not sent by a console page (its CSRF token is missing or wrong). "
                    "Reload the page and try again.", 403))
        state = scope.setdefault("state", {})
        state["principal"], state["console_session"] = principal, session
        await self.app(scope, receive, send)


def _console_page(path: str) -> bool:
    return (path == CONSOLE or path.startswith(CONSOLE + "/")) and not path.startswith(CONSOLE_OPEN)


async def _form_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The CSRF field of a small urlencoded form, and a `receive` that replays the body read."""
    if not _header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
        return None, receive
    body, more = b"", True
    while more and len(body) <= FORM_BYTES:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": more}

    tokens = parse_qs(body.decode("latin-1")).get(CSRF_FIELD) if not more else None
    return (tokens[0] if tokens else None), replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _presented(scope: Scope) -> Presented:
    websocket, bearer = scope["type"] == "websocket", _bearer(_header(scope, b"authorization"))
    return Presented(websocket=websocket, bearer=bearer, ticket=_websocket_ticket(scope),
                     cookies=_header(scope, b"cookie") if not websocket and not bearer else "")


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _answer(send: Send, response) -> None:
    async def no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response({"type": "http"}, no_body, send)


def _websocket_ticket(scope: Scope) -> str | None:
    """A websocket's `?ticket=` (browsers cannot send an Authorization header on a websocket)."""
    if scope["type"] != "websocket":
        return None
    tickets = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
    return tickets[0] if tickets else None


async def _refuse_websocket(send: Send, response) -> None:
    code = WS_TRY_AGAIN_LATER if response.status_code == 503 else WS_POLICY_VIOLATION
    await send({"type": "websocket.close", "code": code, "reason": orjson.loads(response.body)["code"]})
