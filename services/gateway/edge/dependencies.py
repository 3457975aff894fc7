"""What routes ask for, as `Annotated` dependencies: the caller, the database, the event store and
the other parts of the gateway's typed state (edge/state.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from sqlalchemy import Connection, Engine
from starlette.requests import HTTPConnection
from starlette.types import Receive, Send
from starlette.types import Scope as ASGIScope

from services.eventlog.blobs import BlobStore
from services.eventlog.store import EventStore
from services.gateway.edge.auth import TENANT_ROUTE, Principal, Scope
from services.gateway.edge.envelope import ApiError
from services.gateway.edge.state import GatewayState, state_of
from services.readmodels.consistency import wait_for_checkpoint
from services.runtime.rpc import CommandClient
from services.runtime.settings import Settings

T = TypeVar("T")

# Dependencies are `async def` so FastAPI runs them inline rather than in its thread pool. The
# middleware has already checked the key; the bearer scheme is declared in OpenAPI by
# envelope.install_openapi, not by a dependency that would parse the header a second time.


def principal_of(connection: HTTPConnection) -> Principal:
    return principal_in(connection.scope)


def principal_in(scope: ASGIScope) -> Principal:
    """The caller the auth layer let in (edge/middleware.py puts it in the request's state)."""
    principal = scope.get("state", {}).get("principal")
    if principal is None:
        raise ApiError(401, "missing API key")
    return principal


async def current_principal(connection: HTTPConnection) -> Principal:
    return principal_of(connection)


@dataclass(frozen=True)
class RequiredScope:
    """The scope a route needs; app.py gives one to every authenticated route."""

    scope: Scope

    def check(self, principal: Principal, route: object) -> None:
        if not principal.has_scope(self.scope):
            raise ApiError(403, f"{credential_words(principal)} lacks the {self.scope} scope")
        if principal.tenant_ids is not None and not _tenant_route(route):
            raise ApiError(403, "a tenant JWT may use only the routes that act for its tenants")

    async def __call__(self, connection: HTTPConnection) -> None:
        """As a dependency: for the websocket routes."""
        self.check(principal_of(connection), connection.scope.get("route"))


class ScopedRoute(APIRoute):
    """An HTTP route that checks its caller's scope itself, before FastAPI solves anything: as a
    dependency the same check cost about 25 us a request (bench/gateway.py). app.py sets `required`
    on every authenticated route; a route of another class gets the dependency instead."""

    required: RequiredScope | None = None

    async def handle(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if self.required is not None and scope["method"] in (self.methods or ()):  # else FastAPI's 405
            self.required.check(principal_in(scope), self)
        await super().handle(scope, receive, send)


def _tenant_route(route: object) -> bool:
    extra = getattr(route, "openapi_extra", None) or {}
    return all(extra.get(name) == value for name, value in TENANT_ROUTE.items())


def needs(scope: Scope) -> DependsParam:
    return Depends(RequiredScope(scope))


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.has_scope(Scope.ADMIN):
        raise ApiError(403, f"{credential_words(principal)} lacks the admin scope")
    return principal


def credential_words(principal: Principal) -> str:
    """What the caller presented, as a 403 names it."""
    return "this tenant JWT" if principal.tenant_ids is not None and principal.kind == "tenant_jwt" else "this key"


async def gateway_state(connection: HTTPConnection) -> GatewayState:
    return state_of(connection.app)


State = Annotated[GatewayState, Depends(gateway_state)]


async def read_models(state: State) -> Engine:
    return state.engine


async def event_store(state: State) -> EventStore:
    return state.store


async def command_client(state: State) -> CommandClient:
    return state.commands


async def blob_store(state: State) -> BlobStore:
    return state.blobs


async def settings(state: State) -> Settings:
    return state.settings


def part(kind: type[T]) -> Any:
    """A dependency on the part of the state a feature owns: `Annotated[Kind, part(Kind)]`."""
    async def the_part(state: State) -> T:
        return state.parts.get(kind)
    return Depends(the_part)


Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(admin_principal)]
ReadModels = Annotated[Engine, Depends(read_models)]
Store = Annotated[EventStore, Depends(event_store)]
Commands = Annotated[CommandClient, Depends(command_client)]
Blobs = Annotated[BlobStore, Depends(blob_store)]
Config = Annotated[Settings, Depends(settings)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Number of results (max 1000)")]
# Bounded: SQLite and PostgreSQL take 64-bit offsets, and no page lies beyond a billion rows.
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Number of results to skip")]


def tenant_of(principal: Principal, requested: str | None) -> str | None:
    """The tenant a request may act for: the one asked for, if the Principal allows it."""
    if not principal.may_use_tenant(requested):
        raise ApiError(403, "this credential may not act for that tenant")
    return requested


async def off_the_loop(engine: Engine, read: Callable[[Connection], T]) -> T:
    """Run `read` on a connection in a worker thread: the event loop never waits on the database."""
    def run() -> T:
        with engine.connect() as conn:
            return read(conn)

    return await asyncio.to_thread(run)


async def applied(request: Request, projection: str, seq: int) -> None:
    """Read-your-writes: answer once the projection holds the event (bounded wait)."""
    state = state_of(request.app)
    await wait_for_checkpoint(state.engine, projection, seq, state.settings.read_your_writes_timeout)
