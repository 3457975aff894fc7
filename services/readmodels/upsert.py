"""INSERT ... ON CONFLICT for the two backends we support."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, String, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect


def _dialect_insert(conn: Connection, table: Table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write whole rows (every column), replacing any row with the same primary key: one executemany.

    One multi-row `INSERT ... VALUES (...), (...) ON CONFLICT` per flush (and `unnest` of column
    arrays on PostgreSQL) measured no faster in a rebuild (bench/replay.py, 2026-11-26): SQLite's
    executemany reuses one prepared statement, psycopg's pipelines its statements.
    """
    if rows:
        plan = _upsert_plan(conn.dialect, table)
        conn.exec_driver_sql(plan.sql, [plan.parameters(row) for row in rows])


def insert_new_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write rows whose keys no row of `table` holds (a rebuild's fresh tables know which).

    PostgreSQL: one COPY, which takes rows at a fraction of the cost per row of psycopg's pipelined
    executemany (bench/replay.py). A key that is there after all fails the COPY and its transaction.
    SQLite: the upsert, whose executemany is already one prepared statement.
    """
    if len(rows) < 2 or conn.dialect.name != "postgresql":
        upsert_rows(conn, table, rows)
        return
    plan = _upsert_plan(conn.dialect, table)
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(table.c[name].name) for name in plan.names)
    target = conn.dialect.identifier_preparer.format_table(table)
    driver_connection = conn.connection.driver_connection  # the transaction's own psycopg connection
    assert driver_connection is not None
    with driver_connection.cursor().copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(plan.values(row))


@dataclass(frozen=True)
class UpsertPlan:
    """The upsert compiled once for a table and a dialect, and how a row becomes its parameters.

    SQLAlchemy's own executemany rebuilt the parameters of every row through its compiled-statement
    machinery: most of a rebuild's write time. The values go through the same type processors.
    """

    sql: str
    names: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    positional: bool

    def values(self, row: dict[str, Any]) -> list[Any]:
        values = [row[name] for name in self.names]
        for index, process in self.processors:
            values[index] = process(values[index])
        return values

    def parameters(self, row: dict[str, Any]) -> tuple | dict[str, Any]:
        values = self.values(row)
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))


@lru_cache(maxsize=256)
def _upsert_plan(dialect: Dialect, table: Table) -> UpsertPlan:
    compiled = _upsert_statement(dialect.name, table).compile(dialect=dialect)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.bind_names.values())
    if sorted(names) != sorted(column.key for column in table.columns):
        raise ValueError(f"{table.name}: bind names {names} are not its columns")
    processors = tuple((index, process) for index, name in enumerate(names)
                       if (process := _processor(table.c[name], dialect)))
    sql, positional = compiled.string, compiled.positional
    if not positional and tuple(_NAMED_BIND.findall(sql)) == names:
        # psycopg reorders a dict of parameters by name for every row; a tuple in order it takes as is
        sql, positional = _NAMED_BIND.sub("%s", sql), True
    return UpsertPlan(sql, names, processors, positional)


_NAMED_BIND = re.compile(r"%\((\w+)\)s")
NUL, REPLACEMENT = "\x00", "\ufffd"


def _processor(column: Column, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's own bind processor; on PostgreSQL, text also loses its NUL characters.

    PostgreSQL text cannot hold U+0000 ("DataError: PostgreSQL text fields cannot contain NUL"): one
    such character in an event's text would park the event in every rebuild. It becomes U+FFFD, the
    replacement character, so the row is written and a person sees where the character was.
    """
    own = column.type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "postgresql" or not isinstance(column.type, String):
        return own
    def without_nul(value: Any) -> Any:
        if isinstance(value, str) and NUL in value:
            value = value.replace(NUL, REPLACEMENT)
        return own(value) if own else value
    return without_nul


@lru_cache(maxsize=256)
def _upsert_statement(dialect: str, table: Table):
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    keys = [c.name for c in table.primary_key.columns]
    others = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return (statement.on_conflict_do_update(index_elements=keys, set_=others) if others
            else statement.on_conflict_do_nothing(index_elements=keys))


def insert_if_missing(conn: Connection, table: Table, row: dict[str, Any]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(index_elements=keys), [row])
