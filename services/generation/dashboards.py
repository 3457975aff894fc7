"""The dashboard a generation writes into: a new one, or the next version of an existing one.

The worker decides on the dashboard's own events (events.dashboard.<id>) and appends with their
version, so two refreshes of one dashboard get versions n and n+1, never two n, and a dashboard
deleted meanwhile (or another project's) gets nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from contracts import DashboardCreated, DashboardDeleted, DashboardRequested, DashboardVersionAdded, Event
from contracts.corrections import column_types_in_force, corrections_in_force
from contracts.generation import GRAIN_KEY
from contracts.rpc import Refused
from services.generation.corrections import Draw, apply_corrections

AGGREGATE = DashboardCreated.aggregate


@dataclass
class DashboardHistory:
    """What the worker needs of a dashboard's events."""

    project_id: str | None = None
    deleted: bool = False
    versions: list[DashboardVersionAdded] = field(default_factory=list)
    corrections: list[Event] = field(default_factory=list)  # in force, in the order they were made
    column_types: dict[str, str] = field(default_factory=dict)  # set by corrections, for every later version

    @classmethod
    def of(cls, history: Sequence[Event]) -> DashboardHistory:
        board = cls(corrections=corrections_in_force(history), column_types=column_types_in_force(history))
        for event in history:
            if isinstance(event, DashboardCreated):
                board.project_id = event.project_id
            elif isinstance(event, DashboardVersionAdded):
                board.versions.append(event)
            elif isinstance(event, DashboardDeleted):
                board.deleted = True
        return board

    def open_to(self, project_id: str) -> bool:
        """Whether a generation of `project_id` may add a version."""
        return self.project_id == project_id and not self.deleted

    def column_types_with(self, uploaded: dict[str, str] | None, columns: set[str]) -> dict[str, str] | None:
        """The upload's column types over those a person set for the file's columns still there."""
        kept = {name: kind for name, kind in self.column_types.items() if name in columns or name == GRAIN_KEY}
        return {**kept, **(uploaded or {})} or None

    def version_of(self, generation_id: str) -> int | None:
        return next((v.payload.version for v in self.versions if v.payload.generation_id == generation_id), None)


class CorrectionsChanged(Exception):
    """A person corrected the dashboard while this version was drawn: draw it again with them."""


def correction_ids(corrections: Sequence[Event]) -> list[str]:
    return [event.payload.correction_id for event in corrections]


def target_of(requested: DashboardRequested) -> str:
    """The dashboard a request fills: the one it names (refresh), else a new one of its own."""
    return requested.payload.dashboard_id or f"dsh_{requested.aggregate_id}"


def version_events(requested: DashboardRequested, history: Sequence[Event], added: dict) -> list[Event]:
    """DashboardCreated (a new dashboard) and DashboardVersionAdded, or nothing when this
    generation's version is already there (a rerun). Refused for a refused refresh."""
    board, target = DashboardHistory.of(history), target_of(requested)
    if board.version_of(requested.aggregate_id) is not None:
        return []
    if correction_ids(board.corrections) != added.get("corrections_applied", []):
        raise CorrectionsChanged()
    events: list[Event] = []
    if requested.payload.dashboard_id is not None:
        if not board.open_to(requested.project_id):
            raise Refused("NOT_FOUND", "the dashboard to refresh is gone")
    elif board.project_id is None:
        events.append(requested.caused(DashboardCreated, aggregate_id=target, payload={
            "dashboard_id": target, "name": added["title"][:200], "tenant_id": requested.payload.tenant_id,
            "workspace_id": requested.payload.workspace_id, "created_by": requested.payload.requested_by}))
    events.append(requested.caused(DashboardVersionAdded, aggregate_id=target, payload={
        **added, "dashboard_id": target, "version": len(board.versions) + 1, "generation_id": requested.aggregate_id,
        "upload": requested.payload.upload, "requested_by": requested.payload.requested_by,
        "cause": requested.payload.cause}))
    return events


def _query_key(card: dict) -> bytes:
    """What a card computes: its query, or for a card without one (the table, notes) its kind and columns."""
    what = card.get("query") or {"kind": card.get("kind"), "columns": card.get("columns")}
    return orjson.dumps({"kind": card.get("kind"), "what": what}, option=orjson.OPT_SORT_KEYS)


def generated_cards(spec: dict | None) -> list[dict]:
    """What the generator chose for a version, before a person's corrections: kept whole where a
    correction changed or removed a card, else as a reference to the card as shown."""
    if not spec:
        return []
    if "generated_cards" not in spec:
        return spec.get("cards", [])
    shown = {card["id"]: card for card in spec.get("cards", [])}
    return [shown[card["id"]] if card.get("as_shown") else card for card in spec["generated_cards"]]


def corrected_spec(spec: dict, generated: list[dict], corrections: Sequence[Event], draw: Draw | None) -> dict:
    """The spec with `generated` as its generator's cards and the corrections replayed over them."""
    columns = {column["name"] for column in spec.get("columns", [])}
    cards, report = apply_corrections(generated, corrections, columns, draw)
    shown = {card["id"]: card for card in cards}
    remembered = [{"id": card["id"], "as_shown": True} if shown.get(card["id"]) == card else card
                  for card in generated]
    return {**spec, "cards": cards, "corrections": report, "generated_cards": remembered,
            "corrections_applied": correction_ids(corrections)}


def keep_card_ids(previous: list[dict], cards: list[dict]) -> None:
    """A card keeps the id it had in the previous version where its query is the same; a card whose
    readable id was the previous version's id of another query gets an id of its own. `previous`
    is what the generator chose then: a person's corrections name cards by these ids."""
    old_by_query: dict[bytes, str] = {}
    old_query_of: dict[str, bytes] = {}
    for card in previous:
        old_by_query.setdefault(_query_key(card), card["id"])
        old_query_of[card["id"]] = _query_key(card)
    taken: set[str] = set()
    for card in cards:
        key = _query_key(card)
        kept = old_by_query.get(key)
        if kept is not None and kept not in taken:
            card["id"] = kept
        elif card["id"] in taken or old_query_of.get(card["id"], key) != key:
            card["id"] = f"{card['id']}-{hashlib.sha256(key).hexdigest()[:8]}"
        taken.add(card["id"])
