"""The dashboard for people: the HTML viewer page, its PDF, and the JavaScript they need.

The page and the PDF answer to the same API key as the JSON spec; the assets are public (they
hold no data) and carry their version in their name, so they are cached for good.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import Row

from services.eventlog.blobs import BlobNotFound
from services.gateway.dashboards.access import VisibleDashboard
from services.gateway.dashboards.queries import dashboard_row
from services.gateway.dashboards.specs import DashboardSpecs, Specs
from services.gateway.edge.auth import TENANT_ROUTE
from services.gateway.edge.dependencies import Blobs, Caller, ScopedRoute, off_the_loop
from services.gateway.edge.envelope import ApiError
from services.gateway.edge.state import state_of
from services.gateway.viewer.bundle import Bundle, VegaBundle
from services.gateway.viewer.page import PAGE_HEADERS, page_headers, render_dashboard_page, render_empty_page

router = APIRouter(route_class=ScopedRoute, tags=["Dashboards"])
STATIC = Path(__file__).parent / "static"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
REVALIDATE = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
VIEW_HEADERS = page_headers("'self'")  # the console's preview frames it; no other site may


async def _owned_spec(specs: DashboardSpecs, dashboard: Row) -> dict:
    spec = await specs.load(dashboard.dashboard_id, dashboard.project_id)
    if spec is None:
        raise ApiError(404, "this dashboard has no data yet: generate into it with its dashboard_id")
    return spec


# No response_class here: FastAPI would then document the JSON error answers as text/html too.
@router.get("/api/v1/dashboards/{dashboard_id}/view", openapi_extra=TENANT_ROUTE, response_model=None,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "description": "The dashboard as a web page (one with no data yet says so)"}})
async def view_dashboard(dashboard: VisibleDashboard, specs: Specs, bundle: Bundle):
    if dashboard.spec_blob is None:
        return empty_page(dashboard.name, VIEW_HEADERS)
    return dashboard_page(bundle, await _owned_spec(specs, dashboard), VIEW_HEADERS)


def dashboard_page(bundle: VegaBundle, spec: dict, headers: dict[str, str] = PAGE_HEADERS) -> HTMLResponse:
    """The one viewer page, for /view and for share links alike."""
    return HTMLResponse(render_dashboard_page(spec, f"/assets/{bundle.name}"), headers=headers)


def empty_page(name: str, headers: dict[str, str] = PAGE_HEADERS) -> HTMLResponse:
    return HTMLResponse(render_empty_page(name), headers=headers)


async def page_or_none(request: Request, dashboard_id: str, project_id: str) -> HTMLResponse | None:
    """The dashboard's page for a share link or an embed: a live dashboard with no data yet gets
    a page that says so; None for a deleted one (or one whose spec is lost)."""
    state = state_of(request.app)
    spec = await state.parts.get(DashboardSpecs).load(dashboard_id, project_id)
    if spec is not None:
        return dashboard_page(state.parts.get(VegaBundle), spec)
    row = await off_the_loop(state.engine, lambda conn: dashboard_row(conn, project_id, dashboard_id))
    if row is None or row.deleted_at is not None or row.spec_blob is not None:
        return None
    return empty_page(row.name)


@router.get("/api/v1/dashboards/{dashboard_id}/pdf", openapi_extra=TENANT_ROUTE, response_model=None,
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The dashboard as a PDF"}})
async def dashboard_pdf(dashboard: VisibleDashboard, caller: Caller, specs: Specs, blobs: Blobs):
    spec = await _owned_spec(specs, dashboard)
    if not spec.get("options", {}).get("allow_pdf_export") or caller.plan != "premium":
        raise ApiError(403, "PDF export is a premium option: generate with allow_pdf_export=true")
    try:  # a PDF is small (tens of kB): read whole, so a missing blob still gets its 404
        pdf = b"".join([chunk async for chunk in blobs.read(spec["pdf"])])
    except (BlobNotFound, KeyError) as missing:
        raise ApiError(404, "this dashboard has no PDF") from missing
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{dashboard.dashboard_id}.pdf"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str, request: Request, bundle: Bundle):
    if name == bundle.name:
        etag = f'"{await bundle.etag()}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={**IMMUTABLE, "ETag": etag})
        return Response(await bundle.body(), media_type="text/javascript", headers={**IMMUTABLE, "ETag": etag})
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, "no such asset")
    return FileResponse(path, headers=REVALIDATE)
