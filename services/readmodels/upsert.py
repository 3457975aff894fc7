"""INSERT ... ON CONFLICT for the two backends we support."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _dialect_insert(conn: Connection, table: Table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write whole rows, replacing any row with the same primary key (one executemany)."""
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table), list(rows))


@lru_cache(maxsize=256)
def _upsert_statement(dialect: str, table: Table):
    """Built once per table: building it, and its cache key, cost as much as a batch's rows."""
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    keys = [c.name for c in table.primary_key.columns]
    others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return (statement.on_conflict_do_update(index_elements=keys, set_=others) if others
            else statement.on_conflict_do_nothing(index_elements=keys))


def insert_if_missing(conn: Connection, table: Table, row: dict[str, Any]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(index_elements=keys), [row])
