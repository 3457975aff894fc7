"""KV buckets through a bus restart: a real nats-server killed with SIGKILL and started again on
the same port and store folder loses its in-memory buckets; `Buckets` declares them again."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import APIError

from services.eventlog.connection import connect
from services.runtime import buckets as buckets_module
from services.runtime.buckets import Bucket, Buckets, BucketUnavailable
from services.runtime.nats_server import NatsServer
from tests.polling import until

COUNTS = KeyValueConfig(bucket="counts", history=1, storage=StorageType.MEMORY)


async def restarted(server: NatsServer, nc) -> NatsServer:
    """SIGKILL, then the same port and store folder; answers once the client has reconnected."""
    reconnects = nc.stats["reconnects"]
    server.kill()
    again = NatsServer(server.store_dir, port=server.port).start()

    async def reconnected() -> bool:
        return nc.is_connected and nc.stats["reconnects"] > reconnects

    assert await until(reconnected, 15), "the client never reconnected"
    return again


@pytest.fixture
async def bus(tmp_path):
    """A nats-server of this test's own (the test kills it) and a client of it."""
    servers = [NatsServer(tmp_path / "nats").start()]
    nc = await connect(servers[0].url, "test")
    yield servers, nc
    await nc.close()
    servers[-1].stop()


async def test_after_a_reconnect_every_needed_bucket_is_declared_again(bus):
    servers, nc = bus
    buckets = Buckets(nc.jetstream())
    counts = buckets.need(COUNTS)
    await counts.put("a", b"1")
    stop = asyncio.Event()
    follower = asyncio.create_task(buckets.follow_reconnects(nc, stop, every=0.1))
    try:
        servers.append(await restarted(servers[0], nc))
        assert await until(counts.exists, 10), "the bucket was not declared again after the reconnect"
        assert await buckets.missing() == []
        assert await counts.create("b", b"1") > 0
    finally:
        stop.set()
        await asyncio.wait_for(follower, 5)


async def test_a_no_stream_answer_declares_the_bucket_again_once_for_every_caller(bus, monkeypatch):
    servers, nc = bus
    buckets = Buckets(nc.jetstream())
    counts = buckets.need(COUNTS)
    await counts.put("a", b"1")
    servers.append(await restarted(servers[0], nc))
    assert await buckets.missing() == ["counts"]  # what the heartbeat carries: health is degraded

    declarations = []
    declare = buckets_module.key_value_bucket

    async def counted(js, config):
        declarations.append(config.bucket)
        return await declare(js, config)

    monkeypatch.setattr(buckets_module, "key_value_bucket", counted)
    revisions = await asyncio.gather(*(counts.update(f"k{n}", b"1", last=0) for n in range(10)))
    assert len(set(revisions)) == 10 and declarations == ["counts"]
    assert await buckets.missing() == []
    assert (await counts.get("k3")).value == b"1"


async def test_a_bucket_that_cannot_be_declared_is_refused_at_once_until_its_backoff_passed(bus):
    _, nc = bus
    # three replicas on a single server: the server refuses the bucket every time
    refused = Bucket(nc.jetstream(), KeyValueConfig(bucket="clustered", replicas=3), first_retry=0.3)
    with pytest.raises(APIError):
        await refused.get("k")
    with pytest.raises(BucketUnavailable):  # not asked again within the backoff
        await refused.get("k")
    await asyncio.sleep(0.35)
    with pytest.raises(APIError) as error:  # asked again, and refused again by the server
        await refused.get("k")
    assert not isinstance(error.value, BucketUnavailable)
