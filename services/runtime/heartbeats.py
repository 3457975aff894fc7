"""Each service instance says it is alive in the `heartbeats` KV bucket; health reads them."""

from __future__ import annotations

import time

import orjson
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import NoKeysError

from services.eventlog.buckets import key_value_bucket
from services.runtime.discovery import declared_service_names

BUCKET = "heartbeats"
SERVICES = tuple(declared_service_names())


async def heartbeat_bucket(js: JetStreamContext, replicas: int = 1):
    return await key_value_bucket(js, KeyValueConfig(bucket=BUCKET, history=1, ttl=300.0,
                                                     storage=StorageType.FILE, replicas=replicas))


async def beat(kv, service: str, instance: str, detail: dict) -> None:
    await kv.put(f"{service}.{instance}", orjson.dumps({"at": time.time(), **detail}))


async def last_heartbeats(js: JetStreamContext) -> dict[str, list[dict]]:
    """Per service: each instance's last beat (`at`, unix seconds, and what it reported)."""
    kv = await heartbeat_bucket(js)
    found: dict[str, list[dict]] = {}
    try:
        keys = await kv.keys()
    except NoKeysError:
        keys = []
    for key in keys:
        entry = await kv.get(key)
        service = key.split(".", 1)[0]
        found.setdefault(service, []).append(orjson.loads(entry.value))
    return found
