"""The webhooks service: endpoints and their secrets, the fan-out of public events into
deliveries, and the sender that signs, retries and records every attempt.

request-reply commands (rpc.py -> commands.py, queries.py) -> events -> projections.py (read models)
public events -> fanout.py (WebhookDeliveryScheduled) -> delivery_lanes.py (the sender: attempts, retries)
    -> http_attempt.py (HTTP)
"""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker

from services.eventlog.connection import broker_options
from services.eventlog.store import EventStore
from services.runtime.service import ServiceContext, run_service
from services.runtime.settings import Settings
from services.webhooks.commands import WebhookCommands
from services.webhooks.declaration import SERVICE
from services.webhooks.delivery_lanes import RetryPolicy, Sender, SenderOptions
from services.webhooks.fanout import FanOut
from services.webhooks.rpc import answer_commands
from services.webhooks.secrets import SecretBox, secrets_key

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per attempt is the event log's job


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(tuple(settings.webhooks_retry_schedule), settings.webhooks_disable_after)


def sender_options(settings: Settings) -> SenderOptions:
    return SenderOptions(settings.webhooks_allow_private, settings.webhooks_timeout,
                         settings.webhooks_endpoint_concurrency)


async def deliver(context: ServiceContext) -> None:
    settings = context.settings
    if settings.webhooks_allow_private:
        log.warning("DASHLOOM_WEBHOOKS_ALLOW_PRIVATE=1: webhooks may go to private and loopback addresses "
                    "and over plain http. Never in production.")
    box = SecretBox(secrets_key(settings.secrets_key, settings.state_dir))
    store = EventStore(context.js)
    broker = NatsBroker(name=f"dashloom-webhooks-{context.instance}",
                        **broker_options(settings.nats_url), log_level=logging.DEBUG)
    answer_commands(broker, WebhookCommands(store, context.read_models, box, settings.webhooks_allow_private,
                                           settings.read_your_writes_timeout))
    await broker.start()
    sender = Sender(store, context.read_models, box, retry_policy(settings), sender_options(settings),
                    owner=f"webhooks:{context.instance}")
    try:
        fanout = FanOut(context.js, context.read_models, hand_over=sender.take)
        await asyncio.gather(fanout.run(context.stop), sender.run(context.stop))
    finally:
        await broker.stop()


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
