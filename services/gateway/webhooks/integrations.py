"""/api/v1/integrations: the project's connected data sources (upload formats it has used) and webhook endpoints."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from services.gateway.edge.dependencies import Caller, ReadModels, off_the_loop
from services.gateway.edge.envelope import Success, ok
from services.gateway.webhooks import queries
from services.gateway.webhooks.models import DataSourceOut, WebhookEndpointOut
from services.webhooks import queries as webhook_queries

router = APIRouter(prefix="/api/v1", tags=["Integrations"])


@router.get("/integrations", response_model=Success[list[DataSourceOut | WebhookEndpointOut]])
async def list_integrations(caller: Caller, engine: ReadModels):
    sources = await off_the_loop(engine, lambda conn: queries.data_sources_of(conn, caller.project_id))
    endpoints = await asyncio.to_thread(webhook_queries.list_endpoints, engine, caller.project_id)
    items = [*sources, *(WebhookEndpointOut.model_validate(endpoint) for endpoint in endpoints)]
    return ok([item.model_dump() for item in items])
