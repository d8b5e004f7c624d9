"""Per-recipient frequency limits: how many messages one number may get.

Three kinds of traffic, each with its own limits and its own counters per
(signature, number):

* ``code``: notification templates whose only variable is one ``CHARDIGIT``
  value (verification codes).  The anchors' limits: 1 a minute, 5 an hour,
  10 a day.
* ``notify``: every other notification template.  Looser: 10 a minute, 50 an
  hour, 100 a day.
* ``marketing``: ``PROMOTION_TYPE`` templates.  A daily cap of 3, nothing finer.

A tenant overrides any of them in ``settings["frequency_limits"]``, and per
signature under ``"signatures"``; an override names only the windows it
changes::

    {"code": {"per_minute": 2},
     "marketing": {"per_day": 1},
     "signatures": {"<signature_id>": {"notify": {"per_hour": null}}}}

``null`` removes a window's limit; ``0`` blocks the kind entirely.  A kind set
to ``null`` (``{"notify": null}``) has no limits at all.

Windows are fixed calendar windows: the minute, the hour, and the day starting
at midnight UTC+8 (China time, where these numbers live; ``day_utc_offset_hours``
in the settings changes it).  Fixed windows admit a short burst across a
boundary (a code at 12:00:59 and another at 12:01:00); the hour and day limits
still bound the total.  The price of sliding windows would be a timestamp list
per number on the hot path; fixed windows need one row of six integers.

Pure functions; the store keeps one :class:`Counter` per (tenant, scope, number).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

CODE = "code"
NOTIFY = "notify"
MARKETING = "marketing"
KINDS = (CODE, NOTIFY, MARKETING)

WINDOWS = ("per_minute", "per_hour", "per_day")
DEFAULT_DAY_OFFSET_HOURS = 8


@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.per_minute is None and self.per_hour is None and self.per_day is None


DEFAULTS: dict[str, Limits] = {
    CODE: Limits(per_minute=1, per_hour=5, per_day=10),
    NOTIFY: Limits(per_minute=10, per_hour=50, per_day=100),
    MARKETING: Limits(per_day=3),
}


class LimitsError(ValueError):
    """The ``frequency_limits`` settings are malformed."""


def kind_of(template_type: str, is_code: bool) -> str:
    if template_type == "PROMOTION_TYPE":
        return MARKETING
    return CODE if is_code else NOTIFY


def _apply(base: Limits, override: Any, where: str) -> Limits:
    if override is None:
        return Limits()
    if not isinstance(override, Mapping):
        raise LimitsError(f"{where} must be an object or null")
    changes: dict[str, int | None] = {}
    for key, value in override.items():
        if key not in WINDOWS:
            raise LimitsError(f"{where}.{key} is not one of {', '.join(WINDOWS)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise LimitsError(f"{where}.{key} must be a whole number >= 0 or null")
        changes[key] = value
    return replace(base, **changes)


def limits_for(settings: Mapping[str, Any] | None, kind: str, signature_id: str | None = None) -> Limits:
    """Defaults, then the tenant's override for ``kind``, then the signature's."""
    limits = DEFAULTS[kind]
    config = (settings or {}).get("frequency_limits") or {}
    if not isinstance(config, Mapping):
        raise LimitsError("frequency_limits must be an object")
    if kind in config:
        limits = _apply(limits, config[kind], f"frequency_limits.{kind}")
    per_sig = (config.get("signatures") or {}).get(signature_id) if signature_id else None
    if per_sig and kind in per_sig:
        limits = _apply(limits, per_sig[kind], f"frequency_limits.signatures.{signature_id}.{kind}")
    return limits


def validate_settings(settings: Mapping[str, Any]) -> None:
    """Raise :class:`LimitsError` if the tenant's ``frequency_limits`` cannot be used."""
    config = settings.get("frequency_limits") or {}
    for kind in KINDS:
        limits_for(settings, kind)
    for sig in (config.get("signatures") or {}):
        for kind in KINDS:
            limits_for(settings, kind, sig)
    offset = config.get("day_utc_offset_hours", DEFAULT_DAY_OFFSET_HOURS)
    if isinstance(offset, bool) or not isinstance(offset, int) or not -12 <= offset <= 14:
        raise LimitsError("frequency_limits.day_utc_offset_hours must be a whole number from -12 to 14")


def day_offset_seconds(settings: Mapping[str, Any] | None) -> int:
    config = (settings or {}).get("frequency_limits") or {}
    return int(config.get("day_utc_offset_hours", DEFAULT_DAY_OFFSET_HOURS)) * 3600


@dataclass(slots=True)
class Counter:
    """Messages counted in the current minute, hour and day.  The ``*_window``
    fields are window indexes (epoch seconds // window length), so a counter
    from an older window reads as zero."""

    minute_window: int = 0
    minute_count: int = 0
    hour_window: int = 0
    hour_count: int = 0
    day_window: int = 0
    day_count: int = 0


@dataclass(frozen=True, slots=True)
class Windows:
    minute: int
    hour: int
    day: int

    @classmethod
    def at(cls, epoch_seconds: float, day_offset_seconds: int = DEFAULT_DAY_OFFSET_HOURS * 3600) -> Windows:
        t = int(epoch_seconds)
        return cls(minute=t // 60, hour=t // 3600, day=(t + day_offset_seconds) // 86400)


def admit(counter: Counter | None, limits: Limits, now: Windows, n: int = 1) -> Counter | None:
    """The counter after ``n`` more messages, or None when that would exceed a
    limit (the caller then refuses the number and keeps the old counter)."""
    c = counter or Counter()
    minute = c.minute_count if c.minute_window == now.minute else 0
    hour = c.hour_count if c.hour_window == now.hour else 0
    day = c.day_count if c.day_window == now.day else 0
    if limits.per_minute is not None and minute + n > limits.per_minute:
        return None
    if limits.per_hour is not None and hour + n > limits.per_hour:
        return None
    if limits.per_day is not None and day + n > limits.per_day:
        return None
    return Counter(now.minute, minute + n, now.hour, hour + n, now.day, day + n)


def scope_key(signature_id: str, kind: str) -> str:
    """Counters are kept per signature and kind: a code and a notification
    from the same signature do not use up each other's allowance."""
    return f"{signature_id}:{kind}"
