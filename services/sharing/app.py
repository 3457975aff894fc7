"""The sharing service: share links, private-link viewers and their codes, the view log, and
iframe tokens (embeds.py) signed with the project's own keys (signing.py).

It answers the gateway's commands over NATS request-reply (rpc.py), decides on each from the
link's own events (commands.py, viewers.py), and projects its read models (projections.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from nats.js import JetStreamContext
from sqlalchemy import Engine

from services.eventlog.store import EventStore
from services.runtime.buckets import Buckets
from services.runtime.rpc import serve_commands as answer_commands
from services.runtime.sealing import secret_box
from services.runtime.service import ServiceContext, run_service
from services.runtime.settings import Settings
from services.sharing.clock import Clock, SystemClock
from services.sharing.commands import ShareLinkCommands
from services.sharing.context import SharingContext
from services.sharing.declaration import SERVICE
from services.sharing.embeds import IframeTokens
from services.sharing.limits import CodeRequestLimits, limits_bucket
from services.sharing.mail import mailer_for
from services.sharing.personal import PersonalData
from services.sharing.queries import ShareLinkQueries
from services.sharing.rpc import served
from services.sharing.signing import EmbedSigningKeys
from services.sharing.viewers import LinkViewers


@dataclass
class Sharing:
    commands: ShareLinkCommands
    queries: ShareLinkQueries
    viewers: LinkViewers
    iframe_tokens: IframeTokens

    @classmethod
    async def assemble(cls, js: JetStreamContext, engine: Engine, settings: Settings,
                       clock: Clock | None = None, buckets: Buckets | None = None) -> Sharing:
        clock = clock or SystemClock()
        limits_kv = (buckets or Buckets(js)).need(limits_bucket(settings.stream_replicas))
        await limits_kv.handle()
        box = secret_box(settings.secrets_key, settings.state_dir)
        context = SharingContext(EventStore(js), engine, await asyncio.to_thread(PersonalData, engine), clock,
                                 settings.read_your_writes_timeout, box)
        queries = ShareLinkQueries(context)
        limits = CodeRequestLimits(limits_kv, clock,
                                   settings.share_code_requests_per_link, settings.share_code_requests_per_address)
        mailer = mailer_for(settings.smtp_url, settings.state_dir / "outbox", settings.smtp_timeout)
        keys = EmbedSigningKeys(context.store, box, clock)
        return cls(ShareLinkCommands(context, queries), queries,
                   LinkViewers(context, queries, limits, mailer, settings.smtp_from), IframeTokens(context, keys))

    async def serve(self, nats_url: str, stop: asyncio.Event) -> None:
        try:
            await answer_commands(nats_url, "dashloom-sharing",
                                  served(self.commands, self.queries, self.viewers, self.iframe_tokens), stop)
        finally:
            await self.viewers.drain()


async def serve_commands(context: ServiceContext) -> None:
    sharing = await Sharing.assemble(context.js, context.read_models, context.settings, buckets=context.buckets)
    await sharing.serve(context.settings.nats_url, context.stop)


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
