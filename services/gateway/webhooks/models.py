"""The integrations read model: upload formats a project has used, and its webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

data_sources = Table(
    "data_sources", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("file_format", String(16), primary_key=True),
    Column("uploads", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("first_used_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", Text),
    Column("status", String(16), nullable=False),
    Column("disabled_reason", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)


class DataSourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    type: Literal["data_source"] = "data_source"
    id: str
    kind: Literal["file_upload"] = "file_upload"
    file_format: str
    uploads: int
    bytes: int
    first_used_at: datetime
    last_used_at: datetime


class WebhookEndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    type: Literal["webhook_endpoint"] = "webhook_endpoint"
    id: str = Field(validation_alias="endpoint_id")
    url: str
    event_types: list[str]
    description: str | None
    status: str
    created_at: datetime
