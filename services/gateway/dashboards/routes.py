"""/api/v1/dashboards, /api/v1/tenants/{id}/dashboards and /api/v1/generations: the project's
dashboards (made for a tenant, or by uploads), their versions, and how generations are going.

The embedding guide's routes (seeds/001) answer in its shapes: `POST /dashboards`,
`GET|DELETE /dashboards/{tenant_id}` and `GET /dashboards` with `skip`, `limit` and `total`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, Row

from services.eventlog.blobs import BlobStore
from services.gateway.dashboards.access import (
    TYPED_IDS,
    DashboardOrTenant,
    TenantQuery,
    UsableTenant,
    VisibleDashboard,
    tenant_filter,
)
from services.gateway.dashboards.commands import Dashboard, create_dashboard, delete_dashboard
from services.gateway.dashboards.models import (
    DashboardDeletedOut,
    DashboardOut,
    DashboardPage,
    DashboardWithSpec,
    TenantDashboard,
    VersionOut,
)
from services.gateway.dashboards.projections import dashboard_tables
from services.gateway.dashboards.queries import dashboards_page, tenant_dashboards, version_blobs, versions_page
from services.gateway.dashboards.specs import Specs
from services.gateway.edge.auth import TENANT_ROUTE
from services.gateway.edge.bounds import Description, ScopeId, TenantId, Title, TitleQuery
from services.gateway.edge.dependencies import (
    Blobs,
    Caller,
    Limit,
    Offset,
    ReadModels,
    ScopedRoute,
    Store,
    applied,
    off_the_loop,
    principal_of,
)
from services.gateway.edge.envelope import ApiError, JsonAnswer, Page, Success, ok, page
from services.gateway.edge.query_model import query_as, query_parameters
from services.gateway.edge.state import state_of

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Dashboards"])
writes = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Dashboards"])
SEED_TIME = "%Y-%m-%dT%H:%M:%SZ"


class DashboardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: TenantId = Field(description="Your tenant's id: 1 to 128 letters, digits and . _ : @ -; it may "
                                            "not start with `dsh_`, the prefix of dashboard ids (422)")
    workspace_id: TenantId
    name: Title
    description: Description | None = None


async def tenant_dashboard_request(body: DashboardCreate, caller: Caller) -> DashboardCreate:
    """The body of POST /dashboards, once its caller may use its tenant."""
    if not caller.may_use_tenant(body.tenant_id):
        raise ApiError(403, "this credential may not act for that tenant")
    return body


def seed_shape(dashboard_id: str, tenant_id: str | None, workspace_id: str | None, created_at: datetime) -> dict:
    return {"id": dashboard_id, "tenant_id": tenant_id, "workspace_id": workspace_id, "dashboard_id": dashboard_id,
            "created_at": created_at.strftime(SEED_TIME)}


def seed_of(row: Row) -> dict:
    return seed_shape(row.dashboard_id, row.tenant_id, row.workspace_id, row.created_at)


def dashboards_answer(rows: list[Row], total: int, limit: int, offset: int) -> bytes:
    """A page of dashboards: the envelope's `pagination`, and the embedding guide's `total` beside it."""
    return orjson.dumps({"success": True, "data": [dashboard_out(row) for row in rows], "total": total,
                         "pagination": {"total": total, "limit": limit, "offset": offset,
                                        "has_more": offset + len(rows) < total}})


def dashboard_out(row: Row) -> dict:
    return DashboardOut.model_validate(row).model_dump()


@writes.post("/dashboards", openapi_extra=TENANT_ROUTE, status_code=201, response_model=Success[TenantDashboard])
@writes.post("/dashboards/", openapi_extra=TENANT_ROUTE, status_code=201, include_in_schema=False)  # the guide's spelling
async def create_tenant_dashboard(body: Annotated[DashboardCreate, Depends(tenant_dashboard_request)],
                                  caller: Caller, store: Store, request: Request):
    """A named dashboard for a tenant, empty until data is generated into it (`POST /dashboards/generate`
    with its `dashboard_id`). The tenant id may not start with `dsh_`."""
    created, seq = await create_dashboard(
        store, caller.project_id, tenant_id=body.tenant_id, workspace_id=body.workspace_id,
        name=body.name, description=body.description, created_by=caller.subject)
    await applied(request, dashboard_tables.name, seq)
    made = created.payload
    return ok(seed_shape(made.dashboard_id, made.tenant_id, made.workspace_id, created.occurred_at), 201)


class DashboardListQuery(BaseModel):
    tenant_id: TenantQuery = None
    limit: Limit = 100
    offset: Offset = 0
    skip: Annotated[int | None, Query(ge=0, le=1_000_000_000, description="The embedding guide's name for offset")] = None
    workspace_id: Annotated[ScopeId | None, Query()] = None
    search: TitleQuery = None


@router.get("/dashboards", openapi_extra={**TENANT_ROUTE, "parameters": query_parameters(DashboardListQuery)},
            response_model=DashboardPage)
@router.get("/dashboards/", openapi_extra=TENANT_ROUTE, include_in_schema=False)  # the guide's spelling
async def list_dashboards(request: Request):
    query = query_as(DashboardListQuery, request)  # six parameters, one validation (edge/query_model.py)
    tenant_id, limit, offset, workspace_id, search = (query.tenant_id, query.limit, query.offset,
                                                      query.workspace_id, query.search)
    if query.skip is not None:
        if offset and offset != query.skip:
            raise ApiError(422, "skip and offset are the same thing: give one of them")
        offset = query.skip
    caller = principal_of(request)  # not `Caller`: the busiest route solves one dependency fewer
    tenants = tenant_filter(caller, tenant_id)
    state = state_of(request.app)  # not `State`, for the same reason

    def build() -> bytes:
        with state.engine.connect() as conn:
            rows, total = dashboards_page(conn, caller.project_id, limit, offset, tenant_id=tenants.tenant_id,
                                          workspace_id=workspace_id, among_tenants=tenants.among, search=search)
        return dashboards_answer(rows, total, limit, offset)

    # The version first: the rows are then at least that new (versions.py: where each read is made).
    version = await state.versions.version(dashboard_tables.name)
    key = ("dashboards", caller.project_id, limit, offset, tenants.tenant_id, tenants.among, workspace_id, search)
    body = state.answers.get(key, version) or state.answers.put(key, version, await asyncio.to_thread(build))
    return JsonAnswer(body)


@router.get("/dashboards/{dashboard_or_tenant_id}", openapi_extra=TENANT_ROUTE,
            response_model=Success[DashboardWithSpec | TenantDashboard],
            description=f"A dashboard with its spec, or the tenant's latest dashboard (404 when it has none). "
                        f"{TYPED_IDS}")
async def get_dashboard(named: DashboardOrTenant, caller: Caller, engine: ReadModels, specs: Specs, request: Request):
    if named.dashboard is None:
        rows = await off_the_loop(engine, lambda conn: tenant_dashboards(conn, caller.project_id, named.tenant_id))
        if not rows:
            raise ApiError(404, "this tenant has no dashboard")
        return ok(seed_of(rows[0]))
    row = named.dashboard
    spec = await specs.load(row.dashboard_id, caller.project_id)
    links = dashboard_links(request, row.dashboard_id, spec)
    return ok({**dashboard_out(row), "links": links, "spec": {**spec, "links": links} if spec else spec})


@writes.delete("/dashboards/{dashboard_or_tenant_id}", openapi_extra=TENANT_ROUTE, response_model=DashboardDeletedOut,
               description=f"Delete a dashboard, or the tenant's only dashboard (409 naming them when it has "
                           f"several). From then on the dashboard, its share links and embeds answer 410, "
                           f"and its files are removed. {TYPED_IDS}")
async def delete(named: DashboardOrTenant, caller: Caller, engine: ReadModels, store: Store, blobs: Blobs,
                 request: Request):
    row = named.dashboard
    if row is None:
        rows = await off_the_loop(engine, lambda conn: tenant_dashboards(conn, caller.project_id, named.tenant_id))
        if not rows:
            raise ApiError(404, "this tenant has no dashboard")
        if len(rows) > 1:
            raise ApiError(409, f"this tenant has {len(rows)} dashboards: delete one by its id ("
                                + ", ".join(r.dashboard_id for r in rows) + ")")
        row = rows[0]
    legacy = Dashboard(row.dashboard_id, row.project_id, row.tenant_id, row.workspace_id)
    board, seq = await delete_dashboard(store, caller.project_id, row.dashboard_id, caller.subject, legacy)
    await applied(request, dashboard_tables.name, seq)
    await _remove_blobs(engine, blobs, caller.project_id, board)
    return JsonAnswer({"success": True, "message": "Dashboard deleted successfully", "data": seed_of(row)})


async def _remove_blobs(engine: Engine, blobs: BlobStore, project_id: str, board: Dashboard) -> None:
    """Spec, PDF and upload of every version (from the dashboard's events and, for versions made
    before dashboards had events, the read model); deleting twice is harmless."""
    known = await off_the_loop(engine, lambda conn: version_blobs(conn, board.dashboard_id))
    names = set(board.blobs) | {name for row in known for name in row[:3] if name}
    for generation_id in set(board.generations) | {row[3] for row in known}:
        names |= set(await blobs.names(f"uploads/{project_id}/{generation_id}/"))
    for name in sorted(names):
        await blobs.delete(name)


@router.get("/dashboards/{dashboard_id}/versions", openapi_extra=TENANT_ROUTE, response_model=Page[VersionOut])
async def list_versions(dashboard: VisibleDashboard, engine: ReadModels, limit: Limit = 100, offset: Offset = 0):
    """Every version of the dashboard, the newest first: who uploaded it, when, the file's SHA-256, its rows."""
    rows, total = await off_the_loop(engine, lambda conn: versions_page(conn, dashboard.dashboard_id, limit, offset))
    return page([VersionOut.model_validate(row).model_dump() for row in rows], total, limit, offset)


@router.get("/tenants/{tenant_id}/dashboards", openapi_extra=TENANT_ROUTE, response_model=DashboardPage)
async def tenant_dashboard_list(tenant_id: UsableTenant, caller: Caller, engine: ReadModels, limit: Limit = 100,
                                offset: Offset = 0):
    rows, total = await off_the_loop(engine, lambda conn: dashboards_page(conn, caller.project_id, limit, offset,
                                                                         tenant_id=tenant_id))
    return JsonAnswer(dashboards_answer(rows, total, limit, offset))


def dashboard_links(request: Request, dashboard_id: str, spec: dict | None) -> dict[str, str]:
    """Absolute URLs of the dashboard: its page, its JSON and, when it was made with one, its PDF."""
    base = (state_of(request.app).settings.public_url or str(request.base_url)).rstrip("/")
    own = f"{base}/api/v1/dashboards/{dashboard_id}"
    links = {"view": f"{own}/view", "spec": own}
    if spec and spec.get("options", {}).get("allow_pdf_export"):
        links["pdf"] = f"{own}/pdf"
    return links
