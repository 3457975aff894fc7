"""The session's nats-server is emptied before each test: every test starts on a bus as new."""

from __future__ import annotations

import pytest

from contracts import STREAM_NAME
from tests.factories import generation_lifecycle, new_id
from tests.fixtures.bus import emptied


@pytest.mark.parametrize("run", ["first", "second, after the first appended"])
async def test_a_test_starts_on_an_empty_log(store, run):
    assert await store.last_sequence() == 0
    await store.append_many(generation_lifecycle(new_id()))
    assert await store.last_sequence() == 7


async def test_emptying_deletes_every_stream_the_last_test_left(nats_server, js):
    await js.create_key_value(bucket="left_behind")
    names = {stream.config.name for stream in await js.streams_info()}
    assert {STREAM_NAME, "KV_left_behind"} <= names
    await emptied(nats_server)
    assert await js.streams_info() == []
