"""The JetStream KV buckets a service needs, kept usable through a bus restart.

A bucket kept in memory (counters, leases) is gone when nats-server restarts, and a handle opened
before answers "no stream" from then on. So a service asks for its buckets here (`Buckets.need`)
and calls them through a `Bucket`: each is declared again after the connection comes back (a
reconnect, seen by `follow_reconnects`) and on a "no stream" answer, which the call then meets
once more on the new bucket. One declaration at a time per bucket; after a failed one, callers are
refused at once (as when the bus is away) until a backoff has passed. `missing()` names the buckets
the server does not hold: it rides in the heartbeat, and health shows the service degraded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import (
    BadRequestError,
    KeyValueError,
    KeyWrongLastSequenceError,
    NoStreamResponseError,
    NotFoundError,
)
from nats.js.kv import KeyValue

from services.eventlog.buckets import key_value_bucket

log = logging.getLogger(__name__)
T = TypeVar("T")
# What a call on a bucket whose stream is gone raises (a write; a direct get; listing the keys).
# A missing key is a NotFoundError too (KeyNotFoundError): that one is the caller's to handle.
STREAM_GONE = (NoStreamResponseError, NoRespondersError, NotFoundError)
WRONG_LAST_SEQUENCE = (10071, 10164)  # JetStream's error codes for an expected revision that is not the last


class BucketUnavailable(NoStreamResponseError):
    """The bucket is missing and its last declaration failed moments ago: try again shortly."""


class Bucket:
    """One KV bucket by its config, with the calls the services make on it."""

    def __init__(self, js: JetStreamContext, config: KeyValueConfig, first_retry: float = 0.2,
                 longest_retry: float = 5.0) -> None:
        self.js, self.config = js, config
        self.first_retry, self.longest_retry = first_retry, longest_retry
        self._kv: KeyValue | None = None
        self._declaring = asyncio.Lock()
        self._retry_in = 0.0
        self._not_before = 0.0

    @property
    def name(self) -> str:
        return str(self.config.bucket)

    async def handle(self) -> KeyValue:
        """The open bucket, declared (opened, or created with its config) when there is none."""
        if self._kv is not None:
            return self._kv
        async with self._declaring:  # callers that meet a missing bucket together share one declaration
            if self._kv is None:
                if time.monotonic() < self._not_before:
                    raise BucketUnavailable(description=f"the {self.name} bucket is being declared again")
                try:
                    self._kv = await key_value_bucket(self.js, self.config)
                except Exception:
                    self._retry_in = min(max(self._retry_in * 2, self.first_retry), self.longest_retry)
                    self._not_before = time.monotonic() + self._retry_in
                    raise
                self._retry_in = self._not_before = 0.0
                log.info("KV bucket %s declared", self.name)
            return self._kv

    def lost(self, kv: KeyValue | None = None) -> None:
        """The stream behind `kv` (or the current handle) is gone: the next call declares it again."""
        if kv is None or kv is self._kv:
            self._kv = None

    async def exists(self) -> bool:
        try:
            await self.js.stream_info(f"KV_{self.name}")
        except NotFoundError:
            return False
        return True

    async def get(self, key: str) -> KeyValue.Entry:
        return await self._call(lambda kv: kv.get(key))

    async def put(self, key: str, value: bytes) -> int:
        return await self._call(lambda kv: kv.put(key, value))

    async def create(self, key: str, value: bytes) -> int:
        return await self._call(lambda kv: kv.create(key, value))

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        return await self._call(lambda kv: kv.update(key, value, last=last))

    async def delete(self, key: str, last: int | None = None) -> bool:
        """`last`: only while the key's revision is this one, else KeyWrongLastSequenceError, as
        `update` raises (nats-py's own delete raises a bare BadRequestError for it)."""
        try:
            return await self._call(lambda kv: kv.delete(key, last=last))
        except BadRequestError as error:
            if error.err_code in WRONG_LAST_SEQUENCE and not isinstance(error, KeyWrongLastSequenceError):
                raise KeyWrongLastSequenceError(description=error.description) from None
            raise

    async def keys(self) -> list[str]:
        return await self._call(lambda kv: kv.keys())

    async def _call(self, operation: Callable[[KeyValue], Awaitable[T]]) -> T:
        kv = await self.handle()
        try:
            return await operation(kv)
        except STREAM_GONE as error:
            if isinstance(error, KeyValueError):  # a key not found, not a bucket
                raise
            log.warning("KV bucket %s answered %s: declaring it again", self.name, type(error).__name__)
            self.lost(kv)
        return await operation(await self.handle())


class Buckets:
    """The buckets one service process needs, by name."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js
        self._needed: dict[str, Bucket] = {}

    def need(self, config: KeyValueConfig) -> Bucket:
        """The service needs this bucket: its `Bucket`, the same one for every caller."""
        bucket = self._needed.get(str(config.bucket))
        if bucket is None:
            bucket = self._needed[str(config.bucket)] = Bucket(self.js, config)
        return bucket

    def names(self) -> list[str]:
        return sorted(self._needed)

    async def declare(self) -> None:
        for bucket in list(self._needed.values()):
            await bucket.handle()

    async def missing(self) -> list[str]:
        return [bucket.name for bucket in list(self._needed.values()) if not await bucket.exists()]

    async def follow_reconnects(self, nc: Client, stop: asyncio.Event, every: float = 0.5) -> None:
        """After each reconnect, declare every bucket again (a restarted server may have lost them),
        retrying with the buckets' backoff until each is there or the service stops."""
        seen = nc.stats["reconnects"]
        while not stop.is_set():
            await _wait(stop, every)
            if nc.stats["reconnects"] == seen or not nc.is_connected:
                continue
            seen = nc.stats["reconnects"]
            for bucket in list(self._needed.values()):
                bucket.lost()
            await self._declare_until_done(stop, every)

    async def _declare_until_done(self, stop: asyncio.Event, every: float) -> None:
        while not stop.is_set():
            try:
                await self.declare()
                return
            except Exception as error:
                log.warning("declaring KV buckets after a reconnect failed (%s); trying again", type(error).__name__)
                await _wait(stop, every)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
