"""Corrections replayed over generated cards: a pure function, in the order they were made."""

from __future__ import annotations

import uuid

from contracts import DashboardCreated, DashboardRequested
from contracts.corrections import (
    CardQuery,
    DashboardCardAdded,
    DashboardCardMoved,
    DashboardCardPinned,
    DashboardCardQueryChanged,
    DashboardCardRemoved,
    DashboardCardRenamed,
    DashboardCorrectionUndone,
    corrections_in_force,
)
from services.generation.corrections import BY_A_PERSON, apply_corrections
from services.generation.dashboards import CorrectionsChanged, version_events

BOARD = "dsh_" + "a" * 32
COLUMNS = {"region", "amount", "day", "price"}


def generated() -> list[dict]:
    return [{"id": card_id, "kind": "chart", "title": card_id.title(), "rule": f"rule of {card_id}",
             "query": {"measure": None}} for card_id in ("rows", "trend", "by-region", "table")]


def correction(event_class, **payload):
    return event_class(project_id="p1", aggregate_id=BOARD, payload={
        "dashboard_id": BOARD, "correction_id": f"cor_{uuid.uuid4().hex}", "corrected_by": "key_1", **payload})


def drawn(query: CardQuery, card_id: str) -> dict:
    return {"id": "ignored", "kind": "chart", "title": f"drawn {query.measure} by {query.by}", "rule": "",
            "query": query.model_dump()}


def ids(cards: list[dict]) -> list[str]:
    return [card["id"] for card in cards]


def test_remove_pin_move_and_rename_in_the_order_they_were_made():
    corrections = [correction(DashboardCardRemoved, card_id="table"),
                   correction(DashboardCardMoved, card_id="rows", position=2),
                   correction(DashboardCardPinned, card_id="by-region"),
                   correction(DashboardCardMoved, card_id="by-region", position=2),  # a pinned card stays first
                   correction(DashboardCardRenamed, card_id="trend", title="Sales over time")]
    cards, report = apply_corrections(generated(), corrections, COLUMNS, drawn)
    assert ids(cards) == ["by-region", "trend", "rows"]
    assert cards[0]["pinned"] is True
    renamed = cards[1]
    assert renamed["title"] == "Sales over time" and renamed["rule"].startswith(BY_A_PERSON)
    assert "rule of trend" in renamed["rule"]
    assert all(entry["applied"] for entry in report) and len(report) == 5


def test_a_query_change_draws_the_card_again_under_its_id_and_keeps_a_persons_title():
    changed = CardQuery(measure="amount", aggregate="sum", by=["region"])
    corrections = [correction(DashboardCardRenamed, card_id="by-region", title="Mine"),
                   correction(DashboardCardQueryChanged, card_id="by-region", query=changed.model_dump())]
    cards, _ = apply_corrections(generated(), corrections, COLUMNS, drawn)
    card = next(card for card in cards if card["id"] == "by-region")
    assert card["query"]["measure"] == "amount" and card["title"] == "Mine"
    assert card["rule"].startswith(BY_A_PERSON) and card["corrections"] == [c.payload.correction_id for c in corrections]


def test_a_correction_whose_column_is_gone_is_said_on_its_card_and_kept():
    change = correction(DashboardCardQueryChanged, card_id="by-region",
                        query={"measure": "price", "aggregate": "mean", "by": ["region"]})
    added = correction(DashboardCardAdded, card_id="mine", title="Prices", query={"measure": "price", "aggregate": "sum"})
    cards, report = apply_corrections(generated(), [change, added], COLUMNS - {"price"}, drawn)
    kept = next(card for card in cards if card["id"] == "by-region")
    assert kept["problems"] == ["the column `price` is gone from this version"]
    assert kept["title"] == "By-Region"  # as generated: the correction waits for a version with the column
    placeholder = next(card for card in cards if card["id"] == "mine")
    assert placeholder["title"] == "Prices" and placeholder["problems"] == ["the column `price` is gone from this version"]
    assert [entry["applied"] for entry in report] == [False, False]


def test_a_correction_of_a_card_this_version_lacks_is_reported():
    cards, report = apply_corrections(generated(), [correction(DashboardCardRemoved, card_id="gone")], COLUMNS, drawn)
    assert ids(cards) == ids(generated())
    assert report[0]["problem"] == "the card `gone` is not in this version"


def test_without_the_file_a_query_change_waits_for_the_next_upload():
    change = correction(DashboardCardQueryChanged, card_id="rows", query={"measure": "amount", "aggregate": "sum"})
    cards, report = apply_corrections(generated(), [change], COLUMNS, None)
    assert "next upload" in cards[0]["problems"][0] and not report[0]["applied"]


def test_an_undone_correction_is_not_in_force():
    removed = correction(DashboardCardRemoved, card_id="table")
    pinned = correction(DashboardCardPinned, card_id="table")
    undo = correction(DashboardCorrectionUndone, undone_correction_id=removed.payload.correction_id)
    assert corrections_in_force([removed, pinned, undo]) == [pinned]
    cards, _ = apply_corrections(generated(), corrections_in_force([removed, pinned, undo]), COLUMNS, drawn)
    assert ids(cards)[0] == "table"


def test_a_version_drawn_without_a_correction_made_meanwhile_is_drawn_again():
    created = DashboardCreated(project_id="p1", aggregate_id=BOARD, payload={"dashboard_id": BOARD, "name": "B"})
    requested = DashboardRequested(project_id="p1", aggregate_id="g2", payload={
        "upload": {"name": "uploads/p1/g2/f", "sha256": "ab" * 32, "size": 9}, "file_format": "csv",
        "dashboard_id": BOARD})
    renamed = correction(DashboardCardRenamed, card_id="rows", title="Orders")
    added: dict = {"title": "B", "spec": {"name": "specs/x.json", "sha256": "ab" * 32, "size": 9}, "pdf": None,
             "row_count": 3, "card_count": 4, "corrections_applied": []}
    try:
        version_events(requested, [created, renamed], added)
    except CorrectionsChanged:
        pass
    else:
        raise AssertionError("a version without the rename made meanwhile was added: the rename would be lost")
    events = version_events(requested, [created, renamed], {**added, "corrections_applied": [renamed.payload.correction_id]})
    assert events[-1].payload.corrections_applied == [renamed.payload.correction_id]
