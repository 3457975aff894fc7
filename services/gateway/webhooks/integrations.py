"""/api/v1/integrations: the project's connected data sources (upload formats it has used) and webhook endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway.edge.dependencies import Caller, ReadModels, off_the_loop
from services.gateway.edge.envelope import Success, ok
from services.gateway.webhooks import queries
from services.gateway.webhooks.models import DataSourceOut, WebhookEndpointOut

router = APIRouter(prefix="/api/v1", tags=["Integrations"])


@router.get("/integrations", response_model=Success[list[DataSourceOut | WebhookEndpointOut]])
async def list_integrations(caller: Caller, engine: ReadModels):
    def read(conn) -> list[DataSourceOut | WebhookEndpointOut]:
        return [*queries.data_sources_of(conn, caller.project_id), *queries.webhook_endpoints_of(conn, caller.project_id)]

    return ok([item.model_dump() for item in await off_the_loop(engine, read)])
