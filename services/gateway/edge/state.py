"""What one gateway app holds, typed, set once by app.py: routes take its parts through the
`Annotated` dependencies in edge/dependencies.py; middleware and websockets read it with `state_of`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, cast

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import Engine
from starlette.applications import Starlette

from services.eventlog.blobs import BlobStore
from services.eventlog.store import EventStore
from services.gateway.edge.cache import AnswerCache
from services.gateway.edge.middleware import Budgets
from services.gateway.edge.ratelimit import RateLimiter
from services.gateway.edge.sessions import ConsoleSessions
from services.readmodels.versions import SharedVersionReads
from services.runtime.buckets import Buckets
from services.runtime.rpc import CommandClient
from services.runtime.sealing import SecretBox
from services.runtime.settings import Settings

T = TypeVar("T")


class Parts:
    """The objects features own (a dashboard-spec cache, the Vega bundle, ...), one per class: the
    edge knows none of their types, a feature asks for its own by class."""

    def __init__(self, *parts: object) -> None:
        self._parts = {type(part): part for part in parts}

    def get(self, kind: type[T]) -> T:
        return cast(T, self._parts[kind])


@dataclass(frozen=True)
class GatewayState:
    settings: Settings
    nc: Client
    js: JetStreamContext
    store: EventStore
    engine: Engine
    commands: CommandClient
    limiter: RateLimiter
    budgets: Budgets
    blobs: BlobStore
    console_sessions: ConsoleSessions
    secret_box: SecretBox
    answers: AnswerCache
    versions: SharedVersionReads
    buckets: Buckets  # the KV buckets it needs, declared again after a bus restart; health asks for their leaders
    parts: Parts = field(default_factory=Parts)


def state_of(app: Starlette) -> GatewayState:
    return app.state.gateway
