"""What the SMS product sends its tenants about their messages: the AIM
``sms`` receipt (callbacks.md §3.3) and the uplink form (§8).

Receipts: one per part report, like the upstream platform (``total`` and
``sequence`` as strings).  Plain SMS carry no smart-message fields, so
``tpl_id``, ``aim_code`` and ``aim_url`` are empty strings; ``cust_flag`` is
the recipient as the sender wrote it in ``to`` (the key the caller matches on);
``extend`` appears only when the send gave one.  Times are
``yyyy-MM-ddTHH:mm:ss`` UTC without a zone, as upstream.

Uplinks: a reply to a number is the SMS application's whose signature holds
the longest assigned number prefixing it (number + extension routes too); it
is forwarded form-encoded to the application's ``up_link_addr``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks.formats import FORM, Unit
from tidings.channels.base import Uplink
from tidings.product import Receipts, UplinkOwner, Uplinks
from tidings.sms.queries import app_for_channel_number
from tidings.timeutil import TimeFormat, wire_z

CALLBACK_TYPE = "sms"
UPLINK_KIND = "sms.uplink"


def sms_receipt(
    row: Any, *, seq: int, total: int, status: str, desc: str, send_time: datetime | None, receive_time: datetime, fmt: TimeFormat
) -> dict:
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


async def uplink_owner(session: AsyncSession, destination: str) -> UplinkOwner | None:
    found = await app_for_channel_number(session, destination)
    return UplinkOwner(tenant_id=found[0], owner_id=found[1], url=found[2]) if found else None


def uplink_form(uplink_id: str, u: Uplink) -> dict[str, str]:
    return {"smsMsgId": uplink_id, "from": "+" + u.source, "to": u.destination, "body": u.text, "createTime": wire_z(u.received_at)}


def render_uplink(unit: Unit) -> tuple[str, bytes]:
    return FORM, urlencode(unit.payload).encode()


RECEIPTS = Receipts(callback_type=CALLBACK_TYPE, build=sms_receipt)
UPLINKS = Uplinks(kind=UPLINK_KIND, owner=uplink_owner, form=uplink_form)
