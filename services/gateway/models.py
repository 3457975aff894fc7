"""Read models the gateway queries: generations, dashboards, projects, API keys, metrics, integrations.

Columns hold whatever the edge accepts: Text for anything a caller or a file names, BigInteger
for sizes and counts. A bounded column here would turn one long title into a batch PostgreSQL
refuses (SQLite never does); the bounds live at the edge (services/gateway/bounds.py).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Float, Integer, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()


generations = Table(
    "generations", metadata,
    Column("generation_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # processing | completed | failed
    Column("stage", String(16), nullable=False),
    Column("percent", Integer, nullable=False, default=0),
    Column("title", Text),
    Column("file_format", String(16), nullable=False),
    Column("upload_size", BigInteger, nullable=False),
    Column("idempotency_key", Text, index=True),
    Column("upload_blob", Text),
    Column("upload_sha256", String(64)),
    Column("requested_by", Text),
    Column("tenant_id", Text),
    Column("workspace_id", Text),
    Column("dashboard_id", String(64)),
    Column("error_code", Text),
    Column("error_reason", Text),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

dashboards = Table(
    "dashboards", metadata,
    Column("dashboard_id", String(128), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("tenant_id", Text, index=True),
    Column("workspace_id", Text),
    Column("version", Integer, nullable=False, default=0),  # 0: made for a tenant, no data yet
    Column("generation_id", String(64)),  # the latest version's
    Column("title", Text, nullable=False),
    Column("spec_blob", Text),
    Column("card_count", BigInteger, nullable=False, default=0),
    Column("created_by", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime()),
)

dashboard_versions = Table(
    "dashboard_versions", metadata,
    Column("dashboard_id", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("project_id", String(128), nullable=False),
    Column("generation_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("spec_blob", Text, nullable=False),
    Column("pdf_blob", Text),
    Column("upload_blob", Text),
    Column("upload_sha256", String(64)),
    Column("upload_size", BigInteger),
    Column("row_count", BigInteger),  # None: a version made before rows were counted
    Column("card_count", BigInteger, nullable=False),
    Column("created_by", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)

tenants = Table(
    "tenants", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("tenant_id", Text, primary_key=True),
    Column("dashboard_count", Integer, nullable=False),  # live ones
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("plan", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("name", Text, nullable=False),
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
    Column("metric_id", Text, primary_key=True),
    Column("date", Date, primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("dashboard_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("value", Float, nullable=False),
)

data_sources = Table(
    "data_sources", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("file_format", String(16), primary_key=True),
    Column("uploads", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("first_used_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=False),
)

webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", Text),
    Column("status", String(16), nullable=False),
    Column("disabled_reason", Text),
    Column("created_at", UtcDateTime(), nullable=False),
)
