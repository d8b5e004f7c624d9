"""The database handle: one async engine, a read and a write session factory.

SQLite (the embedded default) allows one writer at a time.  Write transactions
start with ``BEGIN IMMEDIATE`` so a transaction never has to upgrade a read lock
(which SQLite answers with an immediate "database is locked"), and inside one
process writers queue on an asyncio lock instead of spinning on busy_timeout.
PostgreSQL needs neither; there workers claim rows with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        codec = {"json_serializer": _json_dumps, "json_deserializer": _json_loads}
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, echo=echo, **codec)
            _sqlite_tuning(self.engine)
        else:
            self.engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, **codec)
        self._write_engine = self.engine.execution_options(tidings_write=True)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success, rolled back on error."""
        if self._write_lock is None:
            async with self._write() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._write() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _json_dumps(value: object) -> str:
    # JSON columns (receipt batches of 500 in the outbox, part reports, carrier
    # ids) through orjson rather than the json module: the same documents, a
    # tenth of the CPU.  Non-string keys are written as strings, as json does.
    # orjson refuses what the json module wrote before it was used here, and
    # what validation now refuses but old rows may hold (integers past 64 bits,
    # lone surrogates): those few documents go through json as they always did.
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def _json_loads(text: str | bytes) -> object:
    # Rows written by the json module may carry escapes orjson will not read
    # (a lone surrogate such as "\ud800"); reading them must not fail (issue 20
    # #2: one such tenant made every tenant list answer 500).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _sqlite_tuning(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's begin event decide how transactions start (pysqlite's
        # own implicit BEGIN would be deferred, which is what we must avoid).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("tidings_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
