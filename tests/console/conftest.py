"""The console against the real platform in-process: the gateway on a real port (for Chromium),
the generation worker and the sharing service (tests/fixtures/services.py), the webhooks service on
the test's nats-server, a local HTTP receiver for webhooks (private addresses allowed, as
DASHLOOM_WEBHOOKS_ALLOW_PRIVATE=1)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from pathlib import Path

import httpx
import pytest
from faststream.nats import NatsBroker

from services.eventlog.store import EventStore
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from services.runtime.settings import Settings
from services.webhooks.app import retry_policy, sender_options
from services.webhooks.commands import WebhookCommands
from services.webhooks.delivery_lanes import Sender
from services.webhooks.fanout import FanOut
from services.webhooks.projections import PROJECTIONS as WEBHOOK_PROJECTIONS
from services.webhooks.rpc import answer_commands
from services.webhooks.secrets import SecretBox
from tests.webhooks.receiving import Receiver

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
AXE = Path(__file__).parent / "assets" / "axe.min.js"


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """The console keeps no read model of its own (its API's cases run on both databases): SQLite
    spares the browser walks a second run on a two-core machine."""
    yield f"sqlite:///{tmp_path / 'readmodels.db'}"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(state_dir=tmp_path / "state", api_key_usage_interval=0.0, read_your_writes_timeout=10.0,
                    webhooks_allow_private=True, secrets_key=base64.b64encode(os.urandom(32)).decode(),
                    generation_sync_seconds=60.0)


@pytest.fixture
async def webhooks(nats_server, js, engine, settings, projections):
    create_read_model_tables(engine, *WEBHOOK_PROJECTIONS)
    stop = asyncio.Event()
    store = EventStore(js)
    box = SecretBox(base64.b64decode(settings.secrets_key))
    broker = NatsBroker(nats_server.url, log_level=logging.DEBUG)
    answer_commands(broker, WebhookCommands(store, engine, box, settings.webhooks_allow_private, 10.0))
    await broker.start()
    sender = Sender(store, engine, box, retry_policy(settings), sender_options(settings), owner="console-tests")
    tasks = [asyncio.create_task(job) for job in (
        *(ProjectionRunner(js, engine, p, "console-tests", batch_size=200).run(stop) for p in WEBHOOK_PROJECTIONS),
        FanOut(js, engine).run(stop), sender.run(stop))]
    yield
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    await broker.stop()


@pytest.fixture
async def receiver():
    async with Receiver() as running:
        yield running


async def signed_in(client: httpx.AsyncClient, key: str) -> tuple[str, str]:
    """Sign in as the console does; answers (the session cookie's value, the page's CSRF token)."""
    answer = await client.post("/api/v1/console-sessions", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201, answer.text
    session = answer.cookies["dashloom_console"]
    client.cookies.clear()  # each test sends the cookie it means, in a Cookie header
    page = await client.get("/console/settings/project", headers={"Cookie": f"dashloom_console={session}"})
    assert page.status_code == 200
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    return session, csrf
