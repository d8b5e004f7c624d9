"""The few places where SQLite and PostgreSQL differ, in one module: the
INSERT that knows ON CONFLICT, whether row locks exist, and chunking id lists
under every driver's bind-parameter limit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import ARRAY, ColumnElement, CursorResult, DateTime, Executable, Select, String, Table, any_, bindparam, func, literal_column, select
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


def one_of(session: AsyncSession, column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN (values)`` with the whole list as ONE bound parameter: a JSON
    array read by SQLite's ``json_each``, a text array with PostgreSQL's
    ``= ANY``.  The statement is the same for any list, so SQLAlchemy's compiled
    cache serves it, and no per-value bind parameter is built, named and
    rendered (``in_(list)``'s expanding parameter cost ~1 µs per value on the
    hot path; docs/performance.md).  Both use the column's index."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(String())))
    listed: Select[Any] = select(literal_column("value")).select_from(func.json_each(bindparam(None, orjson.dumps(list(values)).decode(), type_=String())))
    return column.in_(listed.scalar_subquery())


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- executemany without per-row compilation ---------------------------------------
# SQLAlchemy's executemany builds every row's parameters through the compiler
# (construct_params, then the type processors), the largest single cost of the
# pipeline's hot path after SQLite itself (docs/performance.md).  The plan below
# does that once per statement and shape; each row is then a plain tuple.
_Build = Callable[[Sequence[Mapping[str, Any]]], list[tuple[Any, ...]]]
_Plan = tuple[str, _Build]
_plans: dict[tuple[Executable, str, tuple[str, ...]], _Plan | None] = {}
_MAX_PLANS = 256  # statements are module constants; the bound guards against a caller that is not


def _plan(stmt: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    compiled = cast(SQLCompiler, cast(ClauseElement, stmt).compile(dialect=dialect, column_keys=list(keys)))
    if compiled.insert_prefetch or compiled.update_prefetch or not compiled.positional or compiled.positiontup is None:
        return None  # Python-side column defaults or a named paramstyle: the general path
    processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
    return compiled.string, _row_builder([
        (name, processors.get(name), name in keys, compiled.binds[name].effective_value, isinstance(compiled.binds[name].type, DateTime))
        for name in compiled.positiontup
    ])


def _row_builder(steps: list[tuple[str, Callable[[Any], Any] | None, bool, Any, bool]]) -> _Build:
    """A function turning a batch of row mappings into the driver's tuples,
    generated once per plan: one tuple display per row, the type processors
    called only where a column has one, the batch's repeated datetimes (its
    "now") formatted once, constants processed once."""
    env: dict[str, Any] = {"_memo": _memo}
    items = []
    for i, (name, process, from_row, const, is_time) in enumerate(steps):
        if not from_row:
            env[f"c{i}"] = process(const) if process is not None and const is not None else const
            items.append(f"c{i}")
        elif process is None:
            items.append(f"row[{name!r}]")
        elif is_time:
            env[f"p{i}"] = process
            items.append(f"_memo(memo, p{i}, row[{name!r}])")
        else:
            env[f"p{i}"] = process
            items.append(f"(None if (v{i} := row[{name!r}]) is None else p{i}(v{i}))")
    source = f"def build(rows):\n    memo = {{}}\n    return [({', '.join(items)},) for row in rows]\n"
    exec(compile(source, "<executemany row builder>", "exec"), env)
    return cast(_Build, env["build"])


def _memo(memo: dict[Any, Any], process: Callable[[Any], Any], v: Any) -> Any:
    if v is None:
        return None
    p = memo.get(v)
    if p is None:
        p = memo[v] = process(v)
    return p


def _cached_plan(stmt: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    cache_key = (stmt, dialect.name, keys)
    if cache_key not in _plans:
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()
        _plans[cache_key] = _plan(stmt, dialect, keys)
    return _plans[cache_key]


async def executemany(session: AsyncSession, stmt: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
    """``session.execute(stmt, rows)`` for a cached INSERT/UPDATE whose rows
    all have the same keys, run as the driver's own executemany."""
    if not rows:
        return
    conn = await session.connection()
    plan = _cached_plan(stmt, conn.dialect, tuple(rows[0]))
    if plan is None:
        await session.execute(stmt, rows)
        return
    sql, build = plan
    await conn.exec_driver_sql(sql, build(rows))


# --- rows of several tables in one go ----------------------------------------------
_inserts: dict[Table, Executable] = {}
_defaults: dict[Table, list[tuple[str, Any]]] = {}


def _python_defaults(table: Table) -> list[tuple[str, Any]]:
    """(key, value or zero-argument callable) of each column with a Python-side scalar or callable default."""
    found = _defaults.get(table)
    if found is None:
        found = []
        for col in table.columns:
            default = col.default
            if default is None or not (default.is_scalar or default.is_callable):
                continue
            arg = default.arg  # type: ignore[attr-defined]
            found.append((col.key, (lambda arg=arg: arg(None)) if default.is_callable else arg))
        _defaults[table] = found
    return found


def complete(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the column defaults the ORM would apply (``default=``) for
    the columns it does not name, so its INSERT compiles without per-row work."""
    for key, value in _python_defaults(table):
        if key not in row:
            row[key] = value() if callable(value) else value
    return row


async def insert_rows(session: AsyncSession, *batches: tuple[Table, Sequence[dict[str, Any]]]) -> None:
    """INSERT each batch's rows (one table each, every row with the same keys)
    in the order given, one statement per table, inside the session's
    transaction; column defaults applied as the ORM would (:func:`complete`).

    For the hot writes of a request (a smart-message template: the template,
    its makers, its review item and decision, two audit events).  Each
    statement is compiled once per shape (:func:`executemany`'s plans).  On
    SQLite it goes straight to aiosqlite's connection, one hand-off to its
    thread, where SQLAlchemy's cursor takes four (cursor, execute, close ...);
    driver errors are raised as SQLAlchemy's (``IntegrityError`` ...), as
    through the session.  On PostgreSQL it goes through SQLAlchemy's adapter,
    which starts asyncpg's transaction on the first statement.  The session's
    identity map does not hold these rows: read them back with a query."""
    conn = await session.connection()
    dialect = conn.dialect
    driver = None
    if dialect.name == "sqlite":
        driver = (await conn.get_raw_connection()).driver_connection
    for table, rows in batches:
        if not rows:
            continue
        stmt = _inserts.get(table)
        if stmt is None:
            stmt = _inserts[table] = table.insert()
        rows = [complete(table, row) for row in rows]
        plan = _cached_plan(stmt, dialect, tuple(rows[0]))
        if plan is None:
            await session.execute(stmt, rows)
            continue
        sql, build = plan
        params = build(rows)
        if driver is None:
            await conn.exec_driver_sql(sql, params)
            continue
        try:
            await driver.executemany(sql, params)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=dialect) from exc


_built: dict[tuple[str, str], Any] = {}


def built_once(session: AsyncSession, name: str, build: Callable[[AsyncSession], T]) -> T:
    """A statement that depends on the dialect (ON CONFLICT), built once per
    dialect, so :func:`executemany` finds its plan again."""
    key = (session.get_bind().dialect.name, name)
    stmt = _built.get(key)
    if stmt is None:
        stmt = _built[key] = build(session)
    return cast(T, stmt)
