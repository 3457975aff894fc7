"""What the integrations page reads of its own read models, as answer models."""

from __future__ import annotations

from sqlalchemy import Connection, literal, select

from services.gateway.integrations.models import (
    DataSourceOut,
    WebhookEndpointOut,
    data_sources,
    integration_endpoints,
)


def data_sources_of(conn: Connection, project_id: str) -> list[DataSourceOut]:
    """The upload formats the project has used, each with its count and bytes."""
    rows = conn.execute(select(data_sources, (literal("upload-") + data_sources.c.file_format).label("id"))
                        .where(data_sources.c.project_id == project_id).order_by(data_sources.c.file_format)).all()
    return [DataSourceOut.model_validate(row) for row in rows]


def endpoints_of(conn: Connection, project_id: str) -> list[WebhookEndpointOut]:
    """The project's webhook endpoints (deleted ones are gone), oldest first."""
    endpoints = integration_endpoints.c
    rows = conn.execute(select(integration_endpoints, endpoints.endpoint_id.label("id"))
                        .where(endpoints.project_id == project_id).order_by(endpoints.created_at)).all()
    return [WebhookEndpointOut.model_validate(row) for row in rows]
