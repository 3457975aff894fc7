"""Reading the log in order, in batches, from a sequence or a time, up to a sequence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nats.errors
import orjson
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import STREAM_NAME, STREAM_SUBJECTS, TYPE_HEADER, VERSION_HEADER, Event, decode_event

FLUSH_AFTER = 0.05  # seconds without a full batch before handing on what has arrived
SILENT_FOR = 10.0  # seconds without any event before the range's end: the reading has stalled


@dataclass(slots=True)
class StoredEvent:
    """An event as the log holds it: its stream sequence, and its JSON decoded only on demand.

    Not frozen: a replay builds one per event, and a frozen dataclass's __init__ costs twice as much.
    """

    seq: int
    event_id: str
    subject: str
    type: str
    version: int
    data: bytes
    stored_ns: int  # when the stream stored it, in ns since the epoch
    _event: Event | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def stored_at(self) -> datetime:
        # Made on demand: most projections never read it, and a replay would make one per event.
        return datetime.fromtimestamp(self.stored_ns / 1e9, UTC)

    @property
    def event(self) -> Event:
        if self._event is None:
            self._event = decode_event(self.data, self.type, self.version)
        return self._event

    @classmethod
    def from_msg(cls, msg: Msg) -> StoredEvent:
        seq, stored_ns = sequence_and_time(msg.reply)
        headers = msg.headers or {}
        event_type, version = headers.get(TYPE_HEADER), headers.get(VERSION_HEADER)
        if not event_type or not version:  # written without our headers: read the envelope
            envelope = orjson.loads(msg.data)
            event_type, version = envelope["type"], envelope["version"]
        return cls(seq=seq, event_id=headers.get("Nats-Msg-Id", ""),
                   subject=msg.subject, type=event_type, version=int(version), data=msg.data,
                   stored_ns=stored_ns)


def sequence_and_time(reply: str | None) -> tuple[int, int]:
    """Stream sequence and storage time (ns) from a JetStream delivery's reply subject.

    The two fields nats-py's `Msg.metadata` would give, at a tenth of its cost (it builds three
    frozen dataclasses per message): a replay reads this for every event.
    `$JS.ACK.<stream>.<consumer>.<delivered>.<seq>.<cseq>.<ns>.<pending>`, or with
    `<domain>.<account hash>` after `ACK` (and a random token at the end).
    """
    tokens = (reply or "").split(".")
    if len(tokens) >= 9 and tokens[0] == "$JS" and tokens[1] == "ACK":
        if len(tokens) == 9:
            return int(tokens[5]), int(tokens[7])
        if len(tokens) >= 11:
            return int(tokens[7]), int(tokens[9])
    raise NotJSMessageError(reply)


async def fetch_unless_stopped(subscription: JetStreamContext.PullSubscription, batch_size: int,
                               timeout: float, stop: asyncio.Event) -> list[Msg] | None:
    """The next messages of a pull subscription ([] when none came within `timeout`), or None as soon
    as `stop` is set: the fetch waiting on an idle stream is cancelled, so a stopped reader ends at once."""
    fetching = asyncio.ensure_future(subscription.fetch(batch_size, timeout=timeout))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((fetching, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not fetching.done():
            fetching.cancel()
            await asyncio.wait((fetching,))  # unwound before the subscription is unsubscribed
    if fetching.cancelled():
        return None
    try:
        return fetching.result()
    except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either
        return []


class EventReader:
    def __init__(self, js: JetStreamContext, stream: str = STREAM_NAME) -> None:
        self.js = js
        self.stream = stream

    async def batches(self, *, start_seq: int | None = None, start_time: datetime | None = None,
                      end_seq: int | None = None, subject: str | None = None,
                      batch_size: int = 1000) -> AsyncIterator[list[StoredEvent]]:
        """Yield the stored events in stream order, `batch_size` at a time.

        Starts at `start_seq` (or the first event stored at or after `start_time`, or the
        beginning) and stops after `end_seq`, or when the log holds nothing more.
        """
        config = ConsumerConfig(ack_policy=AckPolicy.NONE, mem_storage=True,
                                inactive_threshold=60.0, max_waiting=1)
        _start_at(config, start_seq, start_time)
        pull = await self.js.pull_subscribe(subject or STREAM_SUBJECTS[0], stream=self.stream,
                                            config=config)
        # Deleting at the end (not only unsubscribing) keeps a long replay from leaving
        # consumers behind on the server until their inactivity threshold.
        try:
            remaining = (await pull.consumer_info()).num_pending or 0
            while remaining > 0:
                msgs = await pull.fetch(batch_size, timeout=5.0)
                batch = [StoredEvent.from_msg(m) for m in msgs]
                if end_seq is not None and batch[-1].seq >= end_seq:
                    yield [e for e in batch if e.seq <= end_seq]
                    return
                yield batch
                remaining = msgs[-1].metadata.num_pending
        finally:
            await pull.unsubscribe()
            await self._delete_consumer(pull)

    async def ordered_batches(self, *, end_seq: int, start_seq: int | None = None,
                              start_time: datetime | None = None,
                              batch_size: int = 1000, backlog: int | None = None) -> AsyncIterator[list[StoredEvent]]:
        """The whole stream's events up to `end_seq` (which it holds), in order, `batch_size` at a time.

        Read through an ordered push consumer: the server pushes without waiting for a pull per
        batch, about six times the rate of `fetch` (ARCHITECTURE.md). For replays and rebuilds,
        which read in order and share no durable.

        `backlog`: for a caller that awaits other work between batches (the reading goes on
        meanwhile), at most this many events wait; past it the callback waits too, and the server
        holds the rest (flow control answers only what was delivered). Batches may then be larger.
        """
        if start_seq is not None and start_seq > end_seq:
            return
        arrived: list[Msg] = []
        enough, room = asyncio.Event(), asyncio.Event()

        async def collect(msg: Msg) -> None:
            while backlog is not None and len(arrived) >= backlog:
                room.clear()
                await room.wait()
            arrived.append(msg)
            if len(arrived) >= batch_size:
                enough.set()

        config = ConsumerConfig()
        _start_at(config, start_seq, start_time)
        # nats-py's default pending limits are large: the server's flow control, not a drop, paces it
        subscription = await self.js.subscribe(STREAM_SUBJECTS[0], stream=self.stream, cb=collect, config=config,
                                               ordered_consumer=True)
        try:
            quiet_since, expected = time.monotonic(), None
            while True:
                try:
                    await asyncio.wait_for(enough.wait(), FLUSH_AFTER)
                except TimeoutError:  # the last events of the range: fewer than a batch
                    if not arrived:
                        if time.monotonic() - quiet_since > SILENT_FOR:
                            raise TimeoutError(f"{self.stream}: nothing read for {SILENT_FOR} s before {end_seq}") from None
                        continue
                enough.clear()
                batch, arrived[:] = [StoredEvent.from_msg(m) for m in arrived], []
                room.set()
                quiet_since, expected = time.monotonic(), _contiguous(batch, expected)
                if batch[-1].seq >= end_seq:
                    yield [e for e in batch if e.seq <= end_seq]
                    return
                yield batch
        finally:
            await subscription.unsubscribe()
            await self._delete_consumer(subscription)

    async def _delete_consumer(self, pull) -> None:
        try:
            await self.js.delete_consumer(self.stream, (await pull.consumer_info()).name)
        except Exception:  # already gone (inactive threshold) or connection closing
            pass


def _contiguous(batch: list[StoredEvent], first: int | None) -> int:
    """The sequence after `batch`, which must follow on `first` with no gap (the stream denies deletes)."""
    if (first is not None and batch[0].seq != first) or batch[-1].seq - batch[0].seq + 1 != len(batch):
        raise RuntimeError(f"events missing between {first or batch[0].seq} and {batch[-1].seq}: reading was lossy")
    return batch[-1].seq + 1


def _start_at(config: ConsumerConfig, start_seq: int | None, start_time: datetime | None) -> None:
    if start_seq is not None and start_seq > 1:
        config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, start_seq
    elif start_time is not None:
        # nats-py sends the field as given, and the server wants RFC 3339 text
        config.deliver_policy, config.opt_start_time = DeliverPolicy.BY_START_TIME, start_time.isoformat()  # type: ignore[assignment]
    else:
        config.deliver_policy = DeliverPolicy.ALL
