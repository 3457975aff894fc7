"""When each API key was last used, without a write on every request.

Each gateway instance writes a key's last use to the `api_key_usage` KV bucket at most once
per interval (default 5 minutes): a timestamp, not a change of state, so not an event.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError

from services.eventlog.buckets import key_value_bucket
from services.gateway.edge.auth import Principal
from services.gateway.edge.dependencies import part

BUCKET = "api_key_usage"


async def usage_bucket(js: JetStreamContext, replicas: int = 1):
    return await key_value_bucket(js, KeyValueConfig(bucket=BUCKET, history=1, storage=StorageType.FILE,
                                                     replicas=replicas))


class KeyUsage:
    def __init__(self, kv, interval: float = 300.0) -> None:
        self.kv = kv
        self.interval = interval
        self._written: dict[str, float] = {}
        self._tasks: set[asyncio.Task] = set()

    def admitted(self, principal: Principal) -> None:
        """A key's "last used" counts its console use too."""
        if principal.kind in ("api_key", "console_session"):
            self.touch(principal.key_id)

    def touch(self, key_id: str) -> None:
        now = time.monotonic()
        if now - self._written.get(key_id, -self.interval) < self.interval:
            return
        self._written[key_id] = now
        task = asyncio.create_task(self.kv.put(key_id, str(time.time()).encode()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def last_used(self, key_id: str) -> datetime | None:
        try:
            entry = await self.kv.get(key_id)
        except KeyNotFoundError:
            return None
        return datetime.fromtimestamp(float(entry.value), UTC)


Usage = Annotated[KeyUsage, part(KeyUsage)]
