"""Optional list filters, the way every list API takes them: a filter whose
value was not given (None or empty) is no filter at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute


def where_given(stmt: Select, *pairs: tuple[InstrumentedAttribute, Any]) -> Select:
    for column, value in pairs:
        if value is not None and value != "":  # 0 and False are values (tpl_state=0)
            stmt = stmt.where(column == value)
    return stmt
