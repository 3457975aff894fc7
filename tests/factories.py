"""Events as the services would write them, for tests and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from contracts import (
    DashboardCardAdded,
    DashboardCardMoved,
    DashboardCardPinned,
    DashboardCardQueryChanged,
    DashboardCardRemoved,
    DashboardCardRenamed,
    DashboardColumnTypesSet,
    DashboardCorrectionUndone,
    DashboardCreated,
    DashboardRequested,
    Event,
    GenerationCompleted,
    GenerationFailed,
    GenerationProgressed,
    GenerationStarted,
)

SHA = "0" * 64


def requested(generation_id: str, project_id: str = "p1", title: str = "Sales") -> DashboardRequested:
    return DashboardRequested(project_id=project_id, aggregate_id=generation_id, payload={
        "upload": {"name": f"uploads/{generation_id}", "sha256": SHA, "size": 1000},
        "file_format": "csv", "title": title})


def generation_lifecycle(generation_id: str, project_id: str = "p1", fail: bool = False,
                         metrics: list[dict] | None = None) -> list[Event]:
    """Requested, started, four progress steps, then completed (with `metrics`) or failed."""
    first = requested(generation_id, project_id)
    events: list[Event] = [first, first.caused(GenerationStarted, payload={"worker": "w1"})]
    for percent, stage in ((10, "parsing"), (40, "profiling"), (70, "choosing"), (90, "rendering")):
        events.append(first.caused(GenerationProgressed, name=f"progress-{percent}",
                                   payload={"stage": stage, "percent": percent}))
    if fail:
        events.append(first.caused(GenerationFailed, payload={"code": "EMPTY_FILE", "reason": "The file has no rows"}))
    else:
        events.append(first.caused(GenerationCompleted, payload={
            "dashboard_id": f"dsh_{generation_id}", "title": "Sales",
            "spec": {"name": f"specs/{generation_id}.json", "sha256": SHA, "size": 10}, "card_count": 6,
            "metrics": metrics or []}))
    return events


def many_generations(count: int, prefix: str = "g") -> Iterator[Event]:
    for number in range(count):
        yield from generation_lifecycle(f"{prefix}{number}", project_id=f"p{number % 7}", fail=number % 5 == 0)


def new_id() -> str:
    return uuid.uuid4().hex


def corrections_of(board: DashboardCreated, corrected_by: str = "k1") -> list[Event]:
    """One correction of each kind on the dashboard, and an undo, as the gateway appends them."""
    made = {"dashboard_id": board.aggregate_id, "corrected_by": corrected_by}
    query = {"measure": "amount", "aggregate": "sum", "by": ["region"]}
    kinds: list[tuple[type[Event], dict]] = [
        (DashboardCardRemoved, {"card_id": "top-rows"}), (DashboardCardPinned, {"card_id": "rows"}),
        (DashboardCardMoved, {"card_id": "rows", "position": 2}),
        (DashboardCardQueryChanged, {"card_id": "rows", "query": query}),
        (DashboardCardAdded, {"card_id": "mine-1", "title": "Mine", "query": query}),
        (DashboardCardRenamed, {"card_id": "rows", "title": "Orders"}),
        (DashboardColumnTypesSet, {"column_types": {"amount": "measure:mean", "grain": "event"}}),
        (DashboardCorrectionUndone, {"undone_correction_id": "cor_" + "0" * 32})]
    return [board.caused(kind, payload={**made, "correction_id": f"cor_{n:032x}", **fields})
            for n, (kind, fields) in enumerate(kinds)]
