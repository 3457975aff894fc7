"""Events of a dashboard as a thing of its own: made (for a tenant, or by an upload), given a new
version by each generation into it, deleted.

Subject: events.dashboard.<dashboard_id>. Every dashboard id starts with DASHBOARD_ID_PREFIX, and a
tenant id never does, so `/api/v1/dashboards/{id_or_tenant}` is resolved by the prefix alone.
A dashboard made from an upload and one made empty for a tenant share the id space and the
events: DashboardCreated, then one DashboardVersionAdded per generation into it (refresh in
place: same id, next version), and DashboardDeleted ends it, with its share links, iframe
tokens and embeds. Nothing is appended to a dashboard after its DashboardDeleted.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from contracts.dashboard_ids import DASHBOARD_ID_PATTERN, DASHBOARD_ID_PREFIX, canonical_dashboard_id, is_dashboard_id
from contracts.envelope import Event
from contracts.generation import BlobRef

__all__ = ["DASHBOARD_ID_PATTERN", "DASHBOARD_ID_PREFIX", "canonical_dashboard_id", "is_dashboard_id",
           "DashboardCreated", "DashboardVersionAdded", "DashboardDeleted"]

class DashboardCreatedPayload(BaseModel):
    dashboard_id: str = Field(pattern=DASHBOARD_ID_PATTERN)
    tenant_id: str | None = Field(default=None, max_length=128)
    workspace_id: str | None = Field(default=None, max_length=128)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    created_by: str | None = Field(default=None, description="The API key id or JWT subject that asked")


class DashboardCreated(Event):
    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardCreated"] = "DashboardCreated"
    version: Literal[1] = 1
    payload: DashboardCreatedPayload


class DashboardVersionAddedPayload(BaseModel):
    dashboard_id: str = Field(pattern=DASHBOARD_ID_PATTERN)
    version: int = Field(ge=1, description="1 for the first data, then one more per refresh")
    generation_id: str
    title: str
    spec: BlobRef
    pdf: BlobRef | None = None
    upload: BlobRef = Field(description="The uploaded file: its blob name, SHA-256 and size")
    row_count: int = Field(ge=0)
    card_count: int = Field(ge=0)
    requested_by: str | None = Field(default=None, description="The API key id or JWT subject that uploaded")
    cause: Literal["upload", "correction"] = Field(
        default="upload", description="New data, or the same data drawn again for a person's correction")
    corrections_applied: list[str] = Field(default_factory=list, description="The corrections this version replays")


class DashboardVersionAdded(Event):
    """A generation's result became the dashboard's newest version (its links now show it)."""

    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardVersionAdded"] = "DashboardVersionAdded"
    version: Literal[1] = 1
    payload: DashboardVersionAddedPayload


class DashboardDeletedPayload(BaseModel):
    dashboard_id: str
    tenant_id: str | None = None
    workspace_id: str | None = None
    deleted_by: str | None = Field(default=None, description="The API key id or JWT subject that asked")


class DashboardDeleted(Event):
    aggregate: ClassVar[str] = "dashboard"
    type: Literal["DashboardDeleted"] = "DashboardDeleted"
    version: Literal[1] = 1
    payload: DashboardDeletedPayload
