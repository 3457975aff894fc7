"""/api/v1/integrations: the project's connected data sources (upload formats it has used) and webhook endpoints."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from services.gateway.edge.dependencies import Caller, ReadModels, off_the_loop
from services.gateway.edge.envelope import Success, ok
from services.gateway.webhooks.models import DataSourceOut, WebhookEndpointOut, data_sources, webhook_endpoints

router = APIRouter(prefix="/api/v1", tags=["Integrations"])


@router.get("/integrations", response_model=Success[list[DataSourceOut | WebhookEndpointOut]])
async def list_integrations(caller: Caller, engine: ReadModels):
    def read(conn):
        return (conn.execute(select(data_sources).where(data_sources.c.project_id == caller.project_id)
                             .order_by(data_sources.c.file_format)).all(),
                conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.project_id == caller.project_id)
                             .order_by(webhook_endpoints.c.created_at)).all())

    sources, endpoints = await off_the_loop(engine, read)
    items: list[dict] = [{"type": "data_source", "id": f"upload-{s.file_format}", "kind": "file_upload",
                          "file_format": s.file_format, "uploads": s.uploads, "bytes": s.bytes,
                          "first_used_at": s.first_used_at, "last_used_at": s.last_used_at} for s in sources]
    items += [{"type": "webhook_endpoint", "id": e.endpoint_id, "url": e.url, "event_types": e.event_types,
               "description": e.description, "status": e.status, "created_at": e.created_at} for e in endpoints]
    return ok(items)
