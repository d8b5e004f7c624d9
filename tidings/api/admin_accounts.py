"""Operator API for accounts (outside the KooMessage namespace)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from tidings import accounts
from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.api.errors import KooError, invalid
from tidings.domain import frequency

router = APIRouter(prefix="/admin/v1", tags=["admin: accounts"])


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    admin_user: str = Field(default="admin", min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=128)
    settings: dict = Field(default_factory=dict)


class SettingsPatch(BaseModel):
    rate_requests_per_second: float | None = Field(default=None, gt=0)
    rate_messages_per_second: float | None = Field(default=None, gt=0)
    auto_approve: bool | None = None
    frequency_limits: dict | None = None
    international: bool | None = None


@router.post("/tenants")
async def create_tenant(body: TenantCreate, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    try:
        created = await accounts.create_tenant(ctx_of(request), body.name, admin_name=body.admin_user, password=body.password, settings=body.settings)
    except accounts.AccountError as exc:
        raise KooError("TD.00000409", str(exc)) from None
    return created.as_dict()


@router.get("/tenants")
async def list_tenants(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return {"tenants": await accounts.list_tenants(ctx_of(request))}


@router.patch("/tenants/{tenant_id}/settings")
async def patch_settings(tenant_id: str, body: SettingsPatch, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    changes = body.model_dump(exclude_unset=True)
    if body.frequency_limits is not None:
        try:
            frequency.validate_settings({"frequency_limits": body.frequency_limits})
        except frequency.LimitsError as exc:
            raise invalid("frequency_limits", str(exc)) from None
    updated = await accounts.update_tenant_settings(ctx_of(request), tenant_id, changes, op.actor)
    if updated is None:
        raise KooError("TD.00000404", "tenant does not exist")
    return {"tenant_id": tenant_id, "settings": updated}
