"""The few places where SQLite and PostgreSQL differ, in one module: the
INSERT that knows ON CONFLICT, whether row locks exist, and chunking id lists
under every driver's bind-parameter limit."""

from __future__ import annotations

from typing import Iterable, Sequence, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def dialect_insert(session: AsyncSession, table):  # noqa: ANN001, ANN201
    """INSERT with ON CONFLICT support on both backends."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
