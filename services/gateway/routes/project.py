"""/api/v1/project: the caller's project."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from contracts.embedding import project_audience
from services.gateway.auth import TENANT_ROUTE
from services.gateway.embedding.routes import embed_origins_of
from services.gateway.envelope import ApiError, Success, ok
from services.gateway.models import projects
from services.gateway.routes.dependencies import Caller, ReadModels, off_the_loop

router = APIRouter(prefix="/api/v1", tags=["Project"])


class RateLimitOut(BaseModel):
    limit: int
    window_seconds: int


class ProjectOut(BaseModel):
    id: str
    name: str
    plan: str
    created_at: datetime
    rate_limit: RateLimitOut
    audience: str = Field(description="The `aud` a tenant JWT must carry for this project")
    embed_origins: list[str] = Field(description="The origins whose pages may frame /embed (PUT /project/embed-origins)")


@router.get("/project", response_model=Success[ProjectOut], openapi_extra=TENANT_ROUTE)  # nothing of a tenant
async def get_project(caller: Caller, engine: ReadModels, request: Request):
    row = await off_the_loop(engine, lambda conn: conn.execute(
        select(projects).where(projects.c.project_id == caller.project_id)).first())
    if row is None:
        raise ApiError(404, "no such project")
    budgets = request.app.state.budgets
    return ok({
        "id": row.project_id, "name": row.name, "plan": row.plan, "created_at": row.created_at,
        "rate_limit": {"limit": budgets.per_plan.get(row.plan, budgets.per_plan["free"]),
                       "window_seconds": budgets.window},
        "audience": project_audience(row.project_id),
        "embed_origins": await embed_origins_of(engine, row.project_id)})
