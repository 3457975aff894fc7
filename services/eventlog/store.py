"""Appending events to JetStream and loading them back.

Append is exactly-once inside the duplicate window (Nats-Msg-Id = event_id) and, when the caller
names the aggregate's expected last sequence, guarded against concurrent writers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from contracts import STREAM_NAME, TYPE_HEADER, VERSION_HEADER, Event, encode_event, subject_for
from services.eventlog.reader import EventReader, StoredEvent

WRONG_LAST_SEQUENCE = 10071


class ConcurrencyError(Exception):
    """Another writer appended to the aggregate since the caller read it (JetStream 10071)."""


def event_headers(event: Event, expected_last_seq: int | None = None) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(event.event_id), TYPE_HEADER: event.type,
               VERSION_HEADER: str(event.version)}
    if expected_last_seq is not None:
        headers["Nats-Expected-Last-Subject-Sequence"] = str(expected_last_seq)
    return headers


class EventStore:
    def __init__(self, js: JetStreamContext, stream: str = STREAM_NAME) -> None:
        self.js = js
        self.stream = stream
        self.reader = EventReader(js, stream)

    async def append(self, event: Event, expected_last_seq: int | None = None) -> int:
        """Store `event`, answer its stream sequence (the original one for a duplicate).

        `expected_last_seq`: the sequence of the aggregate's last event as the caller saw it,
        0 for a new aggregate; None appends without that check.
        """
        try:
            ack = await self.js.publish(event.subject, encode_event(event), stream=self.stream,
                                        headers=event_headers(event, expected_last_seq))
        except BadRequestError as error:
            if error.err_code != WRONG_LAST_SEQUENCE:
                raise
            # JetStream checks the expected sequence before dedup: a retry of an append that
            # did land would look like a conflict. Find it before calling it one.
            stored = await self._find_stored(event, after_seq=expected_last_seq or 0)
            if stored is None:
                raise ConcurrencyError(f"{event.subject}: {error.description}") from error
            return stored
        return ack.seq

    async def _find_stored(self, event: Event, after_seq: int) -> int | None:
        async for batch in self.reader.batches(subject=event.subject, start_seq=after_seq + 1):
            for stored in batch:
                if stored.event_id == str(event.event_id):
                    return stored.seq
        return None

    async def append_many(self, events: Iterable[Event], window: int = 2000) -> list[int]:
        """Pipelined appends without concurrency checks (imports, benchmarks); ordered by input."""
        sequences: list[int] = []
        pending: list[asyncio.Future] = []
        for event in events:
            pending.append(await self.js.publish_async(
                event.subject, encode_event(event), stream=self.stream, headers=event_headers(event)))
            if len(pending) >= window:
                sequences += [ack.seq for ack in await asyncio.gather(*pending)]
                pending = []
        sequences += [ack.seq for ack in await asyncio.gather(*pending)]
        return sequences

    async def last_sequence(self) -> int:
        info = await self.js.stream_info(self.stream)
        return info.state.last_seq

    async def aggregate_version(self, aggregate: str, aggregate_id: str) -> int:
        """Stream sequence of the aggregate's last event; 0 when it has none."""
        try:
            msg = await self.js.get_last_msg(self.stream, subject_for(aggregate, aggregate_id),
                                             direct=True)
        except NotFoundError:
            return 0
        return msg.seq or 0

    async def last_event_type(self, aggregate: str, aggregate_id: str) -> str | None:
        """The type of the aggregate's last event (one direct get, no decoding); None when it has none."""
        try:
            msg = await self.js.get_last_msg(self.stream, subject_for(aggregate, aggregate_id), direct=True)
        except NotFoundError:
            return None
        return (msg.headers or {}).get(TYPE_HEADER)

    async def load(self, aggregate: str, aggregate_id: str) -> list[StoredEvent]:
        """Every event of one aggregate, in order."""
        events: list[StoredEvent] = []
        async for batch in self.reader.batches(subject=subject_for(aggregate, aggregate_id)):
            events += batch
        return events
