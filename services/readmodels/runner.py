"""The live projection runner: follows the log with a durable consumer and keeps a read model current.

It resumes from its SQL checkpoint (the consumer is recreated there at every start), applies
ordered batches in one transaction each, and acks only after the commit. A redelivered event
is skipped by sequence, so a crash anywhere between commit and ack is harmless.

A batch that fails while the database still answers is applied again event by event; an event
that keeps failing is parked (batches.park_event) and the runner goes on. Logs name the event
and the error's class, never its message or SQL parameters.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import Engine, text

from contracts import OPERATOR_PROJECT, STREAM_NAME, STREAM_SUBJECTS, ProjectionEventParked
from services.eventlog.reader import StoredEvent, fetch_unless_stopped
from services.eventlog.store import EventStore
from services.readmodels.batches import LeaseLost, apply_batch, park_event
from services.readmodels.checkpoints import (
    ProjectionLease,
    bookkeeping,
    read_checkpoint,
)
from services.readmodels.database import create_tables
from services.readmodels.parking import error_class
from services.readmodels.projection import Projection
from services.runtime.backoff import Backoff

log = logging.getLogger(__name__)
RETRY_FIRST, RETRY_LONGEST = 1.0, 10.0  # seconds before following again after the bus or database failed
PARKED_IDS = uuid.UUID("5b0f4c9e-2d6a-4f0e-8c1b-7a3e9d2f6b10")


def create_read_model_tables(engine: Engine, *projections: Projection) -> None:
    create_tables(engine, bookkeeping.sorted_tables)
    for projection in projections:
        projection.create_tables(engine)


class ProjectionRunner:
    def __init__(self, js: JetStreamContext, engine: Engine, projection: Projection, owner: str,
                 batch_size: int = 500, lease_ttl: float = 15.0, stall_after: float = 5.0,
                 stream: str = STREAM_NAME, attempts: int = 3, retry_delay: float = 0.2,
                 idle_seconds: float = 1.0) -> None:
        self.js = js
        self.engine = engine
        self.projection = projection
        self.lease = ProjectionLease(projection.name, owner, lease_ttl)
        self.batch_size = batch_size
        self.stall_after = stall_after
        self.stream = stream
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.idle_seconds = idle_seconds  # a fetch's wait on an idle stream: then the lease may be renewed
        self.checkpoint = 0
        self.fenced_at = 0.0  # when a fence last extended the lease (time.monotonic)
        self.last_error: str | None = None

    @property
    def durable_name(self) -> str:
        return f"projection-{self.projection.name}"

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(RETRY_FIRST, RETRY_LONGEST)
        while not stop.is_set():
            if not await asyncio.to_thread(self._in_transaction, self.lease.try_acquire):
                await _wait(stop, min(1.0, self.lease.ttl / 3))
                continue
            self.fenced_at = time.monotonic()
            backoff.started()
            try:
                await self._follow(stop)
            except LeaseLost:
                log.info("%s: lease taken over; waiting for it", self.projection.name)
            except Exception as error:  # a lost connection, to the bus or the database: retry from the checkpoint
                self.last_error = error_class(error)
                delay = max(backoff.died(), RETRY_FIRST)  # no quorum may last: do not ask it every second
                log.warning("%s: %s; retrying from checkpoint in %.1f s", self.projection.name, error_class(error), delay)
                await _wait(stop, delay)
        await asyncio.to_thread(self._in_transaction, self.lease.release)

    def _in_transaction(self, operation):
        with self.engine.begin() as conn:
            return operation(conn)

    async def _follow(self, stop: asyncio.Event) -> None:
        self.checkpoint = await asyncio.to_thread(self._in_transaction,
                                                  lambda c: read_checkpoint(c, self.projection.name))
        subscription = await self._subscribe_after(self.checkpoint)
        idle_since = time.monotonic()
        try:
            while not stop.is_set():
                msgs = await fetch_unless_stopped(subscription, self.batch_size, self.idle_seconds, stop)
                if msgs is None:
                    return
                if not msgs:  # nats-py can also answer an empty list
                    await self._renew_lease()
                    if time.monotonic() - idle_since > self.stall_after and await self._lagging():
                        # a pull subscription can stall after a server restart: start it again
                        await subscription.unsubscribe()
                        subscription = await self._subscribe_after(self.checkpoint)
                        idle_since = time.monotonic()
                    continue
                idle_since = time.monotonic()
                self.checkpoint = await self._apply([StoredEvent.from_msg(m) for m in msgs])
                self.last_error = None
                await msgs[-1].ack()  # AckPolicy.ALL: acknowledges the whole batch
        finally:
            await _quietly(subscription.unsubscribe())

    async def _apply(self, events: list[StoredEvent]) -> int:
        try:
            return await self._apply_batch(events)
        except LeaseLost:
            raise
        except Exception as error:
            if not await asyncio.to_thread(self._database_answers):
                raise
            log.warning("%s: batch of seq %d-%d failed (%s); applying its events one by one",
                        self.projection.name, events[0].seq, events[-1].seq, error_class(error))
        for stored in events:
            self.checkpoint = await self._apply_or_park(stored)
        return self.checkpoint

    async def _apply_or_park(self, stored: StoredEvent) -> int:
        for attempt in range(1, self.attempts + 1):
            try:
                return await self._apply_batch([stored], known_position=False)
            except LeaseLost:
                raise
            except Exception as error:
                if not await asyncio.to_thread(self._database_answers):
                    raise
                failure = error
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay * attempt)
        checkpoint = await asyncio.to_thread(park_event, self.engine, self.projection, self.projection.name,
                                             stored, failure, self.lease)
        log.warning("%s: parked event %s (seq %d, %s) after %d attempts: %s", self.projection.name,
                    stored.event_id, stored.seq, stored.type, self.attempts, error_class(failure))
        await self._announce_parked(stored, failure)
        return checkpoint

    async def _announce_parked(self, stored: StoredEvent, failure: BaseException) -> None:
        """ProjectionEventParked in the log, for operators and subscribers; its id comes from the
        projection and the sequence, so a second parking of the same event stores nothing new."""
        try:
            project_id = stored.event.project_id
        except Exception:  # the event may be the very thing that cannot be read
            project_id = OPERATOR_PROJECT
        name = self.projection.name
        announcement = ProjectionEventParked(
            event_id=uuid.uuid5(PARKED_IDS, f"{name}:{stored.seq}"), project_id=project_id, aggregate_id=name,
            payload={"projection": name, "seq": stored.seq, "parked_event_id": stored.event_id,
                     "parked_event_type": stored.type, "error_class": error_class(failure)})
        try:
            await EventStore(self.js, self.stream).append(announcement)
        except Exception as error:  # the row in projection_parked_events is what counts; this is news of it
            log.warning("%s: could not announce parked seq %d: %s", name, stored.seq, error_class(error))

    async def _apply_batch(self, events: list[StoredEvent], known_position: bool = True) -> int:
        """`known_position`: no batch failed since this runner last committed, so its checkpoint is the
        one in the database (a failed commit may have committed: then it is read again)."""
        fenced_at = time.monotonic()  # the fence runs when the transaction begins
        checkpoint = await asyncio.to_thread(apply_batch, self.engine, self.projection, self.projection.tables(),
                                             self.projection.name, events, self.lease,
                                             self.checkpoint if known_position else None)
        self.fenced_at = fenced_at
        return checkpoint

    def _database_answers(self) -> bool:
        """An error with the database up is the event's own; with it down, anyone's."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def _renew_lease(self) -> None:
        """Extend the lease while idle, once a third of it has passed since a batch or a renewal
        extended it (a runner that writes nothing needs no fence more often)."""
        if time.monotonic() - self.fenced_at < self.lease.ttl / 3:
            return
        if not await asyncio.to_thread(self._in_transaction, self.lease.fence):
            raise LeaseLost(self.projection.name)
        self.fenced_at = time.monotonic()

    async def _lagging(self) -> bool:
        return (await self.js.stream_info(self.stream)).state.last_seq > self.checkpoint

    async def _subscribe_after(self, checkpoint: int):
        try:
            await self.js.delete_consumer(self.stream, self.durable_name)
        except NotFoundError:
            pass
        config = ConsumerConfig(ack_policy=AckPolicy.ALL, ack_wait=60.0, max_deliver=-1,
                                max_ack_pending=-1)
        if checkpoint > 0:
            config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, checkpoint + 1
        else:
            config.deliver_policy = DeliverPolicy.ALL
        return await self.js.pull_subscribe(STREAM_SUBJECTS[0], durable=self.durable_name,
                                            stream=self.stream, config=config)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:
        pass
