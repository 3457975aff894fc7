"""The webhooks service in-process (its projection, fan-out, sender and command subscriber) on the
real nats-server, beside in-process gateways; a real local HTTP receiver; a clock tests move."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from faststream.nats import NatsBroker

from services.eventlog.store import EventStore
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from services.webhooks.app import retry_policy, sender_options
from services.webhooks.commands import WebhookCommands
from services.webhooks.delivery_lanes import Sender
from services.webhooks.fanout import FanOut
from services.webhooks.projections import PROJECTIONS
from services.webhooks.rpc import answer_commands
from services.webhooks.secrets import SecretBox
from tests.webhooks.receiving import Receiver


class MovableClock:
    """Real time plus an offset the test advances: scheduling sees hours pass in no time."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.moved: Callable[[], None] = lambda: None  # the sender's wake: it sleeps until a retry is due

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)
        self.moved()


@dataclass
class WebhooksService:
    sender: Sender
    fanout: FanOut
    clock: MovableClock
    box: SecretBox


@pytest.fixture
async def receiver():
    async with Receiver() as running:
        yield running


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def webhook_settings(settings):
    return settings.model_copy(update={"webhooks_allow_private": True,
                                       "secrets_key": base64.b64encode(os.urandom(32)).decode()})


@pytest.fixture
async def webhooks_service(nats_server, js, engine, webhook_settings, clock, projections):
    """One replica of the webhooks service; `projections` brings the gateway's own runners."""
    create_read_model_tables(engine, *PROJECTIONS)
    stop = asyncio.Event()
    store = EventStore(js)
    box = SecretBox(base64.b64decode(webhook_settings.secrets_key))
    broker = NatsBroker(nats_server.url, log_level=logging.DEBUG)
    answer_commands(broker, WebhookCommands(store, engine, box, webhook_settings.webhooks_allow_private, 10.0))
    await broker.start()
    # a lease of an hour: nothing but a delivery's event or the moved clock wakes the sender here
    sender = Sender(store, engine, box, retry_policy(webhook_settings), sender_options(webhook_settings),
                    owner="tests", clock=clock, lease_seconds=3600)
    clock.moved = sender.wake
    fanout = FanOut(js, engine, hand_over=sender.take)
    tasks = [asyncio.create_task(job) for job in (
        *(ProjectionRunner(js, engine, p, "tests", batch_size=200).run(stop) for p in PROJECTIONS),
        fanout.run(stop), sender.run(stop))]
    yield WebhooksService(sender, fanout, clock, box)
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    await broker.stop()
