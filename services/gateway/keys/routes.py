"""/api/v1/api-keys: create (the key is shown once), list, rotate with a grace period, revoke."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eventlog.store import ConcurrencyError
from services.gateway.edge.bounds import Name, ResourceId
from services.gateway.edge.dependencies import Admin, ReadModels, ScopedRoute, Store, applied, off_the_loop
from services.gateway.edge.envelope import ApiError, Success, ok
from services.gateway.keys import commands, queries
from services.gateway.keys.models import ApiKeyCreated, ApiKeyOut
from services.gateway.keys.usage import Usage

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1/api-keys", tags=["API keys"])
Scope = Literal["admin", "read", "write", "embed"]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    scopes: list[Scope] = Field(default=["read", "write"], min_length=1, max_length=4)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, strict=True)


class ApiKeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_period_hours: int = Field(default=24, ge=0, le=720, strict=True)


async def _find(engine, project_id: str, key_id: str) -> ApiKeyOut:
    found = await off_the_loop(engine, lambda conn: queries.key(conn, project_id, key_id))
    if found is None:
        raise ApiError(404, "no such API key")
    return found


@router.post("", status_code=201, response_model=Success[ApiKeyCreated])
async def create_api_key(body: ApiKeyCreate, caller: Admin, store: Store, engine: ReadModels, request: Request):
    expires = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    issued = await commands.issue_api_key(store, caller.project_id, body.name, list(body.scopes), expires)
    await applied(request, "projects", issued.seq)
    return ok({**(await _find(engine, caller.project_id, issued.key_id)).model_dump(), "key": issued.key}, 201)


@router.get("", response_model=Success[list[ApiKeyOut]])
async def list_api_keys(caller: Admin, engine: ReadModels, usage: Usage):
    found = await off_the_loop(engine, lambda conn: queries.keys_of(conn, caller.project_id))
    return ok([{**key.model_dump(), "last_used_at": await usage.last_used(key.id)} for key in found])


@router.post("/{key_id}/rotate", status_code=201, response_model=Success[ApiKeyCreated])
async def rotate_api_key(key_id: ResourceId, caller: Admin, store: Store, engine: ReadModels, request: Request,
                         body: ApiKeyRotate | None = None):
    grace = timedelta(hours=(body or ApiKeyRotate()).grace_period_hours)
    with _decided("rotating"):
        issued, _ = await commands.rotate_api_key(store, caller.project_id, key_id, grace,
                                                  await _predecessor(engine, caller.project_id, key_id))
    await applied(request, "projects", issued.seq)
    return ok({**(await _find(engine, caller.project_id, issued.key_id)).model_dump(), "key": issued.key}, 201)


@router.delete("/{key_id}", response_model=Success[ApiKeyOut])
async def revoke_api_key(key_id: ResourceId, caller: Admin, store: Store, engine: ReadModels, request: Request):
    with _decided("revoking"):
        seq = await commands.revoke_api_key(store, caller.project_id, key_id,
                                            await _predecessor(engine, caller.project_id, key_id))
    await applied(request, "projects", seq)
    return ok((await _find(engine, caller.project_id, key_id)).model_dump())


async def _predecessor(engine, project_id: str, key_id: str) -> str | None:
    return await off_the_loop(engine, lambda conn: queries.predecessor(conn, project_id, key_id))


@contextmanager
def _decided(doing: str) -> Iterator[None]:
    """Other writers kept changing the key (its own events' refusals answer through the envelope)."""
    try:
        yield
    except ConcurrencyError:
        raise ApiError(409, f"this key changed while {doing} it; try again") from None
