"""What the gateway reads of its integrations read model, as answer models."""

from __future__ import annotations

from sqlalchemy import Connection, literal, select

from services.gateway.webhooks.models import DataSourceOut, WebhookEndpointOut, data_sources, webhook_endpoints


def data_sources_of(conn: Connection, project_id: str) -> list[DataSourceOut]:
    """The upload formats the project has used, each with its count and bytes."""
    rows = conn.execute(select(data_sources, (literal("upload-") + data_sources.c.file_format).label("id"))
                        .where(data_sources.c.project_id == project_id).order_by(data_sources.c.file_format)).all()
    return [DataSourceOut.model_validate(row) for row in rows]


def webhook_endpoints_of(conn: Connection, project_id: str) -> list[WebhookEndpointOut]:
    rows = conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.project_id == project_id)
                        .order_by(webhook_endpoints.c.created_at)).all()
    return [WebhookEndpointOut.model_validate(row) for row in rows]
