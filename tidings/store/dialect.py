"""The few places where SQLite and PostgreSQL differ, in one module: the
INSERT that knows ON CONFLICT, whether row locks exist, and chunking id lists
under every driver's bind-parameter limit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

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
