"""Events of projects and their API keys.

Subjects: events.project.<project_id>, events.apikey.<key_id>
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel

from contracts.envelope import Event
from contracts.upcasting import JsonObject, upcaster

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


class ApiKeySuccessor(BaseModel):
    """The key a rotation issues, as ApiKeyIssued would describe it (its id is `new_key_id`)."""

    name: str
    prefix: str
    key_sha256: str
    scopes: list[str] = []
    expires_at: AwareDatetime | None = None


class ApiKeyRotatedPayload(BaseModel):
    """The key was replaced by `new_key_id`; it keeps working until `expires_at` (the grace period).

    Since v2 the successor is issued by this one event: no crash can leave the old key pointing
    at a key that was never issued. `successor` is None only in v1 events, whose successor has
    its own ApiKeyIssued right after them in the log.
    """

    new_key_id: str
    expires_at: AwareDatetime
    successor: ApiKeySuccessor | None


class ApiKeyRotated(Event):
    aggregate: ClassVar[str] = "apikey"
    type: Literal["ApiKeyRotated"] = "ApiKeyRotated"
    version: Literal[2] = 2
    payload: ApiKeyRotatedPayload


@upcaster("ApiKeyRotated", from_version=1)
def _api_key_rotated_v1_to_v2(data: JsonObject) -> JsonObject:
    """v1 named the successor only; its ApiKeyIssued (with replaces_key_id) follows it in the log."""
    data["payload"] = {**data["payload"], "successor": None}
    return data
