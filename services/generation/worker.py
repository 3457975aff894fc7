"""The generation worker: DashboardRequested -> GenerationStarted, GenerationProgressed...,
GenerationCompleted or GenerationFailed.

Workers share one durable pull consumer (a faststream subscriber), so any number can run. A job
is acked only once its outcome is in the log, and kept ours by a heartbeat while it runs; a worker
killed mid-job leaves the message unacked and another worker gets it after `ack_wait`. Every
emitted event's id derives from the request's id, so a rerun emits the same ids, and the outcome
is decided on the generation's own events and appended with their version: exactly one outcome,
whenever a second run ends. A job delivered MAX_ATTEMPTS times without an outcome fails, once.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import orjson
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts import (
    BlobRef,
    DashboardRequested,
    Event,
    GenerationCompleted,
    GenerationFailed,
    GenerationProgressed,
    GenerationStarted,
)
from contracts.rpc import Refused
from services.eventlog.blobs import BlobNotFound, BlobStore
from services.eventlog.commands import execute
from services.eventlog.connection import broker_options
from services.eventlog.reader import StoredEvent
from services.eventlog.store import EventStore
from services.generation.asked_cards import asked_card
from services.generation.choosing import choose_cards
from services.generation.dashboards import AGGREGATE as DASHBOARD
from services.generation.dashboards import (
    CorrectionsChanged,
    DashboardHistory,
    corrected_spec,
    generated_cards,
    keep_card_ids,
    target_of,
    version_events,
)
from services.generation.pdf import dashboard_pdf
from services.generation.profile import profile_table
from services.generation.reading import TableTooLarge, UnreadableFile, columnar_table, unreadable_as_such
from services.runtime.telemetry import GENERATION_STAGE_SECONDS, GENERATIONS

log = logging.getLogger(__name__)
DURABLE = "generation-workers"
FINAL = {"GenerationCompleted", "GenerationFailed"}
MAX_ATTEMPTS = 5
REDRAWS = 3  # a version drawn again because a person corrected the dashboard meanwhile
GONE = "the dashboard to refresh was deleted or does not exist"


class GenerationWorker:
    def __init__(self, store: EventStore, blobs: BlobStore, worker: str, ack_wait: float = 60.0) -> None:
        self.store = store
        self.blobs = blobs
        self.worker = worker
        self.ack_wait = ack_wait

    async def run(self, nats_url: str, stop: asyncio.Event) -> None:
        broker = NatsBroker(name=f"dashloom-generation-{self.worker}",
                            **broker_options(nats_url),
                            log_level=logging.DEBUG)  # one access line per event seen is noise
        self.subscribe(broker)
        await broker.start()
        try:
            await stop.wait()
        finally:
            await broker.stop()

    def subscribe(self, broker: NatsBroker) -> None:
        """The shared durable pull consumer of generation events, one message at a time.

        Acks are manual: faststream's default (REJECT_ON_ERROR) would term() a job on one
        exception, and a job must be acked only once its outcome is in the log.
        """
        broker.subscriber(
            "events.generation.>", stream=JStream(self.store.stream, declare=False), durable=DURABLE,
            pull_sub=PullSub(batch_size=1, timeout=1.0), ack_policy=AckPolicy.MANUAL,
            config=ConsumerConfig(ack_wait=self.ack_wait, max_deliver=-1, deliver_policy=DeliverPolicy.ALL,
                                  max_ack_pending=1000),
            title="generation-workers", description="DashboardRequested -> the dashboard's generation events",
        )(self.on_message)

    async def on_message(self, body: object, msg: NatsMessage) -> None:  # body: faststream's decoding, unused
        stored = StoredEvent.from_msg(msg.raw_message)
        # the type header first: the generation's other events are never decoded here
        if stored.type == "DashboardRequested" and isinstance(requested := stored.event, DashboardRequested):
            try:
                async with _kept_alive(msg, self.ack_wait):
                    await self._run_or_give_up(requested, msg.raw_message.metadata.num_delivered)
            except Exception:  # a bug or an outage: retry later, give up after a few tries
                log.exception("generation %s failed", requested.aggregate_id)
                if msg.raw_message.metadata.num_delivered < MAX_ATTEMPTS:
                    return await msg.nack(delay=5.0)
                await self._fail(requested, "INTERNAL_ERROR",
                                 f"the generation failed {MAX_ATTEMPTS} times; upload the file again")
        await msg.ack()

    async def _run_or_give_up(self, requested: DashboardRequested, delivered: int) -> None:
        """Run the job, unless it was delivered MAX_ATTEMPTS times already without an outcome.

        Deliveries are counted by JetStream, so a job whose every run killed its worker (no
        exception to count: an out-of-memory abort, a segfault in a reader) ends too, once.
        """
        if delivered <= MAX_ATTEMPTS:
            return await self._handle(requested)
        await self._fail(requested, "WORKER_STOPPED", f"the generation stopped its worker {MAX_ATTEMPTS} times, "
                         "most likely for lack of memory; upload a smaller file or fewer columns")

    async def _handle(self, requested: DashboardRequested) -> None:
        history = await self.store.load("generation", requested.aggregate_id)
        if any(e.type in FINAL for e in history):
            return  # a redelivery of a job another worker finished
        if not any(e.type == "GenerationStarted" for e in history):
            await self.store.append(requested.caused(GenerationStarted, payload={"worker": self.worker}))

        started = stage_started = time.monotonic()
        stages: list[str] = []

        async def progress(stage: str, percent: int) -> None:
            nonlocal stage_started
            now = time.monotonic()
            if stages:  # the stage before this one has ended
                GENERATION_STAGE_SECONDS.labels(stages[-1]).observe(now - stage_started)
            stages.append(stage)
            stage_started = now
            log.info("generation %s: %s at %.2f s", requested.aggregate_id, stage, now - started)
            await self.store.append(requested.caused(GenerationProgressed, name=f"progress-{stage}",
                                                     payload={"stage": stage, "percent": percent}))

        target = target_of(requested)
        try:
            spec, published = await self._drawn(requested, target, progress)
        except TableTooLarge as error:
            return await self._fail(requested, "FILE_TOO_LARGE", str(error))
        except UnreadableFile as error:
            return await self._fail(requested, "UNREADABLE_FILE", str(error))
        except MemoryError:
            return await self._fail(requested, "FILE_TOO_LARGE", "reading the file needed more memory than a "
                                    "generation may use; upload a smaller file or fewer columns")
        except BlobNotFound:
            return await self._fail(requested, "UPLOAD_MISSING", "the uploaded file is gone; upload it again")
        GENERATION_STAGE_SECONDS.labels(stages[-1] if stages else "rendering").observe(time.monotonic() - stage_started)
        if published is None:
            return await self._fail(requested, "DASHBOARD_NOT_FOUND", GONE)
        version, spec_ref, pdf_ref = published
        metrics = [{**m, "metric_id": f"{target}.{m['metric_id']}"} for m in spec["metrics"] if m["points"]]
        await self.conclude(requested.caused(GenerationCompleted, payload={
            "dashboard_id": target, "dashboard_version": version, "title": spec["title"],
            "spec": spec_ref, "card_count": len(spec["cards"]), "metrics": metrics[:50], "pdf": pdf_ref}))
        log.info("generation %s: completed at %.2f s", requested.aggregate_id, time.monotonic() - started)

    async def _drawn(self, requested: DashboardRequested, target: str, progress,
                     ) -> tuple[dict, tuple[int, BlobRef, BlobRef | None] | None]:
        """The spec drawn with the corrections in force and published as the dashboard's version;
        drawn again when a person corrected the dashboard meanwhile, so no correction is lost."""
        for _ in range(REDRAWS):
            board = DashboardHistory.of([e.event for e in await self.store.load(DASHBOARD, target)])
            if requested.payload.dashboard_id is not None and not board.open_to(requested.project_id):
                return {}, None
            previous = await self._spec_of(board.versions[-1].payload.spec.name) if board.versions else None
            try:
                spec = await self._generate(requested, progress, board, generated_cards(previous))
            except BlobNotFound:  # past the upload's retention: what needs no data applies still
                if requested.payload.cause != "correction" or previous is None:
                    raise
                spec = corrected_spec(previous, generated_cards(previous), board.corrections, None)
            try:
                return spec, await self._publish(requested, target, spec)
            except CorrectionsChanged:
                continue
        raise CorrectionsChanged(f"dashboard {target} was corrected {REDRAWS} times while drawn")

    async def _publish(self, requested: DashboardRequested, target: str, spec: dict,
                       ) -> tuple[int, BlobRef, BlobRef | None] | None:
        """Write the spec (and PDF) blobs, then the dashboard's version; answer its number and the
        blobs, or None when the dashboard was deleted meanwhile (its blobs are removed again)."""
        blob = f"{target}/{requested.aggregate_id}"  # one name per generation: a rerun rewrites the same
        pdf_ref = None
        if requested.payload.options.allow_pdf_export:
            pdf = await asyncio.to_thread(dashboard_pdf, spec)
            pdf_ref = await self.blobs.put(f"pdfs/{blob}.pdf", _once(pdf))
            spec["pdf"] = pdf_ref.name
        spec_ref = await self.blobs.put(f"specs/{blob}.json", _once(orjson.dumps(spec)))
        added = {"title": spec["title"], "spec": spec_ref, "pdf": pdf_ref, "row_count": spec["rows"],
                 "card_count": len(spec["cards"]), "corrections_applied": spec["corrections_applied"]}
        try:
            await execute(self.store, DASHBOARD, target, lambda history: version_events(requested, history, added))
        except Refused:
            for ref in (spec_ref, pdf_ref):
                if ref is not None:
                    await self.blobs.delete(ref.name)
            return None
        history = [e.event for e in await self.store.load(DASHBOARD, target)]
        version = DashboardHistory.of(history).version_of(requested.aggregate_id)
        return None if version is None else (version, spec_ref, pdf_ref)

    async def _spec_of(self, spec_blob: str) -> dict | None:
        try:
            return orjson.loads(b"".join([chunk async for chunk in self.blobs.read(spec_blob)]))
        except BlobNotFound:
            return None

    async def _fail(self, requested: DashboardRequested, code: str, reason: str) -> None:
        log.warning("generation %s failed: %s (%s)", requested.aggregate_id, code, reason)
        await self.conclude(requested.caused(GenerationFailed, payload={"code": code, "reason": reason}))

    async def conclude(self, outcome: Event) -> bool:
        """Append the job's outcome unless the generation already has one; answer whether it did.

        Decided on the generation's own events and appended with their version: two runs of one
        job (a redelivery while the first still works, or after the duplicate window) end once.
        """
        def decide(history: Sequence[Event]) -> list[Event]:
            return [] if any(e.type in FINAL for e in history) else [outcome]

        concluded = bool(await execute(self.store, "generation", outcome.aggregate_id, decide))
        if concluded:
            code = outcome.payload.code if isinstance(outcome, GenerationFailed) else ""
            GENERATIONS.labels("failed" if code else "completed", code).inc()
        return concluded

    async def _generate(self, requested: DashboardRequested, progress, board: DashboardHistory,
                        previous: list[dict]) -> dict:
        """The dashboard from the file: what the generator chooses (keeping the previous version's
        card ids where the query is the same), then a person's corrections replayed over it."""
        payload = requested.payload
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as work:
            await progress("parsing", 5)
            path = await self.blobs.local_file(payload.upload.name, Path(work))
            frame = await asyncio.to_thread(unreadable_as_such, lambda: columnar_table(path, payload.file_format,
                                                                                     Path(work)), payload.file_format)
            await progress("profiling", 30)
            column_types = board.column_types_with(payload.column_types, set(frame.collect_schema().names()))
            profile = await asyncio.to_thread(unreadable_as_such, lambda: profile_table(frame, column_types),
                                              payload.file_format)
            if profile.rows == 0 or not profile.columns:
                raise UnreadableFile("the file has no rows of data")
            await progress("choosing", 60)
            scrollable = payload.options.allow_scrollable_cards
            spec = await asyncio.to_thread(unreadable_as_such, lambda: choose_cards(profile, payload.title or "Dashboard",
                                                                                   scrollable), payload.file_format)
            keep_card_ids(previous, spec["cards"])
            spec = await asyncio.to_thread(unreadable_as_such, lambda: corrected_spec(
                spec, spec["cards"], board.corrections, lambda query, card_id: asked_card(profile, query, card_id)),
                payload.file_format)
        spec["options"] = payload.options.model_dump()
        spec["layout"] = "scrollable" if scrollable else "grid"
        spec["generated_in_seconds"] = round(time.monotonic() - started, 3)
        await progress("rendering", 90)
        return spec


@asynccontextmanager
async def _kept_alive(msg, ack_wait: float) -> AsyncIterator[None]:
    """Tell JetStream the job is still ours every third of `ack_wait`, while a stage runs too."""
    async def beat() -> None:
        while True:
            await asyncio.sleep(ack_wait / 3)
            try:
                await msg.in_progress()
            except Exception as error:  # the bus is away: the next beat tries again
                log.warning("in_progress failed: %s", type(error).__name__)

    heartbeat = asyncio.create_task(beat())
    try:
        yield
    finally:
        heartbeat.cancel()
        with suppress(asyncio.CancelledError):
            await heartbeat


async def _once(data: bytes):
    yield data
