"""/api/v1/integrations: the project's connected data sources (upload formats it has used) and webhook
endpoints, both from the integrations read models (projections.py)."""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway.edge.dependencies import Caller, ReadModels, ScopedRoute, off_the_loop
from services.gateway.edge.envelope import Success, ok
from services.gateway.integrations import queries
from services.gateway.integrations.models import DataSourceOut, WebhookEndpointOut

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Integrations"])


@router.get("/integrations", response_model=Success[list[DataSourceOut | WebhookEndpointOut]])
async def list_integrations(caller: Caller, engine: ReadModels):
    sources, endpoints = await off_the_loop(engine, lambda conn: (queries.data_sources_of(conn, caller.project_id),
                                                                  queries.endpoints_of(conn, caller.project_id)))
    return ok([item.model_dump() for item in (*sources, *endpoints)])
