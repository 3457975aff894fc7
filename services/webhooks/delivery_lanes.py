"""The sender: attempts due deliveries, records each attempt, schedules the next or gives up.

One sender at a time holds the lease `webhook-sender` (replicas stand by). A delivery the fan-out
of its own process has just scheduled is handed over (`take`) and sent at once. Any other (another
replica's fan-out, a redelivery, a retry, one left over by a crash) waits in the read model: the
sender sleeps until its event is there (wakeups.py) or the next retry is due, never polling the
table; the lease is renewed at least every third of its time. Every endpoint has its own lane, a
bounded number of attempts at once over its own keep-alive connections, so a slow or dead endpoint
only ever waits on itself; a lane idle for LANE_IDLE closes its connections.

Before an attempt the delivery's version (the sequence of its last event) is compared with the log:
a row the projection has not caught up on is left for the next round, so nothing is sent twice
because the read model lagged. The log is not asked when the sender knows the answer: the row is
older than what it recorded itself (left), or the fan-out has just appended its first event while
this sender held the lease (current: only the lease holder appends after that). A row whose version
is what this sender recorded is still checked: the lease may have changed hands since. An attempt
whose outcome was not recorded (a crash between the POST and the append) is sent again with the same
webhook-id: at least once, as the spec expects receivers to handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from sqlalchemy import Engine, func, select

from contracts import (
    Event,
    WebhookDeliveryAttempted,
    WebhookDeliveryFailed,
    WebhookDeliverySucceeded,
    WebhookEndpointDisabled,
    derive_event_id,
)
from services.eventlog.store import ConcurrencyError, EventStore
from services.readmodels.checkpoints import ProjectionLease
from services.runtime.telemetry import WEBHOOK_ATTEMPTS
from services.webhooks.http_attempt import Response, endpoint_client, post_webhook, tls_context
from services.webhooks.models import webhook_deliveries, webhook_subscriptions
from services.webhooks.secrets import OpenedSecrets, SecretBox
from services.webhooks.signing import webhook_headers
from services.webhooks.wakeups import DeliveryChanges

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
LANE_IDLE = timedelta(seconds=30)  # past httpx's keep-alive expiry (5 s): its connections are spent anyway
RECORDED = 100_000  # deliveries whose last recorded sequence the sender remembers (forgetting only costs a question)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...]  # seconds before attempt 1, 2, ...
    disable_after: float
    jitter: float = 0.1

    def next_delay(self, attempts_done: int, retry_after: float | None) -> float | None:
        """Seconds until the next attempt, None when the schedule is spent."""
        if attempts_done >= len(self.schedule):
            return None
        delay = self.schedule[attempts_done] * random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            delay = max(delay, min(retry_after, max(self.schedule)))
        return delay


@dataclass(frozen=True)
class SenderOptions:
    allow_private: bool = False
    timeout: float = 15.0
    endpoint_concurrency: int = 4
    due_batch: int = 500  # deliveries read per round
    lane_queue: int = 100  # attempts waiting per endpoint; more wait in the table for a later round


@dataclass(frozen=True)
class DueDelivery:
    """A delivery as an attempt needs it, with its endpoint: what a row of `_pending` holds."""

    delivery_id: str
    project_id: str
    endpoint_id: str
    message_id: str
    body: dict
    attempts: int
    version: int  # the stream sequence of the delivery's last event
    url: str
    endpoint_status: str
    sealed_secret: str | None
    previous_sealed_secret: str | None
    previous_valid_until: datetime | None
    failing_since: datetime | None


class Lane:
    """One endpoint's attempts: at most `concurrency` at once, over the endpoint's own client."""

    def __init__(self, client: httpx.AsyncClient, concurrency: int, now: datetime) -> None:
        self.client = client
        self.slots = asyncio.Semaphore(concurrency)
        self.queued = 0
        self.idle_since: datetime | None = now  # None while attempts are queued


def _pending(engine: Engine, now: datetime, busy_endpoints: list[str], in_flight: list[str], limit: int = 500):
    """Due deliveries, oldest first, leaving out those already in a lane and the endpoints whose
    lanes are full (a backlog at a slow endpoint must not fill every round and starve the others);
    and when the next one not yet due is."""
    d, s = webhook_deliveries.c, webhook_subscriptions.c
    query = (select(d.delivery_id, d.project_id, d.endpoint_id, d.message_id, d.body, d.attempts, d.version,
                    s.url, s.status.label("endpoint_status"), s.sealed_secret, s.previous_sealed_secret,
                    s.previous_valid_until, s.failing_since)
             .join(webhook_subscriptions, s.endpoint_id == d.endpoint_id, isouter=True)
             .where(d.status == "pending", d.next_attempt_at <= now, d.endpoint_id.not_in(busy_endpoints),
                    d.delivery_id.not_in(in_flight))
             .order_by(d.next_attempt_at).limit(limit))
    later = select(func.min(d.next_attempt_at)).where(d.status == "pending", d.next_attempt_at > now)
    with engine.connect() as conn:
        return conn.execute(query).all(), conn.execute(later).scalar()


class Sender:
    def __init__(self, store: EventStore, engine: Engine, box: SecretBox, policy: RetryPolicy,
                 options: SenderOptions, owner: str, clock: Clock = wall_clock, lease_seconds: float = 15.0) -> None:
        self.store = store
        self.engine = engine
        self.box = box
        self.policy = policy
        self.options = options
        self.clock = clock
        self.lease = ProjectionLease("webhook-sender", owner, ttl=lease_seconds)
        self.lanes: dict[str, Lane] = {}
        self.tls: ssl.SSLContext | None = None  # loaded off the event loop when the sender starts
        self.in_flight: dict[str, asyncio.Task] = {}
        self.leading = False  # holds the lease, as of its last renewal
        self.recorded: dict[str, int] = {}  # delivery id -> sequence of the last event this sender appended
        self.secrets = OpenedSecrets(box)
        self.changes = DeliveryChanges(store.js, engine)

    async def run(self, stop: asyncio.Event) -> None:
        self.tls = await asyncio.to_thread(tls_context)
        try:
            async with self.changes.followed():
                while not stop.is_set():
                    self.leading = await asyncio.to_thread(self._hold_lease)
                    if not self.leading:
                        await _wait(stop, self.lease.ttl / 3)  # standing by: only the lease wakes it
                        continue
                    next_due = await self._round()
                    await self.changes.wait(stop, self._seconds_until(next_due))
                self.leading = False
                await self._drain()
        finally:
            self.leading = False
            await self._close_lanes(list(self.lanes))
        await asyncio.to_thread(self._in_transaction, self.lease.release)

    def take(self, delivery: DueDelivery) -> None:
        """A delivery this process's fan-out has just scheduled: attempted now if this sender leads,
        else (or when its lane is full) it waits in the read model like any other."""
        if self.leading:
            self._dispatch(delivery, current=True)

    def wake(self) -> None:
        """Look at the table now (a test that moves the clock says so)."""
        self.changes.wake()

    def _seconds_until(self, next_due: datetime | None) -> float:
        renew = self.lease.ttl / 3
        return renew if next_due is None else min(renew, (next_due - self.clock()).total_seconds())

    async def _round(self) -> datetime | None:
        """Dispatch the due deliveries; answer when the next one is due."""
        busy = [endpoint for endpoint, lane in self.lanes.items() if lane.queued >= self.options.lane_queue]
        due, next_due = await asyncio.to_thread(_pending, self.engine, self.clock(), busy, list(self.in_flight),
                                                self.options.due_batch)
        for row in due:
            self._dispatch(row)
        idle_since = self.clock() - LANE_IDLE
        await self._close_lanes([endpoint for endpoint, lane in self.lanes.items()
                                 if lane.idle_since is not None and lane.idle_since < idle_since])
        if len(due) >= self.options.due_batch:
            self.changes.wake()  # more may be due than one round reads
        return next_due

    async def _drain(self) -> None:
        """On stop: let running attempts finish briefly, then cancel (they are sent again later)."""
        pending = list(self.in_flight.values())
        if pending:
            await asyncio.wait(pending, timeout=5)
        for task in pending:
            task.cancel()

    async def _close_lanes(self, endpoints: list[str]) -> None:
        clients = [self.lanes.pop(endpoint).client for endpoint in endpoints]  # no attempt joins them meanwhile
        for client in clients:
            await client.aclose()

    def _lane(self, endpoint_id: str) -> Lane:
        lane = self.lanes.get(endpoint_id)
        if lane is None:
            assert self.tls is not None, "lanes are made once the sender runs"
            client = endpoint_client(self.options.endpoint_concurrency, self.options.timeout, self.tls)
            lane = self.lanes[endpoint_id] = Lane(client, self.options.endpoint_concurrency, self.clock())
        return lane

    def _in_transaction(self, operation):
        with self.engine.begin() as conn:
            return operation(conn)

    def _hold_lease(self) -> bool:
        return self._in_transaction(lambda conn: self.lease.fence(conn) or self.lease.try_acquire(conn))

    def _dispatch(self, row, current: bool = False) -> None:
        """Start an attempt in the endpoint's lane; `current`: the row's version is the log's."""
        lane = self._lane(row.endpoint_id)
        if row.delivery_id in self.in_flight or lane.queued >= self.options.lane_queue or self._behind(row):
            return
        lane.queued += 1
        lane.idle_since = None

        async def in_lane() -> None:
            try:
                await self.attempt(lane.client, row, lane.slots, current)
            except Exception:
                log.exception("delivery %s: attempt failed to run; it stays due", row.delivery_id)
            finally:
                if lane.queued == self.options.lane_queue:
                    self.changes.wake()  # the lane was full: deliveries may wait in the table for it
                lane.queued -= 1
                if lane.queued == 0:
                    lane.idle_since = self.clock()
                self.in_flight.pop(row.delivery_id, None)

        self.in_flight[row.delivery_id] = asyncio.create_task(in_lane())

    def _behind(self, row) -> bool:
        """The row is older than an event this sender appended to it: the projection has yet to apply it."""
        recorded = self.recorded.get(row.delivery_id)
        if recorded is not None and row.version < recorded:
            self.changes.note(recorded)
            return True
        return False

    async def attempt(self, client: httpx.AsyncClient, row, slots: asyncio.Semaphore | None = None,
                      current: bool = False) -> None:
        """Check the row against the log (unless `current`), POST (holding one of the endpoint's
        `slots`: they bound the requests it gets at once, not the recording after), then record
        the outcome."""
        version = row.version
        if not current:
            version = await self.store.aggregate_version("webhookdelivery", row.delivery_id)
            if version != row.version:
                self.changes.note(version)  # the read model has not caught up with this delivery yet
                return
        if row.endpoint_status != "enabled":
            await self._append(row, WebhookDeliveryFailed, "failed", version, {
                "attempts": row.attempts, "reason": f"the endpoint is {row.endpoint_status or 'gone'}"})
            return
        body = orjson.dumps(row.body)
        headers = webhook_headers(self.secrets.of(row, self.clock()), row.message_id, int(time.time()), body)
        async with slots or contextlib.nullcontext():
            response = await post_webhook(client, row.url, headers, body, self.options.allow_private,
                                          self.options.timeout)
        WEBHOOK_ATTEMPTS.labels("delivered" if response.error is None else "failed").inc()
        await self._record(row, version, response)

    async def _record(self, row, version: int, response: Response) -> None:
        now, attempt = self.clock(), row.attempts + 1
        gone = response.status_code == 410
        failing_too_long = (response.error is not None and row.failing_since is not None
                            and (now - row.failing_since).total_seconds() >= self.policy.disable_after)
        next_at = None
        if response.error is not None and not gone and not failing_too_long:
            delay = self.policy.next_delay(attempt, response.retry_after)
            next_at = None if delay is None else now + timedelta(seconds=delay)
        seq = await self._append(row, WebhookDeliveryAttempted, f"attempt-{attempt}", version, {
            "attempt": attempt, "attempted_at": now, "status_code": response.status_code,
            "latency_ms": response.latency_ms, "error": response.error, "next_attempt_at": next_at})
        if seq is None:
            return
        if next_at is not None:  # the sender's own timer: its Attempted event wakes nobody
            asyncio.get_running_loop().call_later((next_at - now).total_seconds(), self.changes.wake)
        if response.error is None:
            await self._append(row, WebhookDeliverySucceeded, "succeeded", seq, {"attempts": attempt})
        elif next_at is None:
            await self._append(row, WebhookDeliveryFailed, "failed", seq, {"attempts": attempt, "reason": response.error})
        if gone or failing_too_long:
            reason = "the endpoint answered 410 Gone" if gone else "no successful delivery for 5 days"
            await self._disable(row, reason)

    async def _append(self, row, event_class: type[Event], name: str, expected: int, payload: dict) -> int | None:
        event = event_class(  # type: ignore[call-arg]  # a concrete event class: its type and version have defaults
            event_id=derive_event_id(uuid.UUID(row.delivery_id), name), project_id=row.project_id,
            aggregate_id=row.delivery_id, payload={"endpoint_id": row.endpoint_id, **payload})
        try:
            seq = await self.store.append(event, expected_last_seq=expected)
        except ConcurrencyError:
            log.warning("delivery %s changed under the sender; leaving it to the next round", row.delivery_id)
            return None
        self.recorded.pop(row.delivery_id, None)  # newest last: the oldest is forgotten first
        self.recorded[row.delivery_id] = seq
        if len(self.recorded) > RECORDED:
            del self.recorded[next(iter(self.recorded))]
        return seq

    async def _disable(self, row, reason: str) -> None:
        version = await self.store.aggregate_version("webhook", row.endpoint_id)
        event = WebhookEndpointDisabled(event_id=derive_event_id(uuid.UUID(row.delivery_id), "disable-endpoint"),
                                        project_id=row.project_id, aggregate_id=row.endpoint_id,
                                        payload={"reason": reason})
        try:
            await self.store.append(event, expected_last_seq=version)
        except ConcurrencyError:
            pass  # the endpoint changed meanwhile; its next failure decides again
        log.warning("webhook endpoint %s disabled: %s", row.endpoint_id, reason)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
