"""The bounds every list's paging parameters share.

An offset past ``MAX_OFFSET`` is refused with 400 naming the field and the
limit: a larger one (say 2**63) overflows the database's 64-bit OFFSET and
answered 500.  Each list keeps its own ``limit`` maximum.
"""

from __future__ import annotations

from typing import Any

from fastapi import Query

MAX_OFFSET = 1_000_000


def offset_query(default: int = 0) -> Any:
    return Query(default, ge=0, le=MAX_OFFSET, description=f"0-{MAX_OFFSET}")


def limit_query(default: int, maximum: int) -> Any:
    return Query(default, ge=1, le=maximum, description=f"1-{maximum}")
