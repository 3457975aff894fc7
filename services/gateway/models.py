"""Read models the gateway queries: generations, dashboards, projects, API keys, metrics, integrations."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Float, Integer, MetaData, String, Table

from services.readmodels.types import UtcDateTime

metadata = MetaData()


generations = Table(
    "generations", metadata,
    Column("generation_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # processing | completed | failed
    Column("stage", String(16), nullable=False),
    Column("percent", Integer, nullable=False, default=0),
    Column("title", String(500)),
    Column("file_format", String(16), nullable=False),
    Column("upload_size", Integer, nullable=False),
    Column("idempotency_key", String(200), index=True),
    Column("tenant_id", String(200)),
    Column("workspace_id", String(200)),
    Column("dashboard_id", String(64)),
    Column("error_code", String(64)),
    Column("error_reason", String(1000)),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

dashboards = Table(
    "dashboards", metadata,
    Column("dashboard_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("generation_id", String(64), nullable=False),
    Column("title", String(500), nullable=False),
    Column("spec_blob", String(300), nullable=False),
    Column("card_count", Integer, nullable=False),
    Column("tenant_id", String(200)),
    Column("workspace_id", String(200)),
    Column("created_at", UtcDateTime(), nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("plan", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("key_sha256", String(64), nullable=False, index=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    Column("replaced_by", String(64)),
)

metric_points = Table(
    "metric_points", metadata,
    Column("metric_id", String(200), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("dashboard_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("value", Float, nullable=False),
)

data_sources = Table(
    "data_sources", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("file_format", String(16), primary_key=True),
    Column("uploads", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("first_used_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", String(500)),
    Column("status", String(16), nullable=False),
    Column("disabled_reason", String(500)),
    Column("created_at", UtcDateTime(), nullable=False),
)
