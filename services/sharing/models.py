"""The sharing service's tables.

Read models (rebuilt from the log at will): share links, their view log, the dashboards each
project may share or embed, and the iframe tokens issued. Beside them, `share_link_keys` is NOT a
read model: it holds each private link's key and its addresses in the clear, the only place they
are, and erasing a link deletes its row for good (the log keeps only hashes under that key).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, LargeBinary, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()


share_links = Table(
    "share_links", metadata,
    Column("link_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("dashboard_id", String(64), nullable=False, index=True),
    Column("visibility", String(16), nullable=False),
    Column("allowed_email_hashes", JSON, nullable=False),
    Column("token_sha256", String(64), nullable=False, index=True),
    Column("token_prefix", String(16), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Column("erased_at", UtcDateTime()),
    Column("view_count", Integer, nullable=False, default=0),
    Column("last_viewed_at", UtcDateTime()),
)

share_link_views = Table(
    "share_link_views", metadata,
    Column("view_id", String(36), primary_key=True),
    Column("link_id", String(64), nullable=False, index=True),
    Column("viewed_at", UtcDateTime(), nullable=False),
    Column("viewer_email_hash", String(64)),
    Column("user_agent", String(512), nullable=False),
)

shareable_dashboards = Table(
    "sharing_dashboards", metadata,
    Column("dashboard_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False),
    Column("title", String(500), nullable=False),
    Column("deleted_at", UtcDateTime()),
)

# What may be embedded: each dashboard's tenant and workspace (from DashboardCreated, or from the
# upload's DashboardRequested once its GenerationCompleted names the dashboard), and its deletion.
embeddable_dashboards = Table(
    "embeddable_dashboards", metadata,
    Column("dashboard_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("tenant_id", Text),
    Column("workspace_id", Text),
    Column("deleted_at", UtcDateTime()),
)

embed_generations = Table(  # an upload's tenant and workspace, until its dashboard is known
    "embed_generations", metadata,
    Column("generation_id", String(64), primary_key=True),
    Column("tenant_id", Text),
    Column("workspace_id", Text),
)

iframe_tokens = Table(  # every iframe token issued (never the token itself) and whether it was revoked
    "iframe_tokens", metadata,
    Column("jti", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("tenant_id", Text, nullable=False),
    Column("workspace_id", Text, nullable=False),
    Column("dashboard_id", String(64), nullable=False),
    Column("kid", String(200), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Column("revoked_by", String(16)),  # "token" (its jti) or "tenant" (every token of the tenant)
)

personal_data = MetaData()

share_link_keys = Table(
    "share_link_keys", personal_data,
    Column("link_id", String(64), primary_key=True),
    Column("hmac_key", LargeBinary, nullable=False),
    Column("addresses", JSON, nullable=False),  # {email_hash: address}
)
