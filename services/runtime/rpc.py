"""Serving and sending the commands of contracts/ (contracts/rpc.py) over NATS request-reply.

A service lists what it answers as `{CommandType: handler}` and `serve_commands` subscribes one
faststream subscriber per command subject, all in the service's queue group, so any number of
replicas share the requests. The gateway's `CommandClient.ask(command)` answers the command's
reply type, or raises `Refused`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import nats.errors
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.client import Client
from pydantic import ValidationError

from contracts.rpc import Command, Refused, decode_reply, encode_refusal, encode_reply, service_of
from services.eventlog.connection import broker_options

log = logging.getLogger(__name__)
R = TypeVar("R")
CONCURRENT_COMMANDS = 16  # per subject and replica; versioned appends keep concurrent decisions apart
Handlers = Mapping[type[Command[Any]], Callable[[Any], Awaitable[Any]]]


def responder(command: type[Command[Any]], handle: Callable[[Any], Awaitable[Any]]):
    """The subscriber of one command: its request validated, its reply or refusal encoded."""
    name = command.subject.rsplit(".", 1)[-1]

    async def respond(body: object, msg: NatsMessage) -> bytes:  # body: faststream's decoding, unused
        try:
            return encode_reply(command, await handle(command.model_validate_json(msg.body)))
        except Refused as refused:
            return encode_refusal(refused)
        except ValidationError as invalid:
            return encode_refusal(Refused("VALIDATION_ERROR",
                                          f"invalid {name} command: {invalid.error_count()} problem(s)"))
        except Exception:
            log.exception("command %s failed", command.subject)
            return encode_refusal(Refused("SERVER_ERROR", "internal server error"))

    respond.__name__ = command.subject.replace(".", "_")
    return respond


def subscribe_commands(broker: NatsBroker, handlers: Handlers) -> None:
    """One typed subscriber per command, in the queue group of the service that answers it."""
    for command, handle in handlers.items():
        service = service_of(command.subject)
        broker.subscriber(command.subject, queue=service, max_workers=CONCURRENT_COMMANDS,
                          title=f"{service}-{command.__name__}", description=command.__doc__,
                          )(responder(command, handle))


async def serve_commands(nats_url: str, client_name: str, handlers: Handlers, stop: asyncio.Event) -> None:
    """Answer `handlers`' commands until `stop` is set."""
    broker = NatsBroker(name=client_name, **broker_options(nats_url),
                        log_level=logging.DEBUG)  # one access line per request is noise
    subscribe_commands(broker, handlers)
    await broker.start()
    try:
        await stop.wait()
    finally:
        await broker.stop()


class CommandClient:
    """Sends a command and answers its reply; a refusal, or no answer in time, raises Refused."""

    def __init__(self, nc: Client, timeout: float) -> None:
        self.nc = nc
        self.timeout = timeout

    async def ask(self, command: Command[R]) -> R:
        kind = type(command)
        try:
            msg = await self.nc.request(kind.subject, command.model_dump_json().encode(), timeout=self.timeout)
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
            raise Refused("SERVICE_UNAVAILABLE",
                          f"the {service_of(kind.subject)} service did not answer; try again shortly") from None
        return decode_reply(kind, msg.data)
