"""The smart-message product's delivery receipt: the AIM ``sms`` receipt of
callbacks.md §3.3, as the SMS product's, with the smart-message fields filled:
``tpl_id`` (the card template), ``aim_url`` (the recipient's short link, domain
included) and ``aim_code`` (the link's code, without the domain).  The
pipeline stores both on the message (``messages.aim_tpl_id``, ``aim_url``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.product import Receipts
from tidings.sms.receipts import CALLBACK_TYPE, sms_receipt
from tidings.timeutil import TimeFormat


def code_of(aim_url: str) -> str:
    """``127.0.0.1:8000/s/AbCd1234`` -> ``AbCd1234``."""
    return aim_url.rsplit("/", 1)[-1]


def aim_receipt(
    row: Any, *, seq: int, total: int, status: str, desc: str, send_time: datetime | None, receive_time: datetime, fmt: TimeFormat
) -> dict:
    item = sms_receipt(row, seq=seq, total=total, status=status, desc=desc, send_time=send_time, receive_time=receive_time, fmt=fmt)
    url = row.aim_url or ""
    item["tpl_id"] = row.aim_tpl_id or ""
    item["aim_url"] = url
    item["aim_code"] = code_of(url) if url else ""
    return item


RECEIPTS = Receipts(callback_type=CALLBACK_TYPE, build=aim_receipt)
