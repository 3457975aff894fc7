"""A projection's version, cheap enough to check on every request.

(stream_seq, updated_at) of its checkpoint row changes with every committed batch and with
every rebuild swap, so equal versions mean equal read models. Read on a connection of its own,
in autocommit, through the driver: this runs on hot paths, where a pool checkout and
SQLAlchemy's statement machinery cost more than the query.
"""

from __future__ import annotations

import asyncio
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


class SharedVersionReads:
    """`VersionReader` from the event loop: one read, in a worker thread, for every caller waiting.

    A caller never takes a read that began before it asked: that read could miss a batch committed
    just before (a client that saw its write applied would then get the older answer). It waits
    for the next read, which all callers queued meanwhile share; under load that is one thread
    hop for many requests instead of one each.
    """

    def __init__(self, reader: VersionReader) -> None:
        self.reader = reader
        self._waiting: dict[str, list[asyncio.Future[Version]]] = {}
        self._reading: dict[str, asyncio.Task] = {}

    async def version(self, projection: str) -> Version:
        decided = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(projection, []).append(decided)
        if projection not in self._reading:
            self._reading[projection] = asyncio.create_task(self._read_while_waiting(projection))
        return await decided

    async def _read_while_waiting(self, projection: str) -> None:
        try:
            while batch := self._waiting.pop(projection, None):  # taken before the read starts
                try:
                    version = await asyncio.to_thread(self.reader.version, projection)
                except Exception as error:  # noqa: BLE001 - every waiter of this read gets it
                    for waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(error)
                    continue
                for waiter in batch:
                    if not waiter.done():
                        waiter.set_result(version)
        finally:
            del self._reading[projection]
