"""/api/v1/project: the caller's project."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.embedding import project_audience
from services.gateway.edge.auth import TENANT_ROUTE
from services.gateway.edge.dependencies import Caller, ReadModels, ScopedRoute, State, off_the_loop
from services.gateway.edge.envelope import ApiError, Success, ok
from services.gateway.embedding.queries import origins_of
from services.gateway.project.models import ProjectOut
from services.gateway.project.queries import project_row

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Project"])


@router.get("/project", response_model=Success[ProjectOut], openapi_extra=TENANT_ROUTE)  # nothing of a tenant
async def get_project(caller: Caller, engine: ReadModels, state: State):
    row, origins = await off_the_loop(engine, lambda conn: (project_row(conn, caller.project_id),
                                                            origins_of(conn, caller.project_id)))
    if row is None:
        raise ApiError(404, "no such project")
    budgets = state.budgets
    rate_limit = {"limit": budgets.per_plan.get(row.plan, budgets.per_plan["free"]), "window_seconds": budgets.window}
    return ok(ProjectOut.model_validate({**row._mapping, "rate_limit": rate_limit,
                                         "audience": project_audience(row.project_id),
                                         "embed_origins": origins}).model_dump())
