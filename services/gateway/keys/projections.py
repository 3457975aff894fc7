"""How projects and API keys change the access read models (one projection: the key lookup joins the plan)."""

from __future__ import annotations

from contracts import ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated, ProjectCreated
from services.gateway.keys.models import api_keys, projects
from services.readmodels.projection import Projection, Rows

project_access = Projection("projects", projects, api_keys)


@project_access.on(ProjectCreated)
def _project_created(event: ProjectCreated, rows: Rows) -> None:
    rows["projects"].put({"project_id": event.project_id, "name": event.payload.name,
                          "plan": event.payload.plan, "created_at": event.occurred_at})


@project_access.on(ApiKeyIssued)
def _key_issued(event: ApiKeyIssued, rows: Rows) -> None:
    rows["api_keys"].put({
        "key_id": event.aggregate_id, "project_id": event.project_id, "name": event.payload.name,
        "prefix": event.payload.prefix, "key_sha256": event.payload.key_sha256,
        "scopes": event.payload.scopes, "created_at": event.occurred_at,
        "expires_at": event.payload.expires_at,
    })


@project_access.on(ApiKeyRevoked)
def _key_revoked(event: ApiKeyRevoked, rows: Rows) -> None:
    rows["api_keys"].update(event.aggregate_id, revoked_at=event.occurred_at)


@project_access.on(ApiKeyRotated)
def _key_rotated(event: ApiKeyRotated, rows: Rows) -> None:
    rows["api_keys"].update(event.aggregate_id, expires_at=event.payload.expires_at,
                            replaced_by=event.payload.new_key_id)
    successor = event.payload.successor
    if successor is not None:  # v1 rotations: the successor's own ApiKeyIssued follows
        rows["api_keys"].put({
            "key_id": event.payload.new_key_id, "project_id": event.project_id, "name": successor.name,
            "prefix": successor.prefix, "key_sha256": successor.key_sha256, "scopes": successor.scopes,
            "created_at": event.occurred_at, "expires_at": successor.expires_at,
        })
