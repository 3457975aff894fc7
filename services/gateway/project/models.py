"""The projects read model (written by the keys' projection, which the auth lookup joins) and its answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

projects = Table(
    "projects", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("plan", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


class RateLimitOut(BaseModel):
    limit: int
    window_seconds: int


class ProjectOut(BaseModel):
    id: str = Field(validation_alias="project_id")
    name: str
    plan: str
    created_at: datetime
    rate_limit: RateLimitOut
    audience: str = Field(description="The `aud` a tenant JWT must carry for this project")
    embed_origins: list[str] = Field(description="The origins whose pages may frame /embed (PUT /project/embed-origins)")
