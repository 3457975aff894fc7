"""What the embedding feature reads of its read models: functions of a Connection."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Row, select

from services.gateway.embedding.models import embed_origins, tenant_jwt_keys
from services.gateway.keys.models import projects


def jwt_keys(conn: Connection, project_id: str, kid: str | None = None) -> Sequence[Row]:
    """The project's tenant-JWT keys (or the one with `kid`), oldest first."""
    query = select(tenant_jwt_keys).where(tenant_jwt_keys.c.project_id == project_id)
    if kid is not None:
        query = query.where(tenant_jwt_keys.c.kid == kid)
    return conn.execute(query.order_by(tenant_jwt_keys.c.created_at, tenant_jwt_keys.c.kid)).all()


def origins_of(conn: Connection, project_id: str) -> list[str]:
    found = conn.execute(select(embed_origins.c.origins).where(embed_origins.c.project_id == project_id)).scalar()
    return list(found or [])


def key_with_plan(conn: Connection, project_id: str, kid: str) -> Row | None:
    """One tenant-JWT key and its project's plan (what the tenant-JWT credential checks)."""
    return conn.execute(select(tenant_jwt_keys, projects.c.plan)
                        .join(projects, projects.c.project_id == tenant_jwt_keys.c.project_id)
                        .where(tenant_jwt_keys.c.project_id == project_id, tenant_jwt_keys.c.kid == kid)).first()


def only_key_with_plan(conn: Connection, project_id: str) -> Row | None:
    """The project's tenant-JWT key when it has exactly one (a token without a kid), else None."""
    rows = conn.execute(select(tenant_jwt_keys, projects.c.plan)
                        .join(projects, projects.c.project_id == tenant_jwt_keys.c.project_id)
                        .where(tenant_jwt_keys.c.project_id == project_id).limit(2)).all()
    return rows[0] if len(rows) == 1 else None
