"""Lists the way every list API takes them: optional filters (a filter whose
value was not given, None or empty, is no filter at all) and a counted page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


def where_given(stmt: Select, *pairs: tuple[InstrumentedAttribute, Any]) -> Select:
    for column, value in pairs:
        if value is not None and value != "":  # 0 and False are values (tpl_state=0)
            stmt = stmt.where(column == value)
    return stmt


async def count_and_page(session: AsyncSession, stmt: Select, order: Sequence[Any], offset: int, limit: int) -> tuple[list, int]:
    """One page of ``stmt``'s rows in ``order``, and how many rows there are in all."""
    total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).all()
    return list(rows), total
