"""The gateway's embedding read models: tenant-JWT verification keys and the origins that may frame /embed."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table, Text

from services.readmodels.types import UtcDateTime

metadata = MetaData()

tenant_jwt_keys = Table(
    "tenant_jwt_keys", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("kid", String(128), primary_key=True),
    Column("alg", String(8), nullable=False),
    Column("public_key_pem", Text),
    Column("sealed_secret", Text),  # HS256: sealed, opened per request under the secrets key
    Column("fingerprint", String(16)),
    Column("scopes", JSON),  # what its tokens are granted; None: read, write, embed (keys from before scopes)
    Column("created_at", UtcDateTime(), nullable=False),
)

embed_origins = Table(
    "embed_origins", metadata,
    Column("project_id", String(128), primary_key=True),
    Column("origins", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
