"""Events of projects and their API keys.

Subjects: events.project.<project_id>, events.apikey.<key_id>
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel

from contracts.envelope import Event

Plan = Literal["free", "premium"]


class ProjectCreatedPayload(BaseModel):
    name: str
    plan: Plan = "free"


class ProjectCreated(Event):
    aggregate: ClassVar[str] = "project"
    type: Literal["ProjectCreated"] = "ProjectCreated"
    version: Literal[1] = 1
    payload: ProjectCreatedPayload


class ApiKeyIssuedPayload(BaseModel):
    name: str
    prefix: str
    key_sha256: str
    scopes: list[str] = []
    expires_at: AwareDatetime | None = None
    replaces_key_id: str | None = None


class ApiKeyIssued(Event):
    aggregate: ClassVar[str] = "apikey"
    type: Literal["ApiKeyIssued"] = "ApiKeyIssued"
    version: Literal[1] = 1
    payload: ApiKeyIssuedPayload


class ApiKeyRevokedPayload(BaseModel):
    reason: str | None = None


class ApiKeyRevoked(Event):
    aggregate: ClassVar[str] = "apikey"
    type: Literal["ApiKeyRevoked"] = "ApiKeyRevoked"
    version: Literal[1] = 1
    payload: ApiKeyRevokedPayload


class ApiKeyRotatedPayload(BaseModel):
    """The key was replaced by `new_key_id`; it keeps working until `expires_at` (the grace period)."""

    new_key_id: str
    expires_at: AwareDatetime


class ApiKeyRotated(Event):
    aggregate: ClassVar[str] = "apikey"
    type: Literal["ApiKeyRotated"] = "ApiKeyRotated"
    version: Literal[1] = 1
    payload: ApiKeyRotatedPayload
