"""Delivery receipts: parsing the SMSC's receipt text and mapping it to KooMessage statuses.

The de-facto receipt format (SMPP 3.4 Appendix B) is
``id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...``
and SMSCs vary on it: key case, missing fields, 10- or 12-digit dates, error codes
in hex or decimal, ids in hex or decimal.  When the ``receipted_message_id`` and
``message_state`` TLVs are present they win over the text, since they are typed.

Status table (SMPP stat word -> the ``status`` of our DeliveryReport):

=========  ===========  ======  =====================================================
stat       TLV state    status  meaning
=========  ===========  ======  =====================================================
DELIVRD    2 DELIVERED  DELIVRD delivered to the handset (success)
EXPIRED    3 EXPIRED    EXPIRED validity period ran out before delivery
DELETED    4 DELETED    DELETED deleted at the SMSC (cancel_sm or operator)
UNDELIV    5 UNDELIV.   UNDELIV undeliverable (bad number, handset refused, ...)
ACCEPTD    6 ACCEPTED   ACCEPTD read on the subscriber's behalf; final in SMPP 3.4
UNKNOWN    7 UNKNOWN    UNKNOWN the SMSC lost track of it; final
REJECTD    8 REJECTED   REJECTD rejected by the network/SMSC
ENROUTE    1 ENROUTE    (none)  intermediate: acknowledged, not reported
=========  ===========  ======  =====================================================

Final failures keep the SMPP stat word as the status: those seven-letter words
are exactly what Chinese carriers (CMPP/SGIP gateways) and KooMessage report
for carrier-side failures, so the pipeline can store and forward them as they
are.  A stat that is not a standard word (gateways bridging CMPP often put the
carrier code there, e.g. ``MK:0005`` or ``MB:1077``) is kept verbatim as the
status: it is already in KooMessage's vocabulary and more precise than any
mapping we could make.  Long spellings (``DELIVERED``, ``UNDELIVERABLE``,
``REJECTED``...) are normalised to the seven-letter words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

IdTransform = Literal["none", "dec_to_hex", "hex_to_dec"]

DELIVRD = "DELIVRD"
ENROUTE = "ENROUTE"

# message_state TLV value -> stat word
MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}
STANDARD_STATS = frozenset(MESSAGE_STATES.values())
_ALIASES = {
    "DELIVERED": "DELIVRD", "DELIVER": "DELIVRD", "UNDELIVERABLE": "UNDELIV", "UNDELIVERED": "UNDELIV",
    "REJECTED": "REJECTD", "ACCEPTED": "ACCEPTD", "EXPIRE": "EXPIRED", "DELETE": "DELETED",
    "SCHEDULED": "ENROUTE", "BUFFERED": "ENROUTE",
}
# Intermediate states: acknowledged to the SMSC but not reported as an outcome.
NON_FINAL = frozenset({"ENROUTE"})

_KEY = re.compile(r"(?i)\b(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:")


@dataclass(slots=True)
class Receipt:
    carrier_message_id: str  # canonical form, see canonical_id()
    stat: str  # normalised stat word, or the carrier code verbatim
    final: bool
    err: int | None  # the err field as a number (hex or decimal on the wire)
    err_text: str  # the err field as received
    sub: str | None
    dlvrd: str | None
    submitted_at: datetime | None
    done_at: datetime | None
    text: str

    @property
    def status(self) -> str:
        """The KooMessage status for the report (see the module table)."""
        return self.stat

    @property
    def description(self) -> str:
        err = f" err:{self.err_text}" if self.err_text else ""
        return f"stat:{self.stat}{err}"


def canonical_id(raw: str) -> str:
    """Case- and zero-padding-insensitive form: ``0000001a`` and ``1A`` match."""
    s = raw.strip().upper().lstrip("0")
    return s or ("0" if raw.strip() else "")


def transform_id(raw: str, how: IdTransform) -> str:
    """Per-carrier fix for SMSCs whose receipt ids use another base than their
    submit_sm_resp ids.  Configured, never guessed: guessing collides ids."""
    s = raw.strip()
    try:
        if how == "dec_to_hex":
            return format(int(s, 10), "X")
        if how == "hex_to_dec":
            return str(int(s, 16))
    except ValueError:
        pass
    return s


# The layout nearly every SMSC sends, matched in one go (the general parser is 10x slower).
_STANDARD = re.compile(
    r"id:(\S+) sub:(\S*) dlvrd:(\S*) submit date:(\d*) done date:(\d*) stat:(\S*) err:(\S*)(?: text:(.*))?\Z",
    re.IGNORECASE | re.DOTALL,
)
_STANDARD_KEYS = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text")


def parse_fields(text: str) -> dict[str, str]:
    """Split receipt text into lowercase keys (``submit date``, ``done date``...)."""
    m = _STANDARD.match(text)
    if m is not None:
        return {k: v for k, v in zip(_STANDARD_KEYS, m.groups(), strict=True) if v is not None}
    fields: dict[str, str] = {}
    matches = list(_KEY.finditer(text))
    for i, m in enumerate(matches):
        key = m.group(1).lower().replace("_", " ")
        if key in ("submitdate", "donedate"):
            key = key[:-4] + " date"
        if key == "text":
            fields[key] = text[m.end() :]
            break
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        fields.setdefault(key, text[m.end() : end].strip())
    return fields


def parse_date(value: str | None, tz: timezone = UTC) -> datetime | None:
    """YYMMDDhhmm (10), YYMMDDhhmmss (12) or YYYYMMDDhhmmss (14) digits."""
    if not value:
        return None
    d = value.strip()
    if not d.isdigit() or len(d) not in (10, 12, 14):
        return None
    if len(d) == 14:  # YYYYMMDDhhmmss: drop the century so one slicing below fits all
        century, d = int(d[:2]) * 100, d[2:]
    else:
        century = 2000
    try:
        return datetime(century + int(d[0:2]), int(d[2:4]), int(d[4:6]), int(d[6:8]), int(d[8:10]),
                        int(d[10:12]) if len(d) == 12 else 0, tzinfo=tz)
    except ValueError:
        return None


def parse_err(value: str | None) -> int | None:
    if not value:
        return None
    s = value.strip().lower()
    try:
        if s.startswith("0x"):
            return int(s[2:], 16)
        if any(c in "abcdef" for c in s):
            return int(s, 16)
        return int(s, 10)
    except ValueError:
        return None


def normalise_stat(raw: str) -> str:
    s = raw.strip().upper()
    return _ALIASES.get(s, s)


def parse_receipt(
    text: str,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    id_transform: IdTransform = "none",
    tz: timezone = UTC,
) -> Receipt | None:
    """A Receipt, or None when neither the text nor the TLVs carry an id."""
    fields = parse_fields(text)
    raw_id = receipted_message_id if receipted_message_id else fields.get("id", "")
    if not raw_id or not raw_id.strip():
        return None
    text_stat = normalise_stat(fields.get("stat", "")) if fields.get("stat") else ""
    stat = text_stat
    tlv_stat = MESSAGE_STATES.get(message_state) if message_state is not None else None
    if tlv_stat is not None:
        # The typed TLV wins, except that a carrier code in the text is a more
        # precise failure than the TLV's generic one.
        keep_carrier_code = tlv_stat not in ("DELIVRD", "ENROUTE") and text_stat and text_stat not in STANDARD_STATS
        if not keep_carrier_code:
            stat = tlv_stat
    if not stat:
        stat = "UNKNOWN"
    return Receipt(
        carrier_message_id=canonical_id(transform_id(raw_id, id_transform)),
        stat=stat,
        final=stat not in NON_FINAL,
        err=parse_err(fields.get("err")),
        err_text=(fields.get("err") or "").strip(),
        sub=fields.get("sub"),
        dlvrd=fields.get("dlvrd"),
        submitted_at=parse_date(fields.get("submit date"), tz),
        done_at=parse_date(fields.get("done date"), tz),
        text=fields.get("text", ""),
    )


_DONE_DATE = re.compile(rb"done[ _]?date:\s*(\d{10,14})", re.IGNORECASE)
_ERR = re.compile(rb"\berr:\s*(\S*)", re.IGNORECASE)


def fast_delivered(
    short_message: bytes,
    receipted_message_id: str | None,
    message_state: int | None,
    id_transform: IdTransform = "none",
    tz: timezone = UTC,
) -> tuple[str, datetime | None, str] | None:
    """The common receipt without the full parse: typed TLVs that say
    DELIVERED (where the TLV wins over the text anyway, see parse_receipt).
    Returns (carrier id, done_at, description) exactly as parse_receipt
    would, or None when the receipt needs the full parse."""
    if message_state != 2 or not receipted_message_id or not receipted_message_id.strip():
        return None
    m = _DONE_DATE.search(short_message)
    done_at = parse_date(m.group(1).decode("ascii"), tz) if m else None
    e = _ERR.search(short_message)
    err = e.group(1).decode("latin-1") if e else ""
    description = f"stat:DELIVRD err:{err}" if err else "stat:DELIVRD"
    return canonical_id(transform_id(receipted_message_id, id_transform)), done_at, description


def is_receipt(esm_class: int, tlvs: dict) -> bool:
    """esm_class message type bits 2-5 (0x04 SMSC receipt, 0x20 intermediate,
    0x08/0x10 acks) or a receipted_message_id TLV mark a receipt."""
    return bool(esm_class & 0x3C) or "receipted_message_id" in tlvs


def utc_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
