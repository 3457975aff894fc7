"""A person's corrections of a dashboard: events on the dashboard itself (events.dashboard.<id>).

No generator gets every table right. A correction (remove, pin, move, rename a card, change a
card's query, add a card from a query, set the table's column types) is decided on the
dashboard's events and appended at its version; every later version of the dashboard replays the
corrections still in force, in the order they were made, over what the generator chose. An undo
(DashboardCorrectionUndone) takes one out of force; the event itself stays in the log.

Each carries who made it (`corrected_by`: an API key id or a JWT subject, never a secret) and,
in the envelope, when (`occurred_at`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.dashboard_ids import DASHBOARD_ID_PATTERN
from contracts.envelope import Event
from contracts.generation import COLUMN_TYPES, TABLE_GRAINS

CARD_ID = r"^[A-Za-z0-9_.:-]{1,200}$"
CORRECTION_ID = r"^cor_[0-9a-f]{32}$"
Aggregate = Literal["count", "sum", "mean", "median", "share", "last", "distinct"]
TimeGrain = Literal["day", "week", "month", "quarter", "year"]


class CardQuery(BaseModel):
    """What a card computes, as a person says it: a measure (None: the records counted) with its
    aggregate, grouped by a column, over time at a grain, split by a column, the top N groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    measure: str | None = Field(default=None, min_length=1, max_length=256, description="None: count the records")
    aggregate: Aggregate = "count"
    by: list[str] = Field(default_factory=list, max_length=1, description="At most one column to group by")
    time_grain: TimeGrain | None = Field(default=None, description="Over the table's time axis, at this grain")
    split: str | None = Field(default=None, min_length=1, max_length=256, description="One line per value (with time_grain)")
    top_n: int | None = Field(default=None, ge=1, le=50, description="The top N groups of `by`, the rest as Other")

    def columns(self) -> list[str]:
        """The table's columns it reads, in the order a person reads the query."""
        return [name for name in (self.measure, *self.by, self.split) if name is not None]


class CorrectionPayload(BaseModel):
    dashboard_id: str = Field(pattern=DASHBOARD_ID_PATTERN)
    correction_id: str = Field(pattern=CORRECTION_ID)
    corrected_by: str | None = Field(default=None, description="The API key id or JWT subject that corrected")
    idempotency_key: str | None = Field(default=None, max_length=200)


class CardRemovedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID)


class CardPinnedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID)


class CardMovedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID)
    position: int = Field(ge=0, le=1000, description="Its place among the cards, 0 first")


class CardQueryChangedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID)
    query: CardQuery


class CardAddedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID, description="The new card's id")
    title: str | None = Field(default=None, max_length=200)
    query: CardQuery


class CardRenamedPayload(CorrectionPayload):
    card_id: str = Field(pattern=CARD_ID)
    title: str = Field(min_length=1, max_length=200)


class ColumnTypesSetPayload(CorrectionPayload):
    column_types: dict[str, Literal[COLUMN_TYPES + TABLE_GRAINS]] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=1000, description='Every later version is generated with these (and "grain")')


class CorrectionUndonePayload(CorrectionPayload):
    undone_correction_id: str = Field(pattern=CORRECTION_ID)


class DashboardCardRemoved(Event):
    """A person removed a card: later versions leave it out."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardRemoved"] = "DashboardCardRemoved"
    version: Literal[1] = 1
    payload: CardRemovedPayload


class DashboardCardPinned(Event):
    """A person pinned a card: it stays first (pinned cards in the order they were pinned)."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardPinned"] = "DashboardCardPinned"
    version: Literal[1] = 1
    payload: CardPinnedPayload


class DashboardCardMoved(Event):
    """A person moved a card to a place among the cards."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardMoved"] = "DashboardCardMoved"
    version: Literal[1] = 1
    payload: CardMovedPayload


class DashboardCardQueryChanged(Event):
    """A person changed what a card computes (measure, aggregate, by, time grain, split, top N)."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardQueryChanged"] = "DashboardCardQueryChanged"
    version: Literal[1] = 1
    payload: CardQueryChangedPayload


class DashboardCardAdded(Event):
    """A person added a card from a query."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardAdded"] = "DashboardCardAdded"
    version: Literal[1] = 1
    payload: CardAddedPayload


class DashboardCardRenamed(Event):
    """A person gave a card another title."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCardRenamed"] = "DashboardCardRenamed"
    version: Literal[1] = 1
    payload: CardRenamedPayload


class DashboardColumnTypesSet(Event):
    """A person set the table's column types: every later version is generated with them."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardColumnTypesSet"] = "DashboardColumnTypesSet"
    version: Literal[1] = 1
    payload: ColumnTypesSetPayload


class DashboardCorrectionUndone(Event):
    """A person undid one correction: later versions no longer replay it."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCorrectionUndone"] = "DashboardCorrectionUndone"
    version: Literal[1] = 1
    payload: CorrectionUndonePayload


CARD_CORRECTIONS: tuple[type[Event], ...] = (
    DashboardCardRemoved, DashboardCardPinned, DashboardCardMoved, DashboardCardQueryChanged, DashboardCardAdded,
    DashboardCardRenamed, DashboardColumnTypesSet)
CORRECTION_EVENTS: tuple[type[Event], ...] = (*CARD_CORRECTIONS, DashboardCorrectionUndone)
CORRECTION_TYPES = frozenset(event.model_fields["type"].default for event in CORRECTION_EVENTS)
# The API's name of each correction, and back
KINDS: dict[str, str] = {
    "DashboardCardRemoved": "remove", "DashboardCardPinned": "pin", "DashboardCardMoved": "move",
    "DashboardCardQueryChanged": "change_query", "DashboardCardAdded": "add", "DashboardCardRenamed": "rename",
    "DashboardColumnTypesSet": "set_column_types", "DashboardCorrectionUndone": "undo"}

CORRECTION_OF_KIND: dict[str, type[Event]] = {KINDS[e.model_fields["type"].default]: e for e in CARD_CORRECTIONS}


def corrections_in_force(history: Sequence[Event]) -> list[Event]:
    """The corrections a version replays, in the order they were made: every one not undone."""
    undone = {e.payload.undone_correction_id for e in history if isinstance(e, DashboardCorrectionUndone)}
    return [e for e in history if e.type in CORRECTION_TYPES and not isinstance(e, DashboardCorrectionUndone)
            and e.payload.correction_id not in undone]


def corrections_revision(history: Sequence[Event]) -> int:
    """How many corrections (and undos) the dashboard has had: the `If-Match` of the next one."""
    return sum(1 for e in history if e.type in CORRECTION_TYPES)


def column_types_in_force(history: Sequence[Event]) -> dict[str, str]:
    """The column types every later version is generated with: each set in turn, the later winning."""
    types: dict[str, str] = {}
    for event in corrections_in_force(history):
        if isinstance(event, DashboardColumnTypesSet):
            types.update(event.payload.column_types)
    return types
