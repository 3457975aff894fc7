"""What every service process does the same way: connect, beat, run its projections, stop on a signal.

A service declares itself once, in `services/<name>/declaration.py` as `SERVICE`: its name,
projections, long-running tasks (consumers, an HTTP server), tables and commands. Its app.py hands
that to `run_service`; the platform (`dashloom up`), the CLI's replay commands and health read the
same declarations, so nothing lists the services by hand. Every task is supervised: restarted
with backoff when it fails, and shown in the heartbeat (so in health) with its state and restart
count.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import uvloop
from nats.aio.client import Client

from services.eventlog.connection import BUS_UNAVAILABLE, connect
from services.eventlog.store import EventStore
from services.runtime.backoff import Backoff
from services.runtime.buckets import Buckets
from services.runtime.heartbeats import beat, heartbeat_bucket
from services.runtime.settings import Settings
from services.runtime.telemetry import follow_projections, serve_metrics

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

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
        # The KV buckets the service's tasks ask for: declared again after a bus restart.
        self.buckets = Buckets(self.js)
        self.runners: list[ProjectionRunner] = []
        self.supervisor: Supervisor | None = None

    @property
    def read_models(self) -> Engine:
        """The read-model database, which a service has when it declares projections."""
        if self.engine is None:
            raise RuntimeError(f"{self.name} declares no projections, so it has no read-model database")
        return self.engine


Task = Callable[[ServiceContext], Awaitable[None]]

@dataclass(frozen=True)
class ServiceDeclaration:
    name: str
    # Its projections: run by each of its processes, replayed by `dashloom replay`.
    projections: tuple[Projection, ...] = ()
    # Its long-running tasks as "module:function", imported only in its own process (the CLI and
    # health read declarations without loading a service's heavy imports, polars say).
    tasks: tuple[str, ...] = ()
    # The tables it owns: it alone writes them; no other service declares them.
    tables: tuple[Table, ...] = ()
    # The request-reply subjects its command handlers answer.
    commands: tuple[str, ...] = ()

    def resolved_tasks(self) -> list[Task]:
        return [_resolve(task) for task in self.tasks]


def _resolve(reference: str) -> Task:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass
class TaskState:
    """What health shows of one long-running task of a service instance."""

    status: str = "running"  # running | restarting | stopped
    restarts: int = 0
    last_error: str | None = None


class Supervisor:
    """Runs each task until the service stops; one that fails or returns early is restarted after
    a backoff (runtime/backoff.py). A dead task never hides behind a live heartbeat: its state is
    in every beat."""

    def __init__(self, stop: asyncio.Event, backoff: float, max_backoff: float) -> None:
        self.stop = stop
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.states: dict[str, TaskState] = {}

    def start(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task:
        self.states[name] = TaskState()
        return asyncio.create_task(self._keep_running(name, run), name=name)

    async def _keep_running(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        state, backoff = self.states[name], Backoff(self.backoff, self.max_backoff)
        while not self.stop.is_set():
            backoff.started()
            try:
                await run()
                if self.stop.is_set():
                    break
                state.last_error = "returned before the service stopped"
            except BUS_UNAVAILABLE as error:  # no quorum, a node away: a line, not a traceback
                state.last_error = type(error).__name__
                log.warning("task %s: the bus is unavailable (%s)", name, type(error).__name__)
            except Exception as error:
                state.last_error = type(error).__name__
                log.exception("task %s failed", name)
            wait = backoff.died()
            state.status, state.restarts = "restarting", state.restarts + 1
            log.warning("task %s restarts in %.1fs (restart %d)", name, wait, state.restarts)
            await _wait(self.stop, wait)
            state.status = "running"
        state.status = "stopped"

    def report(self) -> dict[str, dict]:
        return {name: asdict(state) for name, state in self.states.items()}


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def serve(name: str, settings: Settings, projections: Sequence[Projection] = (),
                tasks: Sequence[Task] = (), stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM, or until `stop` is set when the caller hands one in."""
    if not settings.nats_url:
        raise SystemExit("DASHLOOM_NATS_URL is not set: start the platform with `dashloom up`")
    if stop is None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    nc = await connect(settings.nats_url, name=f"dashloom-{name}")
    serve_metrics(settings.metrics_port, settings.metrics_host, nc)
    engine = await _read_model_engine(settings, projections) if projections else None
    context = ServiceContext(name, settings, nc, engine, stop)
    context.runners = _runners(context, projections)
    supervisor = context.supervisor = Supervisor(stop, settings.restart_backoff_seconds,
                                                 settings.restart_backoff_max_seconds)
    jobs = [supervisor.start(f"projection:{r.projection.name}", functools.partial(r.run, stop))
            for r in context.runners]
    jobs += [supervisor.start(task.__name__, functools.partial(task, context)) for task in tasks]
    jobs.append(supervisor.start("heartbeat", functools.partial(_beat_until_stopped, context)))
    jobs.append(supervisor.start("buckets", functools.partial(context.buckets.follow_reconnects, nc, stop)))
    if context.runners:
        jobs.append(supervisor.start("projection-metrics", functools.partial(_projection_metrics, context)))
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
    if not projections or context.engine is None:
        return []
    from services.readmodels.runner import ProjectionRunner

    return [ProjectionRunner(context.js, context.engine, p, owner=f"{context.name}:{context.instance}")
            for p in projections]


async def _projection_metrics(context: ServiceContext) -> None:
    from services.readmodels.parking import parked_counts

    def parked() -> dict[str, int]:
        with context.read_models.connect() as conn:
            return parked_counts(conn)

    await follow_projections(EventStore(context.js).last_sequence,
                             lambda: {r.projection.name: r.checkpoint for r in context.runners}, parked,
                             context.stop, context.settings.heartbeat_seconds)


async def _beat_until_stopped(context: ServiceContext) -> None:
    kv = await heartbeat_bucket(context.js, context.settings.stream_replicas)
    while not context.stop.is_set():
        await beat(kv, context.name, context.instance,
                   {"pid": os.getpid(), "projections": {r.projection.name: r.checkpoint for r in context.runners},
                    "tasks": context.supervisor.report() if context.supervisor else {},
                    "missing_buckets": await context.buckets.missing()})
        await _wait(context.stop, context.settings.heartbeat_seconds)


def keep_files_private() -> None:
    """Every file and folder this process and its children create is the owner's alone (0600 and
    0700): the read models, blobs, outbox mail and the bus's store hold projects' data."""
    os.umask(0o077)


def run_service(service: ServiceDeclaration) -> None:
    keep_files_private()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service.name} %(levelname)s %(message)s")
    # uvloop: the same asyncio API, its transports and callbacks in C (bench/gateway.py)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(service.name, Settings(), service.projections, service.resolved_tasks()))
