"""Operator API for accounts (outside the KooMessage namespace): tenants, their
settings and their enterprise filings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from tidings import accounts, filing
from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.errors import KooError
from tidings.store.models.core import Tenant
from tidings.tenant_settings import TenantSettings

router = APIRouter(prefix="/admin/v1", tags=["admin: accounts"])


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    admin_user: str = Field(default="admin", min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=128)
    settings: TenantSettings = Field(default_factory=TenantSettings)


@router.post("/tenants")
async def create_tenant(body: TenantCreate, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    try:
        created = await accounts.create_tenant(ctx_of(request), body.name, admin_name=body.admin_user, password=body.password, settings=body.settings.stored())
    except accounts.AccountError as exc:
        raise KooError("TD.00000409", str(exc)) from None
    return created.as_dict()


@router.get("/tenants")
async def list_tenants(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return {"tenants": await accounts.list_tenants(ctx_of(request))}


@router.patch("/tenants/{tenant_id}/settings")
async def patch_settings(tenant_id: str, body: TenantSettings, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    updated = await accounts.update_tenant_settings(ctx_of(request), tenant_id, body, op.actor)
    if updated is None:
        raise KooError("TD.00000404", "tenant does not exist")
    return {"tenant_id": tenant_id, "settings": updated}


@router.get("/tenants/{tenant_id}/filings")
async def tenant_filings(tenant_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        if await session.get(Tenant, tenant_id) is None:
            raise KooError("TD.00000404", "tenant does not exist")
        return {"tenant_id": tenant_id, "filings": await filing.list_filings(session, tenant_id)}
