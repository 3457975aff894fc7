"""The answer about a project (its table is keys/models.py's: the keys' projection writes it, the key lookup joins it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
