"""Real parts only: a nats-server from the wheel on a free port, SQLite files and PostgreSQL schemas."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.eventlog.stream import ensure_events_stream
from services.gateway.app import Gateway, create_app
from services.gateway.declaration import PROJECTIONS
from services.gateway.keys.commands import IssuedKey
from services.gateway.project.commands import create_project
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.database import create_read_model_engine
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from services.runtime.nats_server import NatsServer
from services.runtime.settings import Settings

POSTGRES = os.environ.get("DASHLOOM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("DASHLOOM_REQUIRE_POSTGRES") == "1"
_postgres_missing: list[str] = []


class GatewayClient(httpx.AsyncClient):
    """A client of the gateway under test, holding its app (served for a browser, or given test routes)."""

    app: FastAPI


def _postgres_answers() -> str | None:
    try:
        with psycopg.connect(POSTGRES, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


@pytest.fixture
def nats_server(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
async def nc(nats_server):
    client = await connect(nats_server.url, "tests")
    await ensure_events_stream(client.jetstream())
    yield client
    await client.close()


@pytest.fixture
def js(nc):
    return nc.jetstream()


@pytest.fixture
def store(js) -> EventStore:
    return EventStore(js)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The same test cases run against each read-model backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'readmodels.db'}"
        return
    problem = _postgres_answers()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here and does not answer: {problem}")
        _postgres_missing.append(request.node.nodeid)
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES}: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES.replace('postgresql://', 'postgresql+psycopg://')}?options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def engine(database_url):
    engine = create_read_model_engine(database_url)
    yield engine
    engine.dispose()


def pytest_terminal_summary(terminalreporter):
    if _postgres_missing:
        terminalreporter.write_sep("!", "PostgreSQL DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(_postgres_missing)} PostgreSQL cases were skipped because no server answered at "
            f"{POSTGRES}. Only SQLite was tested. CI (DASHLOOM_REQUIRE_POSTGRES=1) fails instead.",
            red=True)


# Gateway instances in-process (ASGI), each with its own NATS connection and caches, sharing
# only what real instances share: the JetStream bus and the read-model database.
@dataclass
class Project:
    project_id: str
    key: IssuedKey

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key.key}"}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(state_dir=tmp_path / "state", api_key_usage_interval=0.0, read_your_writes_timeout=10.0)


@pytest.fixture
async def projections(js, engine):
    """The gateway's projection runners, as one replica of the gateway service runs them."""
    create_read_model_tables(engine, *PROJECTIONS)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(ProjectionRunner(js, engine, p, "tests", batch_size=200).run(stop))
             for p in PROJECTIONS]
    yield
    stop.set()
    await asyncio.wait(tasks, timeout=15)


@pytest.fixture
async def gateway_client(nats_server, engine, settings, projections):
    """Call it to start one more gateway instance; answers an httpx client bound to it."""
    connections, clients = [], []

    async def start(client_address: str = "203.0.113.7", **overrides) -> httpx.AsyncClient:
        nc = await connect(nats_server.url, "gateway-under-test")
        connections.append(nc)
        instance_settings = settings.model_copy(update=overrides)
        app = create_app(await Gateway.connect(instance_settings, nc, engine))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(client_address, 40000))
        client = GatewayClient(transport=transport, base_url="http://gateway.test")
        client.app = app
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.aclose()
    for nc in connections:
        await nc.close()


@pytest.fixture
async def new_project(store, engine, projections):
    async def create(name: str = "Acme", plan: str = "free") -> Project:
        project_id, key = await create_project(store, name, plan)
        assert await wait_for_checkpoint(engine, "projects", key.seq, timeout=10)
        return Project(project_id, key)

    return create


@pytest.fixture
async def client(gateway_client) -> AsyncIterator[httpx.AsyncClient]:
    yield await gateway_client()
