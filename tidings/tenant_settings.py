"""A tenant's settings: one typed model for creating, patching and reading them.

Known keys only, each with documented bounds (docs/architecture.md "Tenant
settings"): an unknown key, a lone surrogate, or a number past its bound is
refused before anything is stored.  Stored rows keep the shape the operator
wrote (``exclude_unset``), because in ``frequency_limits`` an omitted window
and a ``null`` one mean different things.

Rows written before these checks may hold anything; :func:`readable` keeps
only the keys that still validate, so listing tenants, authenticating and
patching never trip over an old bad value (a patch then stores the cleaned
settings).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from tidings.domain.frequency import DEFAULT_DAY_OFFSET_HOURS

MAX_RATE_PER_SECOND = 1_000_000.0
MAX_WINDOW_COUNT = 1_000_000
MAX_SIGNATURE_OVERRIDES = 1_000
MAX_MATERIAL_QUOTA = 10**15

Rate = Annotated[float, Field(gt=0, le=MAX_RATE_PER_SECOND, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_WINDOW_COUNT)]
SignatureId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class WindowLimits(_Strict):
    """``null`` removes a window's limit; ``0`` allows none."""

    per_minute: Count | None = None
    per_hour: Count | None = None
    per_day: Count | None = None


class KindLimits(_Strict):
    """``null`` for a kind means no limits at all for it."""

    code: WindowLimits | None = None
    notify: WindowLimits | None = None
    marketing: WindowLimits | None = None


class FrequencyLimits(KindLimits):
    signatures: dict[SignatureId, KindLimits] | None = Field(default=None, max_length=MAX_SIGNATURE_OVERRIDES)
    day_utc_offset_hours: Annotated[int, Field(strict=True, ge=-12, le=14)] = DEFAULT_DAY_OFFSET_HOURS


class TenantSettings(_Strict):
    """Every setting a tenant may have; ``null`` on a patch removes the key."""

    rate_requests_per_second: Rate | None = None
    rate_messages_per_second: Rate | None = None
    rate_aim_messages_per_second: Rate | None = None  # smart messages; default 1,000 (tidings.aim.sending.SMART_PER_SECOND)
    auto_approve: bool | None = None
    international: bool | None = None
    frequency_limits: FrequencyLimits | None = None
    # Smart-message material space in bytes, recycle bin included (default: the
    # operator's aim_material_quota_bytes, 10 GB).
    aim_material_quota_bytes: Annotated[int, Field(strict=True, ge=0, le=MAX_MATERIAL_QUOTA)] | None = None

    def stored(self) -> dict[str, Any]:
        """What goes into the row: the keys given, without the ``null`` ones."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}

    def changes(self) -> dict[str, Any]:
        """A patch: the keys given, ``null`` meaning remove."""
        return self.model_dump(mode="json", exclude_unset=True)


def readable(raw: Any) -> dict[str, Any]:
    """The valid part of stored settings (old rows may hold anything)."""
    if not isinstance(raw, dict):
        return {}
    try:
        return TenantSettings.model_validate(raw).stored()
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TenantSettings.model_fields:
            try:
                kept.update(TenantSettings.model_validate({key: value}).stored())
            except ValidationError:
                pass
    return kept


def merged(stored: Any, patch: TenantSettings) -> dict[str, Any]:
    """The settings after ``patch``: per key, given keys replace, ``null`` removes."""
    result = {**readable(stored), **patch.changes()}
    return {k: v for k, v in result.items() if v is not None}
