"""Time in one place: everything is stored as naive UTC, and formatted on the
wire the way each KooMessage response expects."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def wire_z(dt: datetime | None) -> str:
    """yyyy-MM-dd'T'HH:mm:ss'Z' (send results, template callbacks)."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else ""


def wire_local(dt: datetime | None) -> str:
    """yyyy-MM-dd'T'HH:mm:ss without zone (SMS config objects, AIM receipts)."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") if dt else ""


def parse_wire(value: str | None) -> datetime | None:
    """Accept the ISO forms the contract uses (with or without Z and millis)."""
    if not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


class TimeFormat(dict):
    """wire_local with a memo: a batch of receipts shares a handful of distinct times."""

    def __missing__(self, dt: datetime) -> str:
        text = self[dt] = wire_local(dt)
        return text
