"""The generations read model: each dashboard request and how far it got.

Columns hold whatever the edge accepts: Text for anything a caller or a file names, BigInteger
for sizes and counts. A bounded column here would turn one long title into a batch PostgreSQL
refuses (SQLite never does); the bounds live at the edge (services/gateway/edge/bounds.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

generations = Table(
    "generations", metadata,
    Column("generation_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # processing | completed | failed
    Column("stage", String(16), nullable=False),
    Column("percent", Integer, nullable=False, default=0),
    Column("title", Text),
    Column("file_format", String(16), nullable=False),
    Column("upload_size", BigInteger, nullable=False),
    Column("idempotency_key", Text, index=True),
    Column("upload_blob", Text),
    Column("upload_sha256", String(64)),
    Column("requested_by", Text),
    Column("tenant_id", Text),
    Column("workspace_id", Text),
    Column("dashboard_id", String(64)),
    Column("error_code", Text),
    Column("error_reason", Text),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


class GenerationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    generation_id: str
    status: str
    stage: str
    percent: int
    title: str | None
    dashboard_id: str | None
    error: str | None = Field(validation_alias="error_reason")
    error_code: str | None
    requested_at: datetime
    updated_at: datetime


class GenerationAccepted(BaseModel):
    """202: the generation is under way; follow it at GET /generations/{generation_id} or on the websocket."""

    generation_id: str
    status: str = Field(description="processing")
    stage: str
    percent: int


class GenerationCompleted(GenerationAccepted):
    """200: the dashboard is made, and here it is."""

    dashboard_id: str
    links: dict[str, str] = Field(description="view, pdf (premium), api: where the dashboard is served")
    dashboard: dict[str, Any] | None = Field(description="The dashboard: its cards, each with its Vega-Lite spec")
