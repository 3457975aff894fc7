"""What the gateway decides about dashboards, on each dashboard's own events: create one for a
tenant, delete one, and whether an upload may become a dashboard's next version.

A dashboard made before typed ids (`d<generation>`, read as `dsh_<generation>`) has no events of
its own: its read-model row stands in for them, so it can be deleted like any other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts import DASHBOARD_ID_PREFIX, DashboardCreated, DashboardDeleted, DashboardVersionAdded, Event
from contracts.rpc import Refused
from services.eventlog.commands import execute
from services.eventlog.store import EventStore

AGGREGATE = DashboardCreated.aggregate


@dataclass
class Dashboard:
    """A dashboard as its events tell it."""

    dashboard_id: str
    project_id: str
    tenant_id: str | None
    workspace_id: str | None
    deleted: bool = False
    blobs: list[str] = field(default_factory=list)  # spec, PDF and upload of every version
    generations: list[str] = field(default_factory=list)


def dashboard_of(history: Sequence[Event], known: Dashboard | None = None) -> Dashboard | None:
    """Fold the events; a legacy dashboard without events of its own is `known` (its read-model row)."""
    board, events = known, history
    if history and isinstance(first := history[0], DashboardCreated):
        board = Dashboard(first.payload.dashboard_id, first.project_id, first.payload.tenant_id,
                          first.payload.workspace_id)
        events = history[1:]
    if board is None:
        return None
    for event in events:
        if isinstance(event, DashboardVersionAdded):
            refs = (event.payload.spec, event.payload.pdf, event.payload.upload)
            board.blobs += [ref.name for ref in refs if ref is not None]
            board.generations.append(event.payload.generation_id)
        elif isinstance(event, DashboardDeleted):
            board.deleted = True
    return board


def owned(board: Dashboard | None, project_id: str) -> Dashboard:
    """The project's live dashboard, else Refused: NOT_FOUND (missing, another project's) or GONE (deleted)."""
    if board is None or board.project_id != project_id:
        raise Refused("NOT_FOUND", "no such dashboard")
    if board.deleted:
        raise Refused("GONE", "this dashboard was deleted")
    return board


def new_dashboard_id() -> str:
    return DASHBOARD_ID_PREFIX + uuid.uuid4().hex


async def create_dashboard(store: EventStore, project_id: str, *, tenant_id: str, workspace_id: str, name: str,
                           description: str | None, created_by: str) -> tuple[DashboardCreated, int]:
    dashboard_id = new_dashboard_id()
    created = DashboardCreated(project_id=project_id, aggregate_id=dashboard_id, payload={
        "dashboard_id": dashboard_id, "tenant_id": tenant_id, "workspace_id": workspace_id, "name": name,
        "description": description, "created_by": created_by})
    return created, await store.append(created, expected_last_seq=0)


async def load_dashboard(store: EventStore, dashboard_id: str, known: Dashboard | None = None) -> Dashboard | None:
    return dashboard_of([stored.event for stored in await store.load(AGGREGATE, dashboard_id)], known)


async def delete_dashboard(store: EventStore, project_id: str, dashboard_id: str, deleted_by: str,
                           known: Dashboard | None = None) -> tuple[Dashboard, int]:
    """Append DashboardDeleted, decided on the dashboard's events; answer what it was and the sequence."""
    deleted: list[Dashboard] = []

    def decide(history: Sequence[Event]) -> list[Event]:
        board = owned(dashboard_of(history, known), project_id)
        deleted[:] = [board]
        return [DashboardDeleted(project_id=project_id, aggregate_id=dashboard_id, payload={
            "dashboard_id": dashboard_id, "tenant_id": board.tenant_id, "workspace_id": board.workspace_id,
            "deleted_by": deleted_by})]

    seq, = await execute(store, AGGREGATE, dashboard_id, decide)
    return deleted[0], seq
