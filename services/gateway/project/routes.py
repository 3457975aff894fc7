"""/api/v1/project: the caller's project."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from services.gateway.edge.dependencies import Caller, ReadModels, off_the_loop
from services.gateway.edge.envelope import ApiError, Success, ok
from services.gateway.project.models import ProjectOut, projects

router = APIRouter(prefix="/api/v1", tags=["Project"])


@router.get("/project", response_model=Success[ProjectOut])
async def get_project(caller: Caller, engine: ReadModels, request: Request):
    row = await off_the_loop(engine, lambda conn: conn.execute(
        select(projects).where(projects.c.project_id == caller.project_id)).first())
    if row is None:
        raise ApiError(404, "no such project")
    budgets = request.app.state.budgets
    return ok({
        "id": row.project_id, "name": row.name, "plan": row.plan, "created_at": row.created_at,
        "rate_limit": {"limit": budgets.per_plan.get(row.plan, budgets.per_plan["free"]),
                       "window_seconds": budgets.window}})
