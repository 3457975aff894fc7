"""A person's correction of a dashboard, decided on the dashboard's own events and appended at
their version: checked against the dashboard's newest version (its cards, its columns) and the
caller's `If-Match` revision. Then the newest version's file is drawn again with it: a
DashboardRequested of cause "correction", whose id derives from the correction's (a retry asks
for the same drawing, which JetStream stores once).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from contracts import DashboardCreated, DashboardRequested, DashboardVersionAdded, Event, derive_event_id
from contracts.corrections import (
    CORRECTION_OF_KIND,
    DashboardCardAdded,
    DashboardCorrectionUndone,
    column_types_in_force,
    corrections_in_force,
    corrections_revision,
)
from contracts.generation import GRAIN_KEY
from contracts.rpc import Refused
from services.eventlog.commands import execute
from services.eventlog.store import ConcurrencyError, EventStore
from services.gateway.corrections.models import CorrectionIn
from services.gateway.dashboards.commands import AGGREGATE, dashboard_of, owned

IDEMPOTENCY = uuid.UUID("0b4f4f8e-7f55-4a38-9a7e-1c5d0e6a9f21")


@dataclass(frozen=True)
class Corrector:
    """Who corrects which dashboard, and what they saw of it."""

    project_id: str
    dashboard_id: str
    actor: str
    if_match: int | None  # the revision the caller saw; None: no check, apply after the others
    idempotency_key: str | None = None

    def correction_id(self, salt: str) -> str:
        if self.idempotency_key:
            salt = f"{self.project_id}:{self.dashboard_id}:{self.idempotency_key}"
        return "cor_" + uuid.uuid5(IDEMPOTENCY, salt).hex


@dataclass(frozen=True)
class Corrected:
    event: Event
    seq: int | None  # None: an earlier request with the same Idempotency-Key made it
    redraw: DashboardRequested | None  # the newest version drawn again with it; None: no data yet


def cards_and_columns(spec: dict | None) -> tuple[set[str], set[str]]:
    spec = spec or {}
    return {card["id"] for card in spec.get("cards", [])}, {column["name"] for column in spec.get("columns", [])}


def checked(correction, spec: dict | None, history: Sequence[Event]) -> None:
    """A 422 naming what the dashboard does not have: a card, or a column of the query."""
    cards, columns = cards_and_columns(spec)
    cards |= {e.payload.card_id for e in corrections_in_force(history) if isinstance(e, DashboardCardAdded)}
    card_id = getattr(correction, "card_id", None)
    if card_id is not None and card_id not in cards:
        raise Refused("VALIDATION_ERROR", f"card_id: the dashboard has no card `{card_id}`")
    query = getattr(correction, "query", None)
    if query is not None:
        for field, names in (("measure", [query.measure]), ("by", query.by), ("split", [query.split])):
            for name in names:
                if name is not None and name not in columns:
                    raise Refused("VALIDATION_ERROR", f"query.{field}: the dashboard has no column `{name}`")
        if query.measure is None and query.aggregate != "count":
            raise Refused("VALIDATION_ERROR", f"query.measure: a {query.aggregate} needs a measure column")
    for name in getattr(correction, "column_types", None) or {}:
        if name != GRAIN_KEY and name not in columns:
            raise Refused("VALIDATION_ERROR", f"column_types: the dashboard has no column `{name}`")


def fresh(history: Sequence[Event], if_match: int | None) -> None:
    revision = corrections_revision(history)
    if if_match is not None and if_match != revision:
        raise Refused("CONFLICT", f"the dashboard's corrections are at revision {revision}, not {if_match}: "
                                  "another correction came first; load them again")


def _latest_version(history: Sequence[Event]) -> DashboardVersionAdded | None:
    return next((e for e in reversed(history) if isinstance(e, DashboardVersionAdded)), None)


def _decided(who: Corrector, history: Sequence[Event], make) -> list[Event]:
    owned(dashboard_of(history), who.project_id)
    if not history or not isinstance(history[0], DashboardCreated):
        raise Refused("CONFLICT", "a dashboard made before typed ids can be read, shared and deleted, not corrected")
    if _latest_version(history) is None:
        raise Refused("CONFLICT", "this dashboard has no data yet: upload a file into it first")
    return make()


async def correct(store: EventStore, who: Corrector, correction: CorrectionIn, spec: dict | None) -> Corrected:
    """Append the correction (once per Idempotency-Key), then ask for the newest version drawn with it."""
    correction_id = who.correction_id(uuid.uuid4().hex)
    fields = correction.model_dump(exclude={"kind"}, exclude_none=True)
    if correction.kind == "add":
        fields["card_id"] = f"mine-{correction_id[4:12]}"
    found: list[Event] = []

    def decide(history: Sequence[Event]) -> list[Event]:
        def make() -> list[Event]:
            earlier = [e for e in history if getattr(e.payload, "correction_id", None) == correction_id]
            if earlier:
                found[:] = earlier
                return []
            fresh(history, who.if_match)
            checked(correction, spec, history)
            make_event: Any = CORRECTION_OF_KIND[correction.kind]
            event = make_event(
                event_id=uuid.uuid5(IDEMPOTENCY, correction_id), project_id=who.project_id,
                aggregate_id=who.dashboard_id, payload={
                    "dashboard_id": who.dashboard_id, "correction_id": correction_id, "corrected_by": who.actor,
                    "idempotency_key": who.idempotency_key, **fields})
            found[:] = [event]
            return [event]
        return _decided(who, history, make)

    sequences = await execute(store, AGGREGATE, who.dashboard_id, decide)
    return await _redrawn(store, who, found[0], sequences[0] if sequences else None)


async def undo(store: EventStore, who: Corrector, correction_id: str) -> Corrected:
    """Take a correction out of force (the undo's id derives from it: undoing twice is one undo)."""
    undo_id = "cor_" + uuid.uuid5(IDEMPOTENCY, f"undo:{correction_id}").hex
    found: list[Event] = []

    def decide(history: Sequence[Event]) -> list[Event]:
        def make() -> list[Event]:
            earlier = [e for e in history if isinstance(e, DashboardCorrectionUndone)
                       and e.payload.undone_correction_id == correction_id]
            if earlier:
                found[:] = earlier
                return []
            if not any(getattr(e.payload, "correction_id", None) == correction_id for e in history):
                raise Refused("NOT_FOUND", "no such correction of this dashboard")
            fresh(history, who.if_match)
            event = DashboardCorrectionUndone(
                event_id=uuid.uuid5(IDEMPOTENCY, undo_id), project_id=who.project_id, aggregate_id=who.dashboard_id,
                payload={"dashboard_id": who.dashboard_id, "correction_id": undo_id, "corrected_by": who.actor,
                         "idempotency_key": who.idempotency_key, "undone_correction_id": correction_id})
            found[:] = [event]
            return [event]
        return _decided(who, history, make)

    sequences = await execute(store, AGGREGATE, who.dashboard_id, decide)
    return await _redrawn(store, who, found[0], sequences[0] if sequences else None)


async def _redrawn(store: EventStore, who: Corrector, event: Event, seq: int | None) -> Corrected:
    """The newest version's file drawn again for the correction, as a refresh in place of cause
    "correction" (its column types: the upload's, under those a person set since)."""
    history = [stored.event for stored in await store.load(AGGREGATE, who.dashboard_id)]
    latest = _latest_version(history)
    assert latest is not None  # decided above: the dashboard has data
    requests = [e.event for e in await store.load("generation", latest.payload.generation_id)]
    asked = next((e for e in requests if isinstance(e, DashboardRequested)), None)
    if asked is None:
        return Corrected(event, seq, None)
    column_types = {**(asked.payload.column_types or {}), **column_types_in_force(history)} or None
    generation_id = derive_event_id(event.event_id, "redraw").hex
    redraw = DashboardRequested(
        event_id=derive_event_id(event.event_id, "redraw-requested"), project_id=who.project_id,
        aggregate_id=generation_id, correlation_id=event.event_id, causation_id=event.event_id,
        payload={**asked.payload.model_dump(), "idempotency_key": None, "dashboard_id": who.dashboard_id,
                 "requested_by": who.actor, "cause": "correction", "column_types": column_types})
    if not await store.aggregate_version("generation", generation_id):
        with suppress(ConcurrencyError):  # the same retry, sent twice at once: one drawing
            await store.append(redraw, expected_last_seq=0)
    return Corrected(event, seq, redraw)

