"""The access read model: projects (their plan, which the key lookup joins) and API keys (only SHA-256
digests, never a key); the answers about keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from sqlalchemy import JSON, Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

projects = Table(
    "projects", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("plan", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

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
    # Every field is in every answer: the ones with defaults are required in the documented schema too.
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
    id: str = Field(validation_alias="key_id")
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = None  # from the usage bucket, not the row
    expires_at: datetime | None
    replaced_by: str | None
    revoked_at: datetime | None = Field(default=None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["active", "expiring", "expired", "revoked"]:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= datetime.now(UTC):
            return "expired"
        return "expiring" if self.replaced_by else "active"


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The API key itself. Shown in this response only: store it now.")
