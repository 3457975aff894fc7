"""A projection: read-model tables, and what each event type does to their rows.

Handlers see rows as dicts through `Rows`, which keeps the batch's rows in memory and writes
each touched row once when the batch commits: a generation's Requested, Started, Progressed and
Completed events in one batch become a single upsert.
"""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, MetaData, Select, Table, bindparam, select, tuple_
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from contracts import Event
from services.eventlog.reader import StoredEvent
from services.readmodels.database import create_tables
from services.readmodels.upsert import insert_new_rows, upsert_rows

Key = Any
Row = dict[str, Any]
Handler = Callable[[Any, "Rows"], None]


class WrittenKeys:
    """The keys a rebuild wrote into its fresh tables, which began empty and which nobody else
    writes: a key not among them is in no row, and needs no SELECT to say so.

    In a rebuild most reads are for rows not made yet (each new dashboard is looked up before it
    is put); this saves a query per new row. Past `limit` keys a table's set is dropped and every
    miss is read again: a long log costs time, never unbounded memory.
    """

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self.by_table: dict[str, set[Key]] = {}
        self.overflowed: set[str] = set()

    def never_written(self, table: str, key: Key) -> bool:
        return table not in self.overflowed and key not in self.by_table.get(table, ())

    def add(self, table: str, keys: Iterable[Key]) -> None:
        if table in self.overflowed:
            return
        written = self.by_table.setdefault(table, set())
        written.update(keys)
        if len(written) > self.limit:
            self.overflowed.add(table)
            del self.by_table[table]


class TableRows:
    """The rows of one table that a batch reads or changes, written back by `flush`."""

    def __init__(self, conn: Connection, table: Table, written: WrittenKeys | None = None) -> None:
        self.conn = conn
        self.table = table
        self.written = written
        self.key_columns = list(table.primary_key.columns)
        self.defaults = {c.name: c.default.arg if isinstance(c.default, ScalarElementColumnDefault) else None
                         for c in table.columns}
        self.cached: dict[Key, Row | None] = {}
        self.dirty: set[Key] = set()
        self.deleted: set[Key] = set()

    def _key_of(self, row: Row) -> Key:
        values = tuple(row[c.name] for c in self.key_columns)
        return values[0] if len(values) == 1 else values

    def get(self, key: Key) -> Row | None:
        if key not in self.cached:
            self.cached[key] = self._load(key)
        return self.cached[key]

    def _load(self, key: Key) -> Row | None:
        if self.written is not None and self.written.never_written(self.table.name, key):
            return None
        values = (key,) if len(self.key_columns) == 1 else tuple(key)
        found = self.conn.execute(_select_by_key(self.table),
                                  {f"key_{i}": value for i, value in enumerate(values)}).mappings().first()
        return dict(found) if found else None

    def put(self, row: Row) -> Row:
        """Insert or replace a whole row; columns left out take their defaults."""
        full = {**self.defaults, **row}
        key = self._key_of(full)
        self.cached[key] = full
        self.dirty.add(key)
        self.deleted.discard(key)
        return full

    def update(self, key: Key, **values: Any) -> Row | None:
        """Change some columns of an existing row; None (and nothing written) if it is missing."""
        row = self.get(key)
        if row is None:
            return None
        row.update(values)
        self.dirty.add(key)
        return row

    def delete(self, key: Key) -> None:
        self.cached[key] = None
        self.dirty.discard(key)
        self.deleted.add(key)

    def update_where(self, condition: Any, **values: Any) -> None:
        """Change every row matching `condition`, rows this batch never read included."""
        self.flush()
        self.conn.execute(self.table.update().where(condition).values(**values))
        self.cached.clear()
        self.dirty.clear()
        self.deleted.clear()

    def flush(self) -> None:
        if self.deleted:
            keys = list(self.deleted)
            if len(self.key_columns) == 1:
                self.conn.execute(self.table.delete().where(self.key_columns[0].in_(keys)))
            else:
                self.conn.execute(self.table.delete().where(tuple_(*self.key_columns).in_(keys)))
        kept = {key: row for key in self.dirty if (row := self.cached[key]) is not None}
        if self.written is None:
            upsert_rows(self.conn, self.table, list(kept.values()))
            return
        new: list[Row] = []
        known: list[Row] = []
        for key, row in kept.items():
            (new if self.written.never_written(self.table.name, key) else known).append(row)
        insert_new_rows(self.conn, self.table, new)
        upsert_rows(self.conn, self.table, known)
        self.written.add(self.table.name, kept)

    def delete_where(self, **equal: Any) -> None:
        """Delete every row whose columns hold these values, rows this batch never read included.

        Named columns, not a condition: a rebuild writes a copy of the table, and a condition on the
        live table's columns would name the wrong one."""
        self.flush()
        self.conn.execute(self.table.delete().where(*(self.table.c[name] == value for name, value in equal.items())))
        self.cached.clear()
        self.dirty.clear()
        self.deleted.clear()


class Rows:
    """The tables of a projection as one batch sees them, by their logical names."""

    def __init__(self, conn: Connection, tables: dict[str, Table], written: WrittenKeys | None = None) -> None:
        self._tables = {name: TableRows(conn, table, written) for name, table in tables.items()}

    def __getitem__(self, name: str) -> TableRows:
        return self._tables[name]

    def flush(self) -> None:
        for table_rows in self._tables.values():
            table_rows.flush()


@lru_cache(maxsize=256)
def _select_by_key(table: Table) -> Select:
    """SELECT one row by its key (bound as key_0, key_1...), built once per table."""
    return select(table).where(*(column == bindparam(f"key_{i}")
                                 for i, column in enumerate(table.primary_key.columns)))


class Projection:
    """A name, the tables it owns (declared in the service's models.py), and `@on(EventClass)` handlers.

    Handlers only change rows: they get no bus and no network, so rebuilding a projection from
    the log can never send a webhook or start a generation.
    """

    def __init__(self, name: str, *tables: Table, partial_rebuild_safe: bool = False) -> None:
        self.name = name
        # True only when rows built from the events after any sequence are the whole truth.
        self.partial_rebuild_safe = partial_rebuild_safe
        self._tables = {table.name: table for table in tables}
        self.handlers: dict[str, Handler] = {}

    def extended(self, *tables: Table) -> Projection:
        """This projection with more tables and room for more handlers, under the same name: one
        checkpoint, and each batch's rows of both written in one transaction."""
        extended = Projection(self.name, *tables, *self._tables.values(), partial_rebuild_safe=self.partial_rebuild_safe)
        extended.handlers.update(self.handlers)
        return extended

    def create_tables(self, engine) -> None:
        create_tables(engine, self._tables.values())

    def on(self, event_class: type[Event]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.handlers[event_class.model_fields["type"].default] = handler
            return handler
        return register

    def tables(self, suffix: str = "") -> dict[str, Table]:
        """The live tables, or copies named `<table><suffix>` for a rebuild beside them."""
        if not suffix:
            return dict(self._tables)
        copies = MetaData()
        return {name: table.to_metadata(copies, name=f"{name}{suffix}") for name, table in self._tables.items()}

    def import_path(self) -> tuple[str, str] | None:
        """(module, name) under which this projection is a module-level name, found through its
        handlers' module: how another process (a rebuild's writer) gets the same projection."""
        for module_name in {handler.__module__ for handler in self.handlers.values()}:
            module = sys.modules.get(module_name)
            for name, value in vars(module).items() if module else ():
                if value is self:
                    return module_name, name
        return None

    def __reduce__(self):
        path = self.import_path()
        if path is None:
            raise pickle.PicklingError(f"projection {self.name} is not a module-level name of its handlers' module")
        return _imported_projection, path

    def apply(self, events: Iterable[StoredEvent], rows: Rows) -> None:
        for stored in events:
            handler = self.handlers.get(stored.type)
            if handler is not None:
                handler(stored.event, rows)


def _imported_projection(module_name: str, name: str) -> Projection:
    projection = getattr(importlib.import_module(module_name), name)
    assert isinstance(projection, Projection), f"{module_name}.{name} is not a projection"
    return projection
