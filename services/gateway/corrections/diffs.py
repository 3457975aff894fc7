"""What changed between two versions of a dashboard, card by card, and why: new data (another
file), a correction (a person's, replayed by the later version and not the earlier), or a new rule
(the generator chose otherwise from the same kind of data)."""

from __future__ import annotations

NEW_DATA, CORRECTION, NEW_RULE = "new data", "a correction", "a new rule"
SHOWN = ("title", "kind", "query", "pinned")  # what a person sees of a card, beside its data
DATA = ("vega_lite", "value", "display", "rows", "notes")


def _by_id(spec: dict, among: set[str] | None = None) -> dict[str, tuple[int, dict]]:
    """Each card with its place (among the cards both versions have: another card coming or going
    moves nothing)."""
    cards = [card for card in spec.get("cards", []) if among is None or card["id"] in among]
    return {card["id"]: (place, card) for place, card in enumerate(cards)}


def _corrections_of_card(spec: dict, card_id: str) -> set[str]:
    """The corrections that touched the card in this version: applied to it, or removing it."""
    touched = {entry["correction_id"] for entry in spec.get("corrections", []) if entry.get("card_id") == card_id}
    return touched & set(spec.get("corrections_applied", []))


def _column_kinds(spec: dict) -> dict[str, tuple]:
    return {column["name"]: (column.get("semantic"), column.get("aggregate")) for column in spec.get("columns", [])}


def _read_columns(card: dict | None) -> set[str]:
    query = (card or {}).get("query") or {}
    return {name for name in (query.get("measure"), *(query.get("by") or []), query.get("split")) if name}


def _why(before: dict, after: dict, card_id: str, new_data: bool, fields: set[str]) -> list[str]:
    reasons = []
    if _corrections_of_card(after, card_id) != _corrections_of_card(before, card_id):
        reasons.append(CORRECTION)
    if new_data and (fields & set(DATA) or not fields):
        reasons.append(NEW_DATA)
    old_kinds, new_kinds = _column_kinds(before), _column_kinds(after)
    cards = (_by_id(before).get(card_id, (0, None))[1], _by_id(after).get(card_id, (0, None))[1])
    retyped = any(old_kinds.get(name) != new_kinds.get(name) for card in cards for name in _read_columns(card))
    if CORRECTION not in reasons and (retyped or not reasons or fields & {"query", "kind"}):
        reasons.append(NEW_RULE)
    return reasons


def version_diff(before: dict, after: dict, new_data: bool) -> dict:
    """{came, went, changed}: each card's id, title and the reasons; `changed` names its fields."""
    old, new = _by_id(before), _by_id(after)
    came = [{"card_id": i, "title": card.get("title"), "why": _why(before, after, i, new_data, set())}
            for i, (_, card) in new.items() if i not in old]
    went = [{"card_id": i, "title": card.get("title"), "why": _why(before, after, i, new_data, set())}
            for i, (_, card) in old.items() if i not in new]
    both = set(old) & set(new)
    old, new = _by_id(before, both), _by_id(after, both)
    changed = []
    for card_id, (place, card) in new.items():
        was_place, was = old[card_id]
        fields = {f for f in (*SHOWN, *DATA) if card.get(f) != was.get(f)}
        if place != was_place:
            fields.add("position")
        if fields:
            changed.append({"card_id": card_id, "title": card.get("title"), "fields": sorted(fields),
                            "position": [was_place, place], "why": _why(before, after, card_id, new_data, fields)})
    return {"came": came, "went": went, "changed": changed}
