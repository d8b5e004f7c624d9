"""A tenant's settings: one typed model for creating, patching and reading them.

Known keys only, each with documented bounds (docs/architecture.md "Tenant
settings"): an unknown key, a lone surrogate, or a number past its bound is
refused before anything is stored.  Stored rows keep the shape the operator
wrote (``exclude_unset``), because in ``frequency_limits`` an omitted window
and a ``null`` one mean different things.

This module holds the shared keys (:class:`TenantSettings`: rates, review,
numbers, frequency limits).  A product adds its own keys as a
:class:`ProductSettings` model (``Product.tenant_settings``; smart messages:
tidings/aim/settings.py); :class:`SettingsSchema` joins them into the one flat
model of an installation, built once per process (``ctx.tenant_settings``).

Rows written before these checks may hold anything; :meth:`SettingsSchema.readable`
keeps only the keys that still validate, so listing tenants, authenticating and
patching never trip over an old bad value (a patch then stores the cleaned
settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from tidings.domain.frequency import DEFAULT_DAY_OFFSET_HOURS

MAX_RATE_PER_SECOND = 1_000_000.0
MAX_WINDOW_COUNT = 1_000_000
MAX_SIGNATURE_OVERRIDES = 1_000

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


class ProductSettings(_Strict):
    """The base of a group of settings: optional keys (``None`` = not set),
    each with its bounds; a product's own keys subclass it."""

    def stored(self) -> dict[str, Any]:
        """What goes into the row: the keys given, without the ``null`` ones."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}

    def changes(self) -> dict[str, Any]:
        """A patch: the keys given, ``null`` meaning remove."""
        return self.model_dump(mode="json", exclude_unset=True)


class TenantSettings(ProductSettings):
    """The shared settings every installation has; ``null`` on a patch removes the key."""

    rate_requests_per_second: Rate | None = None
    rate_messages_per_second: Rate | None = None
    auto_approve: bool | None = None
    international: bool | None = None
    frequency_limits: FrequencyLimits | None = None


class SettingsSchema:
    """The settings a tenant may have in one installation: the shared keys and
    each installed product's (``parts``), one flat model (:attr:`model`)."""

    def __init__(self, parts: Sequence[type[ProductSettings]] = ()) -> None:
        seen = set(TenantSettings.model_fields)
        for part in parts:
            clash = seen & set(part.model_fields)
            if clash:
                raise ValueError(f"tenant settings {sorted(clash)} are declared twice ({part.__name__})")
            seen |= set(part.model_fields)
        self.model: type[ProductSettings] = (
            create_model("TenantSettings", __base__=(TenantSettings, *parts)) if parts else TenantSettings)

    def parse(self, raw: Any) -> ProductSettings:
        """Validated settings or a patch (raises pydantic's ValidationError)."""
        return self.model.model_validate(raw)

    def readable(self, raw: Any) -> dict[str, Any]:
        """The valid part of stored settings (old rows may hold anything)."""
        if not isinstance(raw, dict):
            return {}
        try:
            return self.model.model_validate(raw).stored()
        except ValidationError:
            pass
        kept: dict[str, Any] = {}
        for key, value in raw.items():
            if key in self.model.model_fields:
                try:
                    kept.update(self.model.model_validate({key: value}).stored())
                except ValidationError:
                    pass
        return kept

    def merged(self, stored: Any, patch: ProductSettings) -> dict[str, Any]:
        """The settings after ``patch``: per key, given keys replace, ``null`` removes."""
        result = {**self.readable(stored), **patch.changes()}
        return {k: v for k, v in result.items() if v is not None}


# The shared keys alone: what a shared mechanism reads (``auto_approve``), whatever the products.
SHARED = SettingsSchema()
