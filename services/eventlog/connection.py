"""Connecting to NATS with the reconnect behaviour every Dashloom process wants."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import nats
from faststream.security import SASLPlaintext
from nats import errors
from nats.aio.client import Client
from nats.js.errors import NoStreamResponseError, ServiceUnavailableError

log = logging.getLogger(__name__)


async def _one_line(error: Exception) -> None:
    """nats-py's own report of a failed (re)connect is a traceback each time a node is down."""
    log.warning("nats: %s %s", type(error).__name__, error)


RECONNECT: dict[str, Any] = {"max_reconnect_attempts": -1, "reconnect_time_wait": 0.5, "connect_timeout": 5,
                             "error_cb": _one_line}

# An ordered consumer that follows the log for as long as a process lives: nats-py finds it lost (a
# bus restart drops it) only when two heartbeats in a row are missing, then makes it again from
# the next sequence. At its default of 5 s a gateway missed revocations for 10-20 s after a restart.
FOLLOWER_HEARTBEAT = 1.0


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


def connect_options(url: str) -> dict[str, Any]:
    """RECONNECT, with the user and password the URL carries given apart too: nats-py reconnects to
    the servers a node announces, whose addresses carry none (an 'Authorization Violation' then)."""
    for server in nats_servers(url):
        parts = urlsplit(server if "://" in server else f"nats://{server}")
        if parts.username:
            return {**RECONNECT, "user": unquote(parts.username), "password": unquote(parts.password or "")}
    return RECONNECT


def broker_options(url: str) -> dict[str, Any]:
    """connect_options for a faststream NatsBroker, servers included: it takes the user and password
    as its security only, and refuses them in the servers' addresses too."""
    options = dict(connect_options(url))
    user, password = options.pop("user", None), options.pop("password", None)
    if user is not None:
        options["security"] = SASLPlaintext(username=user, password=password or "")
    return {"servers": [re.sub(r"//[^@/]*@", "//", server) for server in nats_servers(url)], **options}


async def connect(url: str, name: str) -> Client:
    return await nats.connect(nats_servers(url), name=name, **connect_options(url))
