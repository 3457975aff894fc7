"""The integrations read models (the upload formats a project has used; its webhook endpoints, as
their events tell them) and the integrations answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table

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

# The endpoints as the integrations page shows them, projected from the webhooks service's events
# (never read from its tables). Deleted endpoints are removed.
integration_endpoints = Table(
    "integration_endpoints", metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", String(500)),
    Column("status", String(16), nullable=False),  # enabled | disabled
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
    """An endpoint as its events describe it."""

    model_config = ConfigDict(from_attributes=True)
    type: Literal["webhook_endpoint"] = "webhook_endpoint"
    id: str
    url: str
    event_types: list[str]
    description: str | None
    status: str
    created_at: datetime
