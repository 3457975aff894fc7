"""SQLAlchemy engines for the read models: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError


def create_read_model_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # hide_parameters: an error's text then never carries a row's values into a log
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _configure_sqlite(dbapi_connection, _record) -> None:
    # WAL lets the gateway read while a projection writes; "synchronous=FULL" because a
    # checkpoint that claims an event was applied must survive a crash with its rows.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def create_tables(engine: Engine, tables: Iterable[Table], attempts: int = 5) -> None:
    """CREATE TABLE where missing, safe when several processes start at once.

    Two services starting together both see a table missing and both create it; the loser's
    error ("already exists", or a unique violation in PostgreSQL's catalog) only means the
    table is there now, which the next checkfirst pass confirms.
    """
    tables = list(tables)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                for table in tables:
                    table.create(conn, checkfirst=True)
            return
        except DatabaseError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@contextmanager
def deferred_durability(conn: Connection) -> Iterator[None]:
    """Commits on `conn` that a power cut may take back (whole transactions, never half of one).

    For work that a later durable commit makes durable with it: both backends write one log in
    order, and a durable commit flushes it up to itself (SQLite's WAL under synchronous=FULL,
    PostgreSQL's WAL under synchronous_commit=on). A rebuild's batches need no flush of their own
    since only the swap makes them count; that flush was most of a rebuild's wait on SQLite.
    """
    sqlite_db = conn.dialect.name == "sqlite"
    conn.exec_driver_sql("PRAGMA synchronous=NORMAL" if sqlite_db else "SET synchronous_commit TO off")
    conn.commit()
    try:
        yield
    finally:
        try:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA synchronous=FULL" if sqlite_db else "RESET synchronous_commit")
            conn.commit()
        except Exception:
            conn.invalidate()  # never hand a relaxed connection back to the pool
            raise
