"""Swapping rebuilt tables in for the live ones, inside one transaction.

Renaming a table keeps its indexes' names, so the rebuilt table's indexes (named after the
`__rebuild` table) are renamed too; otherwise the next rebuild would collide with them.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, text


def swap_in(conn: Connection, rebuilt: Table, live_name: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    conn.execute(text(f"DROP TABLE IF EXISTS {quote(live_name)}"))
    conn.execute(text(f"ALTER TABLE {quote(rebuilt.name)} RENAME TO {quote(live_name)}"))
    if conn.dialect.name == "postgresql":
        _rename_postgresql_indexes(conn, rebuilt.name, live_name)
    else:
        _rename_sqlite_indexes(conn, rebuilt.name, live_name)


def _rename_postgresql_indexes(conn: Connection, old_table: str, live_name: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                              "AND tablename = :t"), {"t": live_name}).scalars()
    for name in list(names):
        if old_table in name:
            conn.execute(text(f"ALTER INDEX {quote(name)} RENAME TO {quote(name.replace(old_table, live_name))}"))


def _rename_sqlite_indexes(conn: Connection, old_table: str, live_name: str) -> None:
    # SQLite has no ALTER INDEX ... RENAME: recreate the index under its live name.
    found = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                              "AND tbl_name = :t AND sql IS NOT NULL"), {"t": live_name}).all()
    for name, sql in found:
        if old_table in name:
            conn.execute(text(f'DROP INDEX "{name}"'))
            conn.execute(text(sql.replace(name, name.replace(old_table, live_name), 1)))
