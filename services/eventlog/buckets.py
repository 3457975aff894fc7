"""JetStream KV buckets: opened when they exist, created with their config when they do not."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NotFoundError


async def key_value_bucket(js: JetStreamContext, config: KeyValueConfig):
    try:
        return await js.key_value(config.bucket)
    except (BucketNotFoundError, NotFoundError):
        return await js.create_key_value(config)
