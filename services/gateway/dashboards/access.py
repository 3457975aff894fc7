"""Which dashboard or tenant a request names, and whether its caller may use it: one dependency
per kind of path, every tenant check through `Principal.may_use_tenant` (a tenant-bound caller,
such as a tenant JWT, is limited by them with no check in the routes themselves).

`/api/v1/dashboards/{dashboard_or_tenant_id}` is resolved by the id's type: dashboard ids start
with `dsh_`, and a tenant id may not (422 where one is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy import Row

from contracts import DASHBOARD_ID_PREFIX, is_dashboard_id
from services.gateway.dashboards.queries import dashboard_row
from services.gateway.edge.auth import Principal
from services.gateway.edge.bounds import DASHBOARD_ID, TENANT_ID, IsTenantId, Matches, ResourceId, TenantId
from services.gateway.edge.dependencies import Caller, ReadModels, off_the_loop, tenant_of
from services.gateway.edge.envelope import ApiError

TYPED_IDS = (f"Dashboard ids start with `{DASHBOARD_ID_PREFIX}`; tenant ids never do (one that does is refused "
             f"with 422 where it is given), so this path names a dashboard when it starts with "
             f"`{DASHBOARD_ID_PREFIX}` and a tenant otherwise.")
IsDashboardOrTenant = Matches(f"{DASHBOARD_ID}|{TENANT_ID}", f"a dashboard id or a tenant id ({IsTenantId.rule})")


async def visible_dashboard(principal: Principal, engine, dashboard_id: str) -> Row:
    """The project's dashboard, if the caller may use its tenant: else 404 (missing, another
    project's), 403 (another tenant's), 410 (deleted)."""
    row = await off_the_loop(engine, lambda conn: dashboard_row(conn, principal.project_id, dashboard_id))
    if row is None:  # another project's dashboard is as absent as a missing one
        raise ApiError(404, "no such dashboard")
    tenant_of(principal, row.tenant_id)
    if row.deleted_at is not None:
        raise ApiError(410, "this dashboard was deleted")
    return row


async def dashboard_in_path(dashboard_id: ResourceId, caller: Caller,
                            engine: ReadModels) -> Row:
    if not is_dashboard_id(dashboard_id):
        raise ApiError(404, f"no such dashboard (dashboard ids start with {DASHBOARD_ID_PREFIX!r})")
    return await visible_dashboard(caller, engine, dashboard_id)


@dataclass(frozen=True)
class Named:
    """What `/dashboards/{dashboard_or_tenant_id}` names: a dashboard (its row) or a tenant."""

    dashboard: Row | None = None
    tenant_id: str = ""


async def dashboard_or_tenant(
        dashboard_or_tenant_id: Annotated[str, Path(description=TYPED_IDS), IsDashboardOrTenant],
        caller: Caller, engine: ReadModels) -> Named:
    if is_dashboard_id(dashboard_or_tenant_id):
        return Named(dashboard=await visible_dashboard(caller, engine, dashboard_or_tenant_id))
    tenant_of(caller, dashboard_or_tenant_id)
    return Named(tenant_id=dashboard_or_tenant_id)


async def tenant_in_path(tenant_id: Annotated[TenantId, Path()], caller: Caller) -> str:
    return tenant_of(caller, tenant_id) or tenant_id


@dataclass(frozen=True)
class TenantFilter:
    tenant_id: str | None
    among: frozenset[str] | None  # None: every tenant (and none); a set: only dashboards of these


# The list route's own query parameter (one dependency fewer to solve on the busiest route).
TenantQuery = Annotated[TenantId | None, Query(description="Only this tenant's dashboards")]


def tenant_filter(caller: Principal, tenant_id: str | None) -> TenantFilter:
    if tenant_id is not None:
        return TenantFilter(tenant_of(caller, tenant_id), None)
    return TenantFilter(None, caller.tenant_ids)


VisibleDashboard = Annotated[Row, Depends(dashboard_in_path)]
DashboardOrTenant = Annotated[Named, Depends(dashboard_or_tenant)]
UsableTenant = Annotated[str, Depends(tenant_in_path)]
