"""The AIM ``sms`` receipt (callbacks.md §3.3) for a plain SMS.

One receipt per part report, like the upstream platform (``total`` and
``sequence`` as strings).  Plain SMS carry no smart-message fields, so
``tpl_id``, ``aim_code`` and ``aim_url`` are empty strings; ``cust_flag`` is
the recipient as the sender wrote it in ``to`` (the key the caller matches on);
``extend`` appears only when the send gave one.  Times are
``yyyy-MM-ddTHH:mm:ss`` UTC without a zone, as upstream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.timeutil import wire_local


class TimeFormat(dict):
    """wire_local with a memo: a batch shares a handful of distinct times."""

    def __missing__(self, dt: datetime) -> str:
        text = self[dt] = wire_local(dt)
        return text


def sms_receipt(
    row: Any, *, seq: int, total: int, status: str, desc: str, send_time: datetime | None, receive_time: datetime, fmt: TimeFormat | None = None
) -> dict:
    fmt = fmt if fmt is not None else TimeFormat()
    item = {
        "task_id": row.task_id,
        "cust_flag": row.to,
        "msg_id": row.id,
        "tpl_id": "",
        "sms_sign": row.signature,
        "aim_code": "",
        "aim_url": "",
        "send_time": fmt[send_time or row.created_at],
        "receive_time": fmt[receive_time],
        "send_status": status,
        "send_status_desc": desc,
        "total": str(total),
        "sequence": str(seq),
    }
    if row.extend is not None:
        item["extend"] = row.extend
    return item


async def enqueue(session: AsyncSession, by_tenant: dict[str, list[dict]]) -> int:
    """Into the callback outbox, inside the caller's transaction (contract C3)."""
    from tidings.callbacks.outbox import enqueue_aim_receipts

    written = 0
    for tenant_id, items in by_tenant.items():
        if items:
            written += await enqueue_aim_receipts(session, tenant_id, "sms", items)
    return written
