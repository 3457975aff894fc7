"""What every service process does the same way: connect, beat, run its projections, stop on a signal.

A service's app.py hands `run_service` its name, its projections, and its own long-running
tasks (consumers, an HTTP server).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from nats.aio.client import Client

from services.eventlog.connection import connect
from services.runtime.heartbeats import beat, heartbeat_bucket
from services.runtime.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from services.readmodels.projection import Projection
    from services.readmodels.runner import ProjectionRunner

log = logging.getLogger(__name__)


class ServiceContext:
    def __init__(self, name: str, settings: Settings, nc: Client, engine: Engine | None, stop: asyncio.Event) -> None:
        self.name = name
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.settings = settings
        self.nc = nc
        self.js = nc.jetstream()
        self.engine = engine
        self.stop = stop
        self.runners: list[ProjectionRunner] = []


Task = Callable[[ServiceContext], Awaitable[None]]


async def serve(name: str, settings: Settings, projections: Sequence[Projection] = (),
                tasks: Sequence[Task] = ()) -> None:
    if not settings.nats_url:
        raise SystemExit("DASHLOOM_NATS_URL is not set: start the platform with `dashloom up`")
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    nc = await connect(settings.nats_url, name=f"dashloom-{name}")
    engine = await _read_model_engine(settings, projections) if projections else None
    context = ServiceContext(name, settings, nc, engine, stop)
    context.runners = _runners(context, projections)
    jobs = [asyncio.create_task(r.run(context.stop)) for r in context.runners]
    jobs += [asyncio.create_task(task(context)) for task in tasks]
    jobs.append(asyncio.create_task(_beat_until_stopped(context)))
    log.info("%s %s started", name, context.instance)
    await context.stop.wait()
    await asyncio.wait(jobs, timeout=10)
    await nc.close()
    if engine is not None:
        engine.dispose()


# SQLAlchemy and the read models are imported only by services that have some: the generation
# worker has none, and its idle memory counts against its peak (bench/generation.py).
async def _read_model_engine(settings: Settings, projections: Sequence[Projection]) -> Engine:
    from services.readmodels.database import create_read_model_engine
    from services.readmodels.runner import create_read_model_tables

    engine = create_read_model_engine(settings.resolved_database_url)
    await asyncio.to_thread(create_read_model_tables, engine, *projections)
    return engine


def _runners(context: ServiceContext, projections: Sequence[Projection]) -> list[ProjectionRunner]:
    if not projections:
        return []
    from services.readmodels.runner import ProjectionRunner

    return [ProjectionRunner(context.js, context.engine, p, owner=f"{context.name}:{context.instance}")
            for p in projections]


async def _beat_until_stopped(context: ServiceContext) -> None:
    kv = await heartbeat_bucket(context.js, context.settings.stream_replicas)
    while not context.stop.is_set():
        await beat(kv, context.name, context.instance,
                   {"pid": os.getpid(), "projections": {r.projection.name: r.checkpoint for r in context.runners}})
        try:
            await asyncio.wait_for(context.stop.wait(), context.settings.heartbeat_seconds)
        except TimeoutError:
            pass


def run_service(name: str, projections: Sequence[Projection] = (), tasks: Sequence[Task] = ()) -> None:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    asyncio.run(serve(name, Settings(), projections, tasks))
