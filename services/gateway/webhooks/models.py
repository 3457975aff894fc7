"""The integrations read model (the upload formats a project has used) and the integrations answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Column, MetaData, String, Table

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
    """An endpoint as the webhooks service's published queries describe it."""

    type: Literal["webhook_endpoint"] = "webhook_endpoint"
    id: str
    url: str
    event_types: list[str] = Field(validation_alias="events")
    description: str | None
    status: str
    created_at: datetime
