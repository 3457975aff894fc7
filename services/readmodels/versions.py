"""A projection's version, cheap enough to check on every request.

(stream_seq, updated_at) of its checkpoint row changes with every committed batch and with
every rebuild swap, so equal versions mean equal read models. Read on a connection of its own,
in autocommit, through the driver: this runs on hot paths, where a pool checkout and
SQLAlchemy's statement machinery cost more than the query.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

Version = tuple[int, float]
_QUERY = "SELECT stream_seq, updated_at FROM projection_checkpoints WHERE name = {}"


class VersionReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.query = _QUERY.format("?" if engine.dialect.paramstyle == "qmark" else "%s")
        self._local = threading.local()  # a DBAPI connection is not shared between threads

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            proxy = self.engine.raw_connection()
            connection = proxy.driver_connection
            proxy.detach()  # ours alone: never back into the pool with autocommit switched on
            if self.engine.dialect.name == "postgresql":
                connection.autocommit = True
            else:
                connection.isolation_level = None  # sqlite3: no implicit transaction, always the latest commit
            self._local.proxy, self._local.connection = proxy, connection
        return connection

    def version(self, projection: str) -> Version:
        try:
            row = self._connection().execute(self.query, (projection,)).fetchone()
        except Exception:
            self._local.connection = None  # a broken connection: open a new one next time
            raise
        return (row[0], row[1]) if row else (0, 0.0)
