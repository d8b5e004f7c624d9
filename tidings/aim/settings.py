"""The tenant settings smart messages add (``Product.tenant_settings``), beside
the shared ones of tidings/tenant_settings.py; an operator sets them with the
others (``PATCH /admin/v1/tenants/{id}/settings``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tidings.tenant_settings import ProductSettings, Rate

MAX_MATERIAL_QUOTA = 10**15


class AimSettings(ProductSettings):
    # Smart messages a second; default 1,000 (tidings.aim.sending.SMART_PER_SECOND).
    rate_aim_messages_per_second: Rate | None = None
    # Smart-message material space in bytes, recycle bin included (default: the
    # operator's aim_material_quota_bytes, 10 GB).
    aim_material_quota_bytes: Annotated[int, Field(strict=True, ge=0, le=MAX_MATERIAL_QUOTA)] | None = None
