"""The dashboards read models (written by the generations projection: a generation's answer and its
dashboard are then always consistent) and the answers about them."""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from services.gateway.edge.envelope import Page
from services.readmodels.types import UtcDateTime

metadata = MetaData()

dashboards = Table(
    "dashboards", metadata,
    Column("dashboard_id", String(128), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("tenant_id", Text, index=True),
    Column("workspace_id", Text),
    Column("version", Integer, nullable=False, default=0),  # 0: made for a tenant, no data yet
    Column("generation_id", String(64)),  # the latest version's
    Column("title", Text, nullable=False),
    Column("spec_blob", Text),
    Column("card_count", BigInteger, nullable=False, default=0),
    Column("created_by", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime()),
)

dashboard_versions = Table(
    "dashboard_versions", metadata,
    Column("dashboard_id", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("project_id", String(128), nullable=False),
    Column("generation_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("spec_blob", Text, nullable=False),
    Column("pdf_blob", Text),
    Column("upload_blob", Text),
    Column("upload_sha256", String(64)),
    Column("upload_size", BigInteger),
    Column("row_count", BigInteger),  # None: a version made before rows were counted
    Column("card_count", BigInteger, nullable=False),
    Column("created_by", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)

tenants = Table(
    "tenants", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("tenant_id", Text, primary_key=True),
    Column("dashboard_count", Integer, nullable=False),  # live ones
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


class TenantDashboard(BaseModel):
    """The embedding guide's answer: `id` and `dashboard_id` are the same typed id."""

    id: str
    tenant_id: str | None
    workspace_id: str | None
    dashboard_id: str
    created_at: str = Field(description="UTC, e.g. 2024-01-15T10:30:00Z")


class DashboardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str = Field(validation_alias=AliasChoices("dashboard_id"))
    dashboard_id: str
    name: str
    description: str | None
    title: str
    tenant_id: str | None
    workspace_id: str | None
    version: int = Field(description="The latest version; 0 while a tenant's dashboard has no data yet")
    generation_id: str | None
    card_count: int
    created_at: datetime
    updated_at: datetime


class DashboardWithSpec(DashboardOut):
    links: dict[str, str]
    spec: dict | None


class DashboardPage(Page[DashboardOut]):
    total: int = Field(description="Every dashboard matching the filters (the embedding guide's field)")


class DashboardDeletedOut(BaseModel):
    success: bool = True
    message: str
    data: TenantDashboard


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    generation_id: str
    title: str
    created_at: datetime
    created_by: str | None = Field(description="The API key id or JWT subject that uploaded")
    created_by_name: str | None = Field(default=None, description="The name of the API key that uploaded")
    upload_sha256: str | None = Field(description="SHA-256 of the uploaded file")
    upload_size: int | None
    row_count: int | None
    card_count: int
