"""Request budgets shared by every gateway instance: counters in JetStream KV, changed by compare-and-set.

A window's counter lives under `<subject>.<window start>`; a hit writes count+n with
`last=revision`, so two gateways racing on one counter cannot both win. Inside one instance,
the hits that arrive while a write is in flight wait and go together in the next write (one
round trip for many requests); each instance remembers the last revision it saw. The bucket is
kept in files: a memory stream whose nodes restarted has no leader until every replica is back,
and the budget must work again as soon as a majority is.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.eventlog.buckets import key_value_bucket
from services.eventlog.connection import BusUnavailable
from services.runtime.buckets import Bucket

BUCKET = "ratelimits"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds
    window: int
    policy: str

    def seconds_to_reset(self) -> int:
        return max(int(self.reset_at - time.time()), 0) or 1

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI wants them (lower-case names, bytes)."""
        return [(_RAW_NAMES.get(name) or name.lower().encode(), value.encode())
                for name, value in self.headers().items()]

    def headers(self) -> dict[str, str]:
        wait = self.seconds_to_reset()
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={wait}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(wait)
        return headers


_RAW_NAMES = {name: name.lower().encode() for name in (
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Policy", "RateLimit", "Retry-After")}


def ratelimit_config(replicas: int = 1, longest_window: int = 3600) -> KeyValueConfig:
    """In files, so a majority of the cluster is enough to count (see the module's docstring)."""
    return KeyValueConfig(bucket=BUCKET, history=1, ttl=float(longest_window * 2), storage=StorageType.FILE,
                          replicas=replicas)


async def ratelimit_bucket(js: JetStreamContext, replicas: int = 1, longest_window: int = 3600):
    return await key_value_bucket(js, ratelimit_config(replicas, longest_window))


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    window: int
    reset_at: int
    policy: str


class RateLimiter:
    def __init__(self, kv: Bucket, max_attempts: int = 30) -> None:
        self.kv = kv
        self.max_attempts = max_attempts
        self._seen: dict[str, tuple[int, int]] = {}  # counter key -> (revision, count)
        self._waiting: dict[str, list[asyncio.Future]] = {}
        self._writing: set[str] = set()

    async def hit(self, subject: str, limit: int, window: int, policy: str) -> Decision:
        start = int(time.time() // window * window)
        counter = _Counter(f"{subject}.{start}", limit, window, start + window, policy)
        decided = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(counter.key, []).append(decided)
        if counter.key not in self._writing:
            self._writing.add(counter.key)
            asyncio.create_task(self._write_while_waiting(counter))
        return await decided

    async def _write_while_waiting(self, counter: _Counter) -> None:
        """One writer per counter: each round takes every hit queued so far in one write."""
        try:
            while batch := self._waiting.pop(counter.key, None):
                try:
                    count = await self._add(counter, len(batch))
                except Exception as error:
                    for waiter in batch:
                        waiter.set_exception(error)
                    continue
                for position, waiter in enumerate(batch):
                    taken = count + position + 1
                    allowed = taken <= counter.limit
                    waiter.set_result(Decision(allowed, counter.limit, counter.limit - taken if allowed else 0,
                                               counter.reset_at, counter.window, counter.policy))
        finally:
            self._writing.discard(counter.key)

    async def _add(self, counter: _Counter, wanted: int) -> int:
        """Take up to `wanted` slots by compare-and-set; answer the count before them."""
        seen = self._seen.get(counter.key)
        for attempt in range(self.max_attempts):
            count = seen[1] if seen else 0
            granted = min(wanted, counter.limit - count)
            if granted <= 0:
                return count
            try:
                revision = await self.kv.update(counter.key, str(count + granted).encode(),
                                                last=seen[0] if seen else 0)
            except KeyWrongLastSequenceError:
                await asyncio.sleep(random.uniform(0, min(0.001 * 2 ** attempt, 0.2)))  # jittered backoff
                seen = await self._read(counter.key)
                continue
            self._remember(counter.key, (revision, count + granted))
            return count
        raise BusUnavailable(f"rate limit counter {counter.key} stayed contended for {self.max_attempts} attempts")

    async def _read(self, key: str) -> tuple[int, int] | None:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None
        return entry.revision or 0, int(entry.value or 0)

    def _remember(self, key: str, state: tuple[int, int]) -> None:
        if len(self._seen) > 50_000:  # old windows' counters are never read again
            self._seen.clear()
        self._seen[key] = state


def kv_token(text: str) -> str:
    """A client address as a KV key token (IPv6 colons are not allowed there)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
