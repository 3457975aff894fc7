"""/api/v1/dashboards and /api/v1/generations: what the project generated, and how it is going."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from services.gateway.dashboards import queries
from services.gateway.dashboards.models import DashboardOut, DashboardWithSpec
from services.gateway.edge.bounds import ResourceId
from services.gateway.edge.dependencies import Caller, Limit, Offset, ReadModels, off_the_loop, principal_of
from services.gateway.edge.envelope import ApiError, JsonAnswer, Page, Success, ok, page
from services.gateway.generation.models import GenerationOut
from services.gateway.generation.projections import generation_status
from services.gateway.generation.queries import generation_row

router = APIRouter(prefix="/api/v1", tags=["Dashboards"])


@router.get("/dashboards", response_model=Page[DashboardOut])
async def list_dashboards(request: Request, limit: Limit = 100, offset: Offset = 0):
    # The hottest route reads the caller the middleware set instead of asking for `Caller`:
    # FastAPI's dependency solving was a quarter of its time (bench/gateway.py, py-spy).
    caller = principal_of(request)
    def build() -> bytes:
        with state.engine.connect() as conn:
            items, total = queries.dashboard_page(conn, caller.project_id, limit, offset)
        return bytes(page([item.model_dump() for item in items], total, limit, offset).body)

    state = request.app.state
    # The version first: the rows are then at least that new. Both reads leave the event loop.
    version = await asyncio.to_thread(state.versions.version, generation_status.name)
    key = ("dashboards", caller.project_id, limit, offset)
    body = state.answers.get(key, version) or state.answers.put(key, version, await asyncio.to_thread(build))
    return JsonAnswer(body)


@router.get("/dashboards/{dashboard_id}", response_model=Success[DashboardWithSpec])
async def get_dashboard(dashboard_id: ResourceId, caller: Caller, engine: ReadModels, request: Request):
    found = await off_the_loop(engine, lambda conn: queries.dashboard(conn, caller.project_id, dashboard_id))
    if found is None:
        raise ApiError(404, "no such dashboard")
    spec = await request.app.state.dashboard_specs.load(dashboard_id, caller.project_id)
    links = dashboard_links(request, dashboard_id, spec)
    return ok({**found.model_dump(), "links": links, "spec": {**spec, "links": links} if spec else spec})


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
    return ok(GenerationOut.model_validate(row).model_dump())
