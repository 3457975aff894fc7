"""A person's corrections replayed over what the generator chose: a pure function of the generated
cards, the corrections in force (in the order they were made) and the version's columns.

A correction that no longer fits the version (its card or its column is gone) is kept and said:
on its card when there is one ("the column `price` is gone from this version"), and in the
spec's `corrections` list always; it is never dropped silently. A card a person chose says so in
its rule. Drawing a card for a query needs the data, so it is given as `draw`; `draw` None (the
file is no longer kept) leaves the query corrections waiting for the next upload, said likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contracts import Event
from contracts.corrections import (
    KINDS,
    CardQuery,
    DashboardCardAdded,
    DashboardCardMoved,
    DashboardCardPinned,
    DashboardCardQueryChanged,
    DashboardCardRemoved,
    DashboardCardRenamed,
    DashboardColumnTypesSet,
)

Draw = Callable[[CardQuery, str], dict | None]  # (query, card id) -> the card, or None: it cannot be drawn
BY_A_PERSON = "chosen by a person"
NO_DATA = "the file of this version is no longer kept: this applies with the next upload"


def query_words(query: CardQuery) -> str:
    what = f"{query.aggregate} of {query.measure}" if query.measure else "records counted"
    parts = [what] + [f"by {name}" for name in query.by]
    if query.time_grain:
        parts.append(f"per {query.time_grain}")
    if query.split:
        parts.append(f"split by {query.split}")
    if query.top_n:
        parts.append(f"top {query.top_n}")
    return " ".join(parts)


def missing_columns(query: CardQuery, columns: set[str]) -> list[str]:
    return [name for name in query.columns() if name not in columns]


def gone_words(names: list[str]) -> str:
    listed = ", ".join(f"`{name}`" for name in names)
    return f"the column{'s' if len(names) > 1 else ''} {listed} {'are' if len(names) > 1 else 'is'} gone from this version"


class Replay:
    """The cards as the corrections leave them, and what became of each correction."""

    def __init__(self, cards: list[dict], columns: set[str], draw: Draw | None) -> None:
        self.cards = [dict(card) for card in cards]
        self.columns = columns
        self.draw = draw
        self.pinned: list[str] = []
        self.report: list[dict] = []

    def card(self, card_id: str) -> dict | None:
        return next((card for card in self.cards if card["id"] == card_id), None)

    def said(self, event: Event, problem: str | None = None) -> None:
        self.report.append({"correction_id": event.payload.correction_id, "kind": KINDS[event.type],
                            "card_id": getattr(event.payload, "card_id", None), "applied": problem is None,
                            "problem": problem})
        card = self.card(getattr(event.payload, "card_id", "")) if problem else None
        if card is not None:
            card["problems"] = [*card.get("problems", []), problem]

    def by_person(self, card: dict, event: Event, what: str) -> None:
        card["corrections"] = [*card.get("corrections", []), event.payload.correction_id]
        card["person"] = [*card.get("person", []), f"{what} by {event.payload.corrected_by or 'someone'}"]

    def apply(self, event: Event) -> None:
        card_id = getattr(event.payload, "card_id", None)
        if isinstance(event, DashboardColumnTypesSet):
            return self.column_types(event)
        if isinstance(event, DashboardCardAdded):
            return self.add(event)
        card = self.card(card_id) if card_id else None
        if card is None:
            return self.said(event, f"the card `{card_id}` is not in this version")
        if isinstance(event, DashboardCardRemoved):
            self.cards.remove(card)
            self.pinned = [i for i in self.pinned if i != card["id"]]
        elif isinstance(event, DashboardCardPinned):
            if card["id"] not in self.pinned:
                self.place(card, len(self.pinned))
                self.pinned.append(card["id"])
            self.by_person(card, event, "pinned")
        elif isinstance(event, DashboardCardMoved):
            if card["id"] not in self.pinned:  # a pinned card stays first; the others come after the pinned
                self.place(card, max(event.payload.position, len(self.pinned)))
            self.by_person(card, event, f"moved to place {event.payload.position + 1}")
        elif isinstance(event, DashboardCardRenamed):
            card["title"], card["renamed"] = event.payload.title, True
            self.by_person(card, event, "renamed")
        elif isinstance(event, DashboardCardQueryChanged):
            return self.change_query(card, event)
        self.said(event)

    def place(self, card: dict, position: int) -> None:
        self.cards.remove(card)
        self.cards.insert(min(position, len(self.cards)), card)

    def drawn(self, event: Event, query: CardQuery, card_id: str) -> tuple[dict | None, str | None]:
        gone = missing_columns(query, self.columns)
        if gone:
            return None, gone_words(gone)
        if self.draw is None:
            return None, NO_DATA
        card = self.draw(query, card_id)
        return (card, None) if card is not None else (None, f"this version cannot draw {query_words(query)}")

    def change_query(self, card: dict, event: DashboardCardQueryChanged) -> None:
        drawn, problem = self.drawn(event, event.payload.query, card["id"])
        if drawn is None:
            return self.said(event, problem)
        kept = ("id", "rule", "corrections", "person", "renamed") + (("title",) if card.get("renamed") else ())
        replaced = {**drawn, **{key: card[key] for key in kept if key in card}}
        self.by_person(replaced, event, f"the query changed to {query_words(event.payload.query)}")
        self.cards[self.cards.index(card)] = replaced
        self.said(event)

    def add(self, event: DashboardCardAdded) -> None:
        payload = event.payload
        drawn, problem = self.drawn(event, payload.query, payload.card_id)
        card = drawn or {"id": payload.card_id, "kind": "notes", "title": payload.title or query_words(payload.query),
                         "notes": [], "query": payload.query.model_dump()}
        if payload.title:
            card["title"] = payload.title
        self.by_person(card, event, f"added: {query_words(payload.query)}")
        self.cards.append(card)
        self.said(event, problem)

    def column_types(self, event: DashboardColumnTypesSet) -> None:
        gone = sorted(set(event.payload.column_types) - self.columns - {"grain"})
        self.said(event, gone_words(gone) if gone else None if self.draw is not None else NO_DATA)

    def result(self) -> list[dict]:
        for card in self.cards:
            if card["id"] in self.pinned:
                card["pinned"] = True
        return self.cards


def apply_corrections(cards: list[dict], corrections: Sequence[Event], columns: set[str],
                      draw: Draw | None) -> tuple[list[dict], list[dict]]:
    """The cards after each correction in turn, and a report of each (applied, or its problem)."""
    replay = Replay(cards, columns, draw)
    for event in corrections:
        replay.apply(event)
    corrected = replay.result()
    for card in corrected:
        card.pop("renamed", None)
        if card.get("person"):
            was = f"; the generator's rule was: {card['rule']}" if card.get("rule") else ""
            card["rule"] = f"{BY_A_PERSON}: {'; '.join(card.pop('person'))}{was}"
    return corrected, replay.report
