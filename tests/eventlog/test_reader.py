"""What a replay reads from each delivery: sequence and storage time, as nats-py's metadata says."""

import asyncio

import pytest
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from contracts import STREAM_NAME, STREAM_SUBJECTS
from services.eventlog.reader import StoredEvent, sequence_and_time
from tests.factories import generation_lifecycle


def test_both_reply_subject_forms_give_nats_pys_sequence_and_time():
    for reply in ("$JS.ACK.EVENTS.c1.3.4217.17.1764117503123456789.12",  # v1
                  "$JS.ACK.hub.ACCHASH.EVENTS.c1.3.4217.17.1764117503123456789.12.rnd"):  # v2, with a domain
        metadata = Msg(None, reply=reply).metadata
        seq, stored_ns = sequence_and_time(reply)
        assert seq == metadata.sequence.stream == 4217
        assert stored_ns == 1764117503123456789


@pytest.mark.parametrize("reply", [None, "", "_INBOX.abc.def", "$JS.API.CONSUMER.INFO.EVENTS.c1",
                                   "$JS.ACK.EVENTS.c1.3.4217.17", "_INBOX.a.b.c.d.5.6.7.8"])
def test_a_delivery_that_is_not_from_a_stream_is_refused(reply):
    with pytest.raises(NotJSMessageError):
        sequence_and_time(reply)


async def test_a_stored_event_read_back_carries_what_the_log_says(js, store):
    events = generation_lifecycle("g1")
    await store.append_many(events)
    received: list[Msg] = []
    all_arrived = asyncio.Event()

    async def collect(msg: Msg) -> None:
        received.append(msg)
        if len(received) == len(events):
            all_arrived.set()

    subscription = await js.subscribe(STREAM_SUBJECTS[0], stream=STREAM_NAME, ordered_consumer=True, cb=collect)
    try:
        await asyncio.wait_for(all_arrived.wait(), 10)
    finally:
        await subscription.unsubscribe()
    for msg, event in zip(received, events, strict=True):
        stored = StoredEvent.from_msg(msg)
        assert (stored.seq, stored.stored_at) == (msg.metadata.sequence.stream, msg.metadata.timestamp)
        assert (stored.event_id, stored.type, stored.version) == (str(event.event_id), event.type, event.version)
        assert stored.event == event
