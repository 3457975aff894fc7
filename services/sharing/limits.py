"""How often codes may be asked for: fixed-window counters in JetStream KV, shared by every
sharing replica and changed by compare-and-set, so two replicas cannot both take the last slot."""

from __future__ import annotations

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.runtime.buckets import Bucket
from services.sharing.clock import Clock

BUCKET = "sharing-limits"
WINDOW_SECONDS = 3600


def limits_bucket(replicas: int = 1) -> KeyValueConfig:
    """In files: a memory stream whose nodes restarted has no leader until every replica is back."""
    return KeyValueConfig(bucket=BUCKET, history=1, ttl=float(WINDOW_SECONDS * 2), storage=StorageType.FILE,
                          replicas=replicas)


class CodeRequestLimits:
    def __init__(self, kv: Bucket, clock: Clock, per_link: int, per_address: int) -> None:
        self.kv = kv
        self.clock = clock
        self.per_link = per_link
        self.per_address = per_address

    async def allow(self, link_id: str, address_token: str) -> bool:
        """Spend one request of the address's budget, then one of the link's; False when either is gone.
        An address refused spends nothing of the link's, so one address cannot lock out its recipients."""
        return await self._take(f"address.{address_token}", self.per_address) and \
            await self._take(f"link.{link_id}", self.per_link)

    async def _take(self, subject: str, limit: int) -> bool:
        window = int(self.clock.now().timestamp()) // WINDOW_SECONDS
        key = f"{subject}.{window}"
        while True:
            try:
                entry = await self.kv.get(key)
                count, revision = int(entry.value or 0), entry.revision or 0
            except KeyNotFoundError:
                count, revision = 0, 0
            if count >= limit:
                return False
            try:
                await self.kv.update(key, str(count + 1).encode(), last=revision)
                return True
            except KeyWrongLastSequenceError:
                continue
