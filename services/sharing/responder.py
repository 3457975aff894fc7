"""The sharing service's answers to the gateway: one faststream subscriber per command subject,
in a queue group, so any number of sharing replicas share the requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from faststream.nats import NatsBroker, NatsMessage
from pydantic import BaseModel, ValidationError

from contracts.sharing_commands import (
    DashboardLinks,
    IssueIframeToken,
    IssueLink,
    LinkQuery,
    OpenEmbed,
    OpenLink,
    RequestCode,
    RevokeIframeToken,
    RevokeLink,
    RevokeTenantIframeTokens,
    VerifyCode,
    answer,
    command_subject,
    refusal,
)
from services.eventlog.connection import RECONNECT, nats_servers
from services.sharing.embeds import IframeTokens
from services.sharing.handlers import ShareLinkCommands
from services.sharing.links import Refusal
from services.sharing.queries import ShareLinkQueries
from services.sharing.viewers import LinkViewers

log = logging.getLogger(__name__)
QUEUE = "sharing"
CONCURRENT_COMMANDS = 16  # per subject and replica; the link's versioned appends keep them apart
Handler = Callable[[BaseModel], Awaitable[dict]]


def routes(commands: ShareLinkCommands, queries: ShareLinkQueries, viewers: LinkViewers,
           iframe_tokens: IframeTokens) -> dict:
    return {
        "issue": (IssueLink, commands.issue), "revoke": (RevokeLink, commands.revoke),
        "list": (DashboardLinks, queries.links_of_dashboard), "get": (LinkQuery, queries.link),
        "views": (LinkQuery, queries.views), "open": (OpenLink, viewers.open),
        "request_code": (RequestCode, viewers.request_code), "verify_code": (VerifyCode, viewers.verify_code),
        "issue_iframe_token": (IssueIframeToken, iframe_tokens.issue),
        "revoke_iframe_token": (RevokeIframeToken, iframe_tokens.revoke),
        "revoke_tenant_iframe_tokens": (RevokeTenantIframeTokens, iframe_tokens.revoke_tenant),
        "open_embed": (OpenEmbed, iframe_tokens.open),
    }


def responder(name: str, model: type[BaseModel], handle: Handler):
    async def respond(body: object, msg: NatsMessage) -> bytes:  # body: faststream's decoding, unused
        try:
            reply = answer(await handle(model.model_validate_json(msg.body)))
        except Refusal as refused:
            reply = refusal(refused.status, refused.error)
        except ValidationError as invalid:
            reply = refusal(422, f"invalid {name} command: {invalid.error_count()} problem(s)")
        except Exception:
            log.exception("sharing command %s failed", name)
            reply = refusal(500, "internal server error")
        return orjson.dumps(reply)

    respond.__name__ = f"sharing_{name}"
    return respond


async def answer_commands(nats_url: str, handlers: dict, stop: asyncio.Event) -> None:
    broker = NatsBroker(nats_servers(nats_url), name="dashloom-sharing", **RECONNECT,
                        log_level=logging.DEBUG)  # one access line per request is noise
    for name, (model, handle) in handlers.items():
        broker.subscriber(command_subject(name), queue=QUEUE, max_workers=CONCURRENT_COMMANDS,
                          title=f"sharing-{name}")(responder(name, model, handle))
    await broker.start()
    try:
        await stop.wait()
    finally:
        await broker.stop()
