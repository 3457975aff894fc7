"""The webhooks service answers its commands (contracts/webhook_commands.py) over NATS request-reply."""

from __future__ import annotations

import logging

import orjson
from faststream.nats import NatsBroker

from contracts.webhook_commands import COMMANDS, command_subject
from services.webhooks.endpoints import CommandRefused, WebhookCommands

log = logging.getLogger(__name__)


async def answer(commands: WebhookCommands, name: str, request: dict) -> bytes:
    try:
        data = await getattr(commands, name)(**request)
        reply = {"ok": True, "data": data}
    except CommandRefused as refused:
        reply = {"ok": False, "status": refused.status, "error": refused.error}
    except Exception:
        log.exception("webhook command %s failed", name)
        reply = {"ok": False, "status": 500, "error": "the webhooks service failed on this request"}
    return orjson.dumps(reply)


def _handler(commands: WebhookCommands, name: str):
    async def handle(body: dict) -> bytes:
        return await answer(commands, name, body)
    return handle


def serve_commands(broker: NatsBroker, commands: WebhookCommands) -> None:
    for name in COMMANDS:
        broker.subscriber(command_subject(name), queue="webhooks", title=f"webhooks-{name}",
                          description=f"the {name} command on webhook endpoints (request-reply)",
                          )(_handler(commands, name))
