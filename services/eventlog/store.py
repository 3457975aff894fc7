"""Appending events to JetStream and loading them back.

Append is exactly-once inside the duplicate window (Nats-Msg-Id = event_id) and, when the caller
names the aggregate's expected last sequence, guarded against concurrent writers.

Reads of one aggregate are never stale. On a replicated stream a reading consumer may sit on a
follower that has not caught up (it answers fewer events, and nothing says so), while a message get
(not a direct get) is answered by the stream's leader. So a load first asks the leader for the
aggregate's last sequence, then reads until it has read that far, reading again while the replica
catches up. One more small request per load buys a decision that is never made on a shortened
history (a dashboard "not found" moments after it was created).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from contracts import STREAM_NAME, TYPE_HEADER, VERSION_HEADER, Event, encode_event, subject_for
from services.eventlog.connection import BusUnavailable
from services.eventlog.reader import EventReader, StoredEvent

WRONG_LAST_SEQUENCE = 10071
# Pauses between reads while the replica serving them catches up to the leader (about 6 s in all)
CATCH_UP_PAUSES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.0)


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
        for stored in await self._read_subject(event.subject, after_seq + 1):
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
        """Stream sequence of the aggregate's last event, as the leader has it; 0 when it has none."""
        return await self._leaders_last_seq(subject_for(aggregate, aggregate_id))

    async def last_event_type(self, aggregate: str, aggregate_id: str) -> str | None:
        """The type of the aggregate's last event as the leader has it (no decoding); None when it has none."""
        try:
            msg = await self.js.get_last_msg(self.stream, subject_for(aggregate, aggregate_id))
        except NotFoundError:
            return None
        return (msg.headers or {}).get(TYPE_HEADER)

    async def load(self, aggregate: str, aggregate_id: str) -> list[StoredEvent]:
        """Every event of one aggregate, in order, up to the last one the leader holds."""
        return await self._read_subject(subject_for(aggregate, aggregate_id), 1)

    async def _leaders_last_seq(self, subject: str) -> int:
        try:  # a message get, not a direct get: answered by the stream's leader
            msg = await self.js.get_last_msg(self.stream, subject)
        except NotFoundError:
            return 0
        return msg.seq or 0

    async def _read_subject(self, subject: str, start_seq: int) -> list[StoredEvent]:
        """The subject's events from `start_seq` up to the leader's last one, read again from where
        a reading stopped short (its replica behind the leader) until it is reached."""
        last = await self._leaders_last_seq(subject)
        events: list[StoredEvent] = []
        for pause in CATCH_UP_PAUSES:
            if last < start_seq:
                return events
            await asyncio.sleep(pause)
            async for batch in self.reader.batches(subject=subject, start_seq=start_seq, end_seq=last):
                events += batch
            if events:
                start_seq = events[-1].seq + 1
        if last < start_seq:
            return events
        raise BusUnavailable(f"{subject}: no replica answered up to sequence {last}, which the leader holds")
