"""What the gateway reads of the API keys read model, as answer models."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from services.gateway.keys.models import ApiKeyOut, api_keys, projects


def key(conn: Connection, project_id: str, key_id: str) -> ApiKeyOut | None:
    """One key of one project (another project's key is as absent as a missing one)."""
    row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id,
                                              api_keys.c.project_id == project_id)).first()
    return None if row is None else ApiKeyOut.model_validate(row)


def keys_of(conn: Connection, project_id: str) -> list[ApiKeyOut]:
    rows = conn.execute(select(api_keys).where(api_keys.c.project_id == project_id)
                        .order_by(api_keys.c.created_at)).all()
    return [ApiKeyOut.model_validate(row) for row in rows]


def predecessor(conn: Connection, project_id: str, key_id: str) -> str | None:
    """The key whose rotation issued this one, as far as the read model knows yet."""
    return conn.execute(select(api_keys.c.key_id).where(api_keys.c.replaced_by == key_id,
                                                        api_keys.c.project_id == project_id)).scalar()


def key_with_plan(conn: Connection, digest: str) -> Row | None:
    """The key with this SHA-256, and its project's plan (what the API-key credential checks)."""
    return conn.execute(select(api_keys, projects.c.plan).join(projects, projects.c.project_id == api_keys.c.project_id)
                        .where(api_keys.c.key_sha256 == digest)).first()
