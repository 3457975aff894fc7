"""The gateway: the REST API in front of the event log and the read models.

A request's path: middleware.py (key, budget) -> routes/<feature>.py -> commands.py (events
appended) or models.py (read models) -> envelope.py (the answer's shape).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from nats.aio.client import Client
from sqlalchemy import Engine

from contracts import STREAM_NAME
from services.eventlog.blobs import BlobStore, open_blob_store
from services.eventlog.store import EventStore
from services.gateway.auth import ApiKeyAuthenticator
from services.gateway.cache import AnswerCache
from services.gateway.envelope import (
    documented,
    install_error_handlers,
    install_openapi,
)
from services.gateway.middleware import AuthAndRateLimit, Budgets
from services.gateway.projections import PROJECTIONS
from services.gateway.ratelimit import RateLimiter, ratelimit_bucket
from services.gateway.routes import (
    api_keys,
    asyncapi,
    dashboards,
    generate,
    health,
    integrations,
    metrics,
    project,
    viewer,
    webhooks,
    websocket,
)
from services.gateway.specs import DashboardSpecs
from services.gateway.usage import KeyUsage, usage_bucket
from services.gateway.viewer.bundle import VegaBundle
from services.readmodels.versions import VersionReader
from services.runtime.service import ServiceContext, run_service
from services.runtime.settings import Settings

API_ERRORS = documented(401, 404, 422, 429, 500)
ADMIN_ERRORS = documented(401, 403, 404, 409, 422, 429, 500)


@dataclass
class Gateway:
    """Everything a gateway instance holds; several instances share only NATS and the database."""

    settings: Settings
    nc: Client
    engine: Engine
    authenticator: ApiKeyAuthenticator
    limiter: RateLimiter
    usage: KeyUsage
    blobs: BlobStore

    @classmethod
    async def connect(cls, settings: Settings, nc: Client, engine: Engine) -> Gateway:
        js = nc.jetstream()
        window = max(settings.rate_limit_window, settings.failed_auth_window)
        authenticator = ApiKeyAuthenticator(engine, settings.api_key_cache_seconds)
        await authenticator.follow_revocations(nc)
        return cls(settings, nc, engine, authenticator,
                   RateLimiter(await ratelimit_bucket(js, settings.stream_replicas, window)),
                   KeyUsage(await usage_bucket(js, settings.stream_replicas), settings.api_key_usage_interval),
                   open_blob_store(settings.blob_backend, settings.blob_dir, js, settings.stream_replicas))

    @property
    def budgets(self) -> Budgets:
        s = self.settings
        return Budgets({"free": 1000, **s.rate_limits}, s.rate_limit_window, s.failed_auth_limit, s.failed_auth_window)


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="Dashloom API", version="1.0.0", docs_url="/docs",
                  description="Every JSON answer is `{success, data}` or `{success: false, error, code}`.")
    app.state.nc = gateway.nc
    app.state.authenticator = gateway.authenticator
    app.state.js = gateway.nc.jetstream()
    app.state.store = EventStore(app.state.js)
    app.state.engine = gateway.engine
    app.state.settings = gateway.settings
    app.state.budgets = gateway.budgets
    app.state.usage = gateway.usage
    app.state.answers = AnswerCache()
    app.state.versions = VersionReader(gateway.engine)
    app.state.blobs = gateway.blobs
    app.state.dashboard_specs = DashboardSpecs(gateway.engine, gateway.blobs)
    app.state.vega_bundle = VegaBundle()
    app.state.stream = STREAM_NAME
    app.state.stale_after = gateway.settings.heartbeat_seconds * 3
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(dashboards.router, responses=API_ERRORS)  # first: routes are matched in order
    app.include_router(health.router)
    app.include_router(asyncapi.router)
    app.include_router(project.router, responses=API_ERRORS)
    app.include_router(generate.router, responses=documented(401, 403, 413, 415, 422, 429, 500))
    app.include_router(viewer.router, responses=documented(401, 403, 404, 429, 500))
    app.include_router(metrics.router, responses=API_ERRORS)
    app.include_router(integrations.router, responses=API_ERRORS)
    app.include_router(api_keys.router, responses=ADMIN_ERRORS)
    app.include_router(webhooks.router, responses=documented(401, 403, 404, 409, 422, 429, 500, 503))
    app.include_router(websocket.router, responses=API_ERRORS)
    app.add_middleware(AuthAndRateLimit, authenticator=gateway.authenticator, limiter=gateway.limiter,
                       budgets=gateway.budgets, usage=gateway.usage)
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the service process owns SIGINT/SIGTERM, not uvicorn
        yield


async def serve_http(context: ServiceContext) -> None:
    settings = context.settings
    gateway = await Gateway.connect(settings, context.nc, context.engine)
    server = _Server(uvicorn.Config(create_app(gateway), host=settings.http_host, port=settings.http_port,
                                    log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await context.stop.wait()
    server.should_exit = True
    await task


def main() -> None:
    run_service("gateway", projections=PROJECTIONS, tasks=[serve_http])


if __name__ == "__main__":
    main()
