"""The API keys read model (only SHA-256 digests, never a key) and the answers about keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("key_sha256", String(64), nullable=False, index=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    Column("replaced_by", String(64)),
)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    status: Literal["active", "expiring", "expired", "revoked"]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    replaced_by: str | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The API key itself. Shown in this response only: store it now.")
