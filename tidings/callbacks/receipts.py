"""Delivery receipts collected during one pipeline transaction and written to
the outbox together (contract C3).

The pipeline (dispatch and intake) knows no product's receipt format: for each
message it asks the builder of the message's product (``Product.receipts``,
looked up by ``row.product``), groups the payloads by tenant and AIM callback
type, and enqueues them in the caller's transaction.  Messages of a product
that sends no receipts are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks.outbox import enqueue_aim_receipts
from tidings.timeutil import TimeFormat

if TYPE_CHECKING:
    from tidings.product import Product, Receipts


def receipt_builders(products: Sequence[Product]) -> dict[str, Receipts]:
    """Product name -> its receipts, for the products that send any."""
    return {p.name: p.receipts for p in products if p.receipts is not None}


class ReceiptBatch:
    def __init__(self, builders: Mapping[str, Receipts]) -> None:
        self._builders = builders
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._fmt = TimeFormat()

    def add(self, row: Any, *, seq: int, total: int, status: str, desc: str, send_time: datetime | None, receive_time: datetime) -> None:
        """The receipt for part ``seq`` of message ``row``."""
        receipts = self._builders.get(row.product)
        if receipts is None:
            return
        item = receipts.build(row, seq=seq, total=total, status=status, desc=desc, send_time=send_time, receive_time=receive_time, fmt=self._fmt)
        self._items[(row.tenant_id, receipts.callback_type)].append(item)

    def add_unreported(self, row: Any, status: str, desc: str, now: datetime, reported: set[int] | None = None) -> None:
        """One receipt per part of ``row`` not in ``reported`` (failed, expired, unknown)."""
        for seq in range(1, row.parts + 1):
            if not reported or seq not in reported:
                self.add(row, seq=seq, total=row.parts, status=status, desc=desc, send_time=row.submitted_at, receive_time=now)

    def __bool__(self) -> bool:
        return bool(self._items)

    async def enqueue(self, session: AsyncSession) -> int:
        """Into the callback outbox, inside the caller's transaction; returns the rows written."""
        written = 0
        for (tenant_id, callback_type), items in self._items.items():
            written += await enqueue_aim_receipts(session, tenant_id, callback_type, items)
        self._items.clear()
        return written
