"""The sharing service in-process against the test's nats-server, with a real SMTP server and a
clock the tests move (nothing sleeps through a week)."""

from __future__ import annotations

import asyncio
import email
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message

import nats.errors
import pytest
from aiosmtpd.controller import Controller
from nats.errors import NoRespondersError

from contracts.sharing_commands import GetLink
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from services.runtime.settings import Settings
from services.sharing.app import Sharing
from services.sharing.projections import PROJECTIONS
from tests.generation.conftest import worker  # noqa: F401  (a fixture)


class MovableClock:
    def __init__(self) -> None:
        self.moved = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.moved

    def advance(self, delta: timedelta) -> None:
        self.moved += delta


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Message]:
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                await asyncio.sleep(0.02)
        return self.messages


async def _until_answering(nc) -> None:
    async with asyncio.timeout(15):
        while True:
            try:
                await nc.request(GetLink.subject, b"{}", timeout=1)
                return
            except (NoRespondersError, nats.errors.TimeoutError):
                await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox():
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    received.url = f"smtp://127.0.0.1:{controller.port}"
    yield received
    controller.stop()


@pytest.fixture
def settings(tmp_path, inbox) -> Settings:
    # generation_sync_seconds: a loaded machine must not turn the dashboards these tests share into 202s
    return Settings(state_dir=tmp_path / "state", api_key_usage_interval=0.0, read_your_writes_timeout=10.0,
                    smtp_url=inbox.url, generation_sync_seconds=120.0)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def sharing(nats_server, nc, js, engine, settings, clock):
    """One sharing replica: its projections and its command subscribers."""
    create_read_model_tables(engine, *PROJECTIONS)
    service = await Sharing.assemble(js, engine, settings, clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(ProjectionRunner(js, engine, p, "sharing-tests", batch_size=200).run(stop))
             for p in PROJECTIONS]
    tasks.append(asyncio.create_task(service.serve(nats_server.url, stop)))
    await _until_answering(nc)
    yield service
    stop.set()
    await asyncio.wait(tasks, timeout=15)
