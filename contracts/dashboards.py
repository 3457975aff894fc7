"""Events of a dashboard as a thing of its own: made for a tenant, deleted.

Subject: events.dashboard.<dashboard_id>. Every dashboard id starts with DASHBOARD_ID_PREFIX, and a
tenant id never does, so `/api/v1/dashboards/{id_or_tenant}` is resolved by the prefix alone.
A dashboard made from an upload (GenerationCompleted) and one made empty for a tenant
(DashboardCreated) share the id space; DashboardDeleted ends either, with its share links,
iframe tokens and embeds.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from contracts.envelope import Event

DASHBOARD_ID_PREFIX = "dsh_"


class DashboardCreatedPayload(BaseModel):
    dashboard_id: str = Field(pattern=r"^dsh_[A-Za-z0-9_-]{1,120}$")
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
