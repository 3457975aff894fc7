"""The "corrections" projection: each correction of a dashboard as a row, an undo marking its row,
and the dashboard's corrections revision. Its own tables, rebuilt from the dashboards' events."""

from __future__ import annotations

from contracts import Event
from contracts.corrections import CARD_CORRECTIONS, KINDS, DashboardCorrectionUndone
from services.gateway.corrections.models import correction_revisions, dashboard_corrections
from services.readmodels.projection import Projection, Rows

corrections = Projection("corrections", dashboard_corrections, correction_revisions)
DETAIL = ("position", "title", "query", "column_types")


def _next_revision(event: Event, rows: Rows) -> int:
    dashboard_id = event.payload.dashboard_id
    known = rows["correction_revisions"].get(dashboard_id)
    revision = (known["revision"] if known else 0) + 1
    if known:
        rows["correction_revisions"].update(dashboard_id, revision=revision)
    else:
        rows["correction_revisions"].put({"dashboard_id": dashboard_id, "revision": revision})
    return revision


def _corrected(event: Event, rows: Rows) -> None:
    p = event.payload
    if rows["dashboard_corrections"].get(p.correction_id) is not None:
        return
    detail = p.model_dump(mode="json", include=set(DETAIL))
    rows["dashboard_corrections"].put({
        "correction_id": p.correction_id, "dashboard_id": p.dashboard_id, "project_id": event.project_id,
        "number": _next_revision(event, rows), "kind": KINDS[event.type], "card_id": getattr(p, "card_id", None),
        "detail": detail, "corrected_by": p.corrected_by, "corrected_at": event.occurred_at,
        "undone_by": None, "undone_at": None})


@corrections.on(DashboardCorrectionUndone)
def _undone(event: DashboardCorrectionUndone, rows: Rows) -> None:
    undone = rows["dashboard_corrections"].get(event.payload.undone_correction_id)
    if undone is None or undone["undone_at"] is not None:
        return
    _next_revision(event, rows)
    rows["dashboard_corrections"].update(event.payload.undone_correction_id, undone_by=event.payload.corrected_by,
                                         undone_at=event.occurred_at)


for _event_class in CARD_CORRECTIONS:
    corrections.on(_event_class)(_corrected)
