"""The dashboards read model (written by the generations projection) and the answers about it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

dashboards = Table(
    "dashboards", metadata,
    Column("dashboard_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("generation_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("spec_blob", Text, nullable=False),
    Column("card_count", BigInteger, nullable=False),
    Column("tenant_id", Text),
    Column("workspace_id", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)


class DashboardOut(BaseModel):
    id: str
    title: str
    generation_id: str
    card_count: int
    tenant_id: str | None
    workspace_id: str | None
    created_at: datetime


class DashboardWithSpec(DashboardOut):
    links: dict[str, str]
    spec: dict | None
