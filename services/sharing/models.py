"""Read model of share links, for the viewer routes and the link listings."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table

from services.readmodels.types import UtcDateTime

metadata = MetaData()


share_links = Table(
    "share_links", metadata,
    Column("link_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("dashboard_id", String(64), nullable=False, index=True),
    Column("visibility", String(16), nullable=False),
    Column("allowed_emails", JSON, nullable=False),
    Column("token_sha256", String(64), nullable=False, index=True),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
)
