"""The gateway: the REST API in front of the event log and the read models.

A request's path: edge/middleware.py (key, budget) -> <feature>/routes.py -> <feature>/commands.py
(events appended) or the feature's read models -> edge/envelope.py (the answer's shape).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from nats.aio.client import Client
from sqlalchemy import Engine

from services.eventlog.blobs import BlobStore, open_blob_store
from services.eventlog.store import EventStore
from services.gateway.console import routes as console
from services.gateway.corrections import routes as corrections
from services.gateway.dashboards import routes as dashboards
from services.gateway.dashboards.specs import DashboardSpecs
from services.gateway.declaration import SERVICE
from services.gateway.docs import routes as docs
from services.gateway.docs.webhook_events import document_webhooks
from services.gateway.edge.access import AccessLog
from services.gateway.edge.auth import Scope
from services.gateway.edge.cache import AnswerCache
from services.gateway.edge.credentials import Credential
from services.gateway.edge.dependencies import RequiredScope, ScopedRoute, needs
from services.gateway.edge.envelope import documented, install_error_handlers, install_openapi
from services.gateway.edge.http_server import HttpServer, http_server_config
from services.gateway.edge.middleware import OPEN_PATHS, AuthAndRateLimit, Budgets
from services.gateway.edge.ratelimit import RateLimiter, ratelimit_config
from services.gateway.edge.sessions import ConsoleSessions, SessionCredential, session_bucket
from services.gateway.edge.state import GatewayState, Parts
from services.gateway.embedding import pages as embed_pages
from services.gateway.embedding import routes as embedding
from services.gateway.embedding.tenant_jwt import TenantJwtAuthenticator
from services.gateway.generation import routes as generation
from services.gateway.health import routes as health
from services.gateway.integrations import routes as integrations
from services.gateway.keys import routes as api_keys
from services.gateway.keys.credential import ApiKeyAuthenticator
from services.gateway.keys.usage import KeyUsage, usage_bucket
from services.gateway.metrics import routes as metrics
from services.gateway.project import routes as project
from services.gateway.realtime import routes as realtime
from services.gateway.realtime.limits import ProjectSockets, SocketLimits, sockets_bucket
from services.gateway.realtime.tickets import WebsocketTicket, tickets_config
from services.gateway.sharing import pages as share_pages
from services.gateway.sharing import routes as share_links
from services.gateway.viewer import routes as viewer
from services.gateway.viewer.bundle import VegaBundle
from services.gateway.webhooks import routes as webhooks
from services.readmodels.versions import SharedVersionReads, VersionReader
from services.runtime.buckets import Buckets
from services.runtime.rpc import CommandClient
from services.runtime.sealing import secret_box
from services.runtime.service import ServiceContext, run_service
from services.runtime.settings import Settings

API_ERRORS = documented(401, 403, 404, 422, 429, 500, 503)
ADMIN_ERRORS = documented(401, 403, 404, 409, 422, 429, 500, 503)
# Every router, in matching order, with the scope its routes need (None: no key asked) and the
# errors it documents. The one place scopes are decided; the README's API section lists them.
ROUTERS: list[tuple[APIRouter, Scope | None, dict]] = [
    (dashboards.router, Scope.READ, documented(401, 403, 404, 410, 422, 429, 500, 503)),
    (dashboards.writes, Scope.WRITE, documented(401, 403, 404, 409, 410, 422, 429, 500, 503)),
    (corrections.reads, Scope.READ, documented(401, 403, 404, 410, 422, 429, 500, 503)),
    (corrections.writes, Scope.WRITE, documented(401, 403, 404, 409, 410, 422, 429, 500, 503)),
    (health.router, None, {}),
    (docs.router, None, {}),
    (project.router, Scope.READ, API_ERRORS),
    (generation.router, Scope.WRITE, documented(401, 403, 404, 413, 415, 422, 429, 500, 503)),
    (generation.reads, Scope.READ, API_ERRORS),
    (viewer.router, Scope.READ, documented(401, 403, 404, 410, 422, 429, 500, 503)),
    (metrics.router, Scope.READ, API_ERRORS),
    (integrations.router, Scope.READ, API_ERRORS),
    (api_keys.router, Scope.ADMIN, ADMIN_ERRORS),
    (share_links.router, Scope.WRITE, documented(401, 403, 404, 409, 410, 422, 429, 500, 503)),
    (share_pages.router, None, {}),
    (webhooks.router, Scope.WRITE, documented(401, 403, 404, 409, 422, 429, 500, 503)),
    (realtime.router, Scope.READ, API_ERRORS),
    (embedding.keys_router, Scope.ADMIN, ADMIN_ERRORS),
    (embedding.origins_router, Scope.ADMIN, ADMIN_ERRORS),
    (embedding.tokens_router, Scope.EMBED, documented(401, 403, 404, 409, 410, 422, 429, 500, 503)),
    (embed_pages.router, None, {}),
    (console.api, Scope.READ, API_ERRORS),
    (console.router, None, {}),
]


@dataclass
class Gateway:
    """Everything a gateway instance holds; several instances share only NATS and the database."""

    settings: Settings
    nc: Client
    engine: Engine
    authenticator: ApiKeyAuthenticator
    tenant_jwts: TenantJwtAuthenticator
    limiter: RateLimiter
    usage: KeyUsage
    blobs: BlobStore
    sessions: ConsoleSessions
    buckets: Buckets  # the in-memory ones (rate limits, websocket counts) come back after a bus restart

    @classmethod
    async def connect(cls, settings: Settings, nc: Client, engine: Engine, buckets: Buckets | None = None) -> Gateway:
        js = nc.jetstream()
        buckets = buckets or Buckets(js)
        window = max(settings.rate_limit_window, settings.failed_auth_window)
        authenticator = ApiKeyAuthenticator(engine, settings.api_key_cache_seconds)
        await authenticator.follow_revocations(nc)
        ratelimits = buckets.need(ratelimit_config(settings.stream_replicas, window))
        await ratelimits.handle()
        await buckets.need(sockets_bucket(settings.stream_replicas)).handle()  # realtime/routes.py counts in it
        await buckets.need(tickets_config(settings.stream_replicas)).handle()
        tenant_jwts = TenantJwtAuthenticator(engine, secret_box(settings.secrets_key, settings.state_dir))
        await tenant_jwts.verified.follow_key_changes(nc)
        return cls(settings, nc, engine, authenticator, tenant_jwts, RateLimiter(ratelimits),
                   KeyUsage(await usage_bucket(js, settings.stream_replicas), settings.api_key_usage_interval),
                   open_blob_store(settings.blob_backend, settings.blob_dir, js, settings.stream_replicas),
                   ConsoleSessions(await session_bucket(js, settings.console_session_seconds, settings.stream_replicas),
                                   settings.console_session_seconds), buckets)

    def credentials(self, sessions: SessionCredential) -> list[Credential]:
        """Every credential kind, in the order the auth layer tries them: a bearer is a tenant JWT
        when it looks like one, else an API key; a websocket's ticket; a console page's cookie."""
        return [self.tenant_jwts, self.authenticator, self.tickets, sessions]

    @property
    def tickets(self) -> WebsocketTicket:
        return WebsocketTicket(self.buckets.need(tickets_config(self.settings.stream_replicas)))

    def state(self) -> GatewayState:
        """The app's typed state; the parts are the objects features own, each asked for by its class."""
        s, js = self.settings, self.nc.jetstream()
        sockets = ProjectSockets(self.buckets.need(sockets_bucket(s.stream_replicas)), SocketLimits(
            s.ws_connections_per_project, s.ws_subscriptions_per_project, s.ws_lease_seconds))
        return GatewayState(
            settings=s, nc=self.nc, js=js, store=EventStore(js), engine=self.engine,
            commands=CommandClient(self.nc, s.sharing_request_timeout), limiter=self.limiter, budgets=self.budgets,
            blobs=self.blobs, console_sessions=self.sessions, secret_box=self.tenant_jwts.box,
            answers=AnswerCache(), versions=SharedVersionReads(VersionReader(self.engine)), buckets=self.buckets,
            parts=Parts(DashboardSpecs(self.engine, self.blobs), VegaBundle(), self.usage, self.authenticator,
                        sockets, self.tickets))

    @property
    def budgets(self) -> Budgets:
        s = self.settings
        return Budgets({"free": 1000, **s.rate_limits}, s.rate_limit_window, s.failed_auth_limit, s.failed_auth_window)


def create_app(gateway: Gateway) -> FastAPI:
    app = _new_app()
    api = _api()
    app.router.routes[:] = api.router.routes  # its /openapi.json too, serving the one document
    app.webhooks, app.openapi = api.webhooks, api.openapi  # type: ignore[method-assign]
    app.state.gateway = gateway.state()
    install_error_handlers(app)
    sessions = SessionCredential(gateway.sessions, gateway.authenticator)
    app.add_middleware(AuthAndRateLimit, credentials=gateway.credentials(sessions), limiter=gateway.limiter,
                       budgets=gateway.budgets, admitted=gateway.usage.admitted, bus=gateway.nc, sessions=sessions)
    app.add_middleware(AccessLog)  # added last: outermost, so it sees the auth layer's refusals too
    return app


def _new_app() -> FastAPI:
    # No slash redirects: Starlette builds their Location from the Host header, so `Host:
    # evil.example` would send a client there. Docs are served by docs/routes.py, not a CDN.
    return FastAPI(title="Dashloom API", version="1.0.0", docs_url=None, redoc_url=None, redirect_slashes=False,
                   description="Every JSON answer is `{success, data}` or `{success: false, error, code}`. "
                               "Each operation names the API-key scope it needs (`x-required-scope`).")


@cache
def _api() -> FastAPI:
    """The routes, the webhooks' documentation and the OpenAPI document, made once per process and
    shared by every gateway app it makes (the tests make hundreds): FastAPI builds an included
    route's handler on the route's first request, once per inclusion, 75 ms for ours, and the
    document on its first request, 200 ms. Routes hold no instance's state: a handler reads its
    gateway from the request's app. What FastAPI keeps per app for its routes does not reach these:
    `app.dependency_overrides` and a router's lifespan handlers (nothing here sets either)."""
    api = _new_app()
    install_openapi(api, route_scopes())
    document_webhooks(api)
    for router, scope, responses in ROUTERS:
        include_scoped(api, router, scope, responses)
    return api


def include_scoped(app: FastAPI, router: APIRouter, scope: Scope | None, responses: dict) -> None:
    """Include a router; its /api/v1 routes need `scope`: a ScopedRoute checks it itself, any other
    route (the websocket) by a dependency.

    Routes outside /api/v1 (the viewer's assets) are public: the auth layer does not see them."""
    guarded = [r for r in router.routes if _authenticated(r)]
    for route in guarded:
        if isinstance(route, ScopedRoute):
            route.required = RequiredScope(scope) if scope else None
    app.include_router(APIRouter(routes=[r for r in router.routes if not _authenticated(r)]), responses=responses)
    app.include_router(APIRouter(routes=[r for r in guarded if isinstance(r, ScopedRoute)]), responses=responses)
    app.include_router(APIRouter(routes=[r for r in guarded if not isinstance(r, ScopedRoute)]), responses=responses,
                       dependencies=[needs(scope)] if scope else [])


def route_scopes() -> dict[tuple[str, str], Scope]:
    """(path, method) -> the scope it needs, for the OpenAPI document."""
    return {(route.path, method): scope for router, scope, _ in ROUTERS if scope
            for route in router.routes if isinstance(route, APIRoute) and _authenticated(route)
            for method in route.methods or ()}


def _authenticated(route) -> bool:
    return route.path.startswith("/api/v1/") and route.path not in OPEN_PATHS


async def serve_http(context: ServiceContext) -> None:
    settings = context.settings
    gateway = await Gateway.connect(settings, context.nc, context.read_models, context.buckets)
    server = HttpServer(http_server_config(create_app(gateway), settings))
    task = asyncio.create_task(server.serve())
    await context.stop.wait()
    server.should_exit = True
    await task


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
