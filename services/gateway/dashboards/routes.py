"""/api/v1/dashboards and /api/v1/generations: what the project generated, and how it is going."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import bindparam, func, select

from services.gateway.dashboards.models import DashboardOut, DashboardWithSpec, dashboards
from services.gateway.edge.bounds import ResourceId
from services.gateway.edge.dependencies import Caller, Limit, Offset, ReadModels, off_the_loop, principal_of
from services.gateway.edge.envelope import ApiError, JsonAnswer, Page, Success, ok, page
from services.gateway.generation.models import GenerationOut
from services.gateway.generation.projections import generation_status
from services.gateway.generation.queries import generation_row

router = APIRouter(prefix="/api/v1", tags=["Dashboards"])


def _dashboard(row) -> dict:
    return {"id": row.dashboard_id, "title": row.title, "generation_id": row.generation_id,
            "card_count": row.card_count, "tenant_id": row.tenant_id, "workspace_id": row.workspace_id,
            "created_at": row.created_at}


# Built once: SQLAlchemy then reuses the compiled statement without recomputing its cache key.
# The window count gives the page and the total in one query.
_MINE = dashboards.c.project_id == bindparam("project_id")
_DASHBOARD_OUT = [dashboards.c.dashboard_id.label("id"), dashboards.c.title, dashboards.c.generation_id,
                  dashboards.c.card_count, dashboards.c.tenant_id, dashboards.c.workspace_id,
                  dashboards.c.created_at]
_DASHBOARD_FIELDS = [str(column.name) for column in _DASHBOARD_OUT]  # plain str: orjson refuses subclasses as keys
_DASHBOARD_PAGE = (select(*_DASHBOARD_OUT, func.count().over().label("total")).where(_MINE)
                   .order_by(dashboards.c.created_at.desc(), dashboards.c.dashboard_id)
                   .limit(bindparam("limit")).offset(bindparam("offset")))
_DASHBOARD_COUNT = select(func.count()).select_from(dashboards).where(_MINE)


@router.get("/dashboards", response_model=Page[DashboardOut])
async def list_dashboards(request: Request, limit: Limit = 100, offset: Offset = 0):
    # The hottest route reads the caller the middleware set instead of asking for `Caller`:
    # FastAPI's dependency solving was a quarter of its time (bench/gateway.py, py-spy).
    caller = principal_of(request)
    def build() -> bytes:
        with state.engine.connect() as conn:
            rows = conn.execute(_DASHBOARD_PAGE, {"project_id": caller.project_id, "limit": limit,
                                                  "offset": offset}).all()
            total = rows[0][-1] if rows else conn.execute(_DASHBOARD_COUNT, {"project_id": caller.project_id}).scalar_one()
        # zip stops before the trailing total column
        return bytes(page([dict(zip(_DASHBOARD_FIELDS, row, strict=False)) for row in rows], total, limit, offset).body)

    state = request.app.state
    # The version first: the rows are then at least that new. Both reads leave the event loop.
    version = await asyncio.to_thread(state.versions.version, generation_status.name)
    key = ("dashboards", caller.project_id, limit, offset)
    body = state.answers.get(key, version) or state.answers.put(key, version, await asyncio.to_thread(build))
    return JsonAnswer(body)


@router.get("/dashboards/{dashboard_id}", response_model=Success[DashboardWithSpec])
async def get_dashboard(dashboard_id: ResourceId, caller: Caller, engine: ReadModels, request: Request):
    row = await off_the_loop(engine, lambda conn: conn.execute(select(dashboards).where(
        dashboards.c.dashboard_id == dashboard_id, dashboards.c.project_id == caller.project_id)).first())
    if row is None:  # another project's dashboard is as absent as a missing one
        raise ApiError(404, "no such dashboard")
    spec = await request.app.state.dashboard_specs.load(dashboard_id, caller.project_id)
    links = dashboard_links(request, dashboard_id, spec)
    return ok({**_dashboard(row), "links": links, "spec": {**spec, "links": links} if spec else spec})


def dashboard_links(request: Request, dashboard_id: str, spec: dict | None) -> dict[str, str]:
    """Absolute URLs of the dashboard: its page, its JSON and, when it was made with one, its PDF."""
    base = (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")
    own = f"{base}/api/v1/dashboards/{dashboard_id}"
    links = {"view": f"{own}/view", "spec": own}
    if spec and spec.get("options", {}).get("allow_pdf_export"):
        links["pdf"] = f"{own}/pdf"
    return links


@router.get("/generations/{generation_id}", response_model=Success[GenerationOut])
async def get_generation(generation_id: ResourceId, caller: Caller, engine: ReadModels):
    row = await asyncio.to_thread(generation_row, engine, caller.project_id, generation_id)
    if row is None:
        raise ApiError(404, "no such generation")
    return ok({
        "generation_id": row.generation_id, "status": row.status, "stage": row.stage, "percent": row.percent,
        "title": row.title, "dashboard_id": row.dashboard_id, "error": row.error_reason,
        "error_code": row.error_code, "requested_at": row.requested_at, "updated_at": row.updated_at})
