"""Connecting to NATS with the reconnect behaviour every Dashloom process wants."""

from __future__ import annotations

import logging
from typing import Any

import nats
from nats import errors
from nats.aio.client import Client
from nats.js.errors import NoStreamResponseError, ServiceUnavailableError

log = logging.getLogger(__name__)


async def _one_line(error: Exception) -> None:
    """nats-py's own report of a failed (re)connect is a traceback each time a node is down."""
    log.warning("nats: %s %s", type(error).__name__, error)


RECONNECT: dict[str, Any] = {"max_reconnect_attempts": -1, "reconnect_time_wait": 0.5, "connect_timeout": 5,
                             "error_cb": _one_line}

class BusUnavailable(ServiceUnavailableError):
    """The bus cannot answer now (no quorum, no leader, a replica that does not catch up): nothing
    was done, and the same call may be made again shortly. Every service answers it as a 503."""

    def __init__(self, description: str) -> None:
        super().__init__(code=503, description=description)


# What a call to the bus raises while the server is away (restarting, unreachable): the caller
# should try again shortly, not report a fault of its own.
BUS_UNAVAILABLE: tuple[type[Exception], ...] = (
    errors.ConnectionClosedError, errors.ConnectionReconnectingError, errors.NoRespondersError,
    errors.NoServersError, errors.OutboundBufferLimitError, errors.StaleConnectionError,
    errors.TimeoutError, NoStreamResponseError, ServiceUnavailableError, BusUnavailable,
)


def nats_servers(url: str) -> list[str]:
    """`url` may list several servers, comma-separated (the nodes of a cluster)."""
    return [server.strip() for server in url.split(",") if server.strip()]


async def connect(url: str, name: str) -> Client:
    return await nats.connect(nats_servers(url), name=name, **RECONNECT)
