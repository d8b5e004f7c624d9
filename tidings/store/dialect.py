"""The few places where SQLite and PostgreSQL differ, in one module: the
INSERT that knows ON CONFLICT, whether row locks exist, and chunking id lists
under every driver's bind-parameter limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

T = TypeVar("T")


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support on both backends."""
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


async def affected(session: AsyncSession, stmt: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE; how many rows it touched.  (Its result is
    a CursorResult, which ``AsyncSession.execute``'s declared type does not say.)"""
    return cast(CursorResult[Any], await session.execute(stmt)).rowcount or 0


def is_deadlock(exc: DBAPIError) -> bool:
    """PostgreSQL chose this transaction as a deadlock's victim (SQLSTATE 40P01)."""
    return getattr(exc.orig, "sqlstate", None) == "40P01"


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- executemany without per-row compilation ---------------------------------------
# SQLAlchemy's executemany builds every row's parameters through the compiler
# (construct_params, then the type processors), the largest single cost of the
# pipeline's hot path after SQLite itself (docs/performance.md).  The plan below
# does that once per statement and shape; each row is then a plain tuple.
_ROW = object()
_Plan = tuple[str, list[tuple[str, Callable[[Any], Any] | None, Any, bool]]]
_plans: dict[tuple[Executable, str, tuple[str, ...]], _Plan | None] = {}
_MAX_PLANS = 256  # statements are module constants; the bound guards against a caller that is not


def _plan(stmt: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    compiled = cast(SQLCompiler, cast(ClauseElement, stmt).compile(dialect=dialect, column_keys=list(keys)))
    if compiled.insert_prefetch or compiled.update_prefetch or not compiled.positional or compiled.positiontup is None:
        return None  # Python-side column defaults or a named paramstyle: the general path
    processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
    steps: list[tuple[str, Callable[[Any], Any] | None, Any, bool]] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        value = _ROW if name in keys else bind.effective_value
        steps.append((name, processors.get(name), value, isinstance(bind.type, DateTime)))
    return compiled.string, steps


async def executemany(session: AsyncSession, stmt: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
    """``session.execute(stmt, rows)`` for a cached INSERT/UPDATE whose rows
    all have the same keys, run as the driver's own executemany."""
    if not rows:
        return
    conn = await session.connection()
    keys = tuple(rows[0])
    cache_key = (stmt, conn.dialect.name, keys)
    if cache_key not in _plans:
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()
        _plans[cache_key] = _plan(stmt, conn.dialect, keys)
    plan = _plans[cache_key]
    if plan is None:
        await session.execute(stmt, rows)
        return
    sql, steps = plan
    memo: dict[Any, Any] = {}  # the same datetime (the batch's "now") is formatted once
    params = []
    for row in rows:
        values = []
        for name, process, const, is_time in steps:
            v = row[name] if const is _ROW else const
            if process is not None and v is not None:
                if is_time:
                    p = memo.get(v)
                    if p is None:
                        p = memo[v] = process(v)
                    v = p
                else:
                    v = process(v)
            values.append(v)
        params.append(tuple(values))
    await conn.exec_driver_sql(sql, params)


_built: dict[tuple[str, str], Any] = {}


def built_once(session: AsyncSession, name: str, build: Callable[[AsyncSession], T]) -> T:
    """A statement that depends on the dialect (ON CONFLICT), built once per
    dialect, so :func:`executemany` finds its plan again."""
    key = (session.get_bind().dialect.name, name)
    stmt = _built.get(key)
    if stmt is None:
        stmt = _built[key] = build(session)
    return cast(T, stmt)
