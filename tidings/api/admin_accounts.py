"""Operator API for accounts (outside the KooMessage namespace): tenants, their
settings and their enterprise filings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from tidings import accounts, filing
from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.errors import KooError
from tidings.store.models.core import Tenant
from tidings.tenant_settings import ProductSettings

router = APIRouter(prefix="/admin/v1", tags=["admin: accounts"])


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    admin_user: str = Field(default="admin", min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=128)
    # The installation's settings (shared and the products' keys): checked by _settings.
    settings: dict[str, Any] = Field(default_factory=dict)


def _settings(request: Request, raw: Any, *loc: str) -> ProductSettings:
    """``raw`` checked against this installation's tenant settings (ctx.tenant_settings:
    the shared keys and the installed products'), refused like any request field."""
    try:
        return ctx_of(request).tenant_settings.parse(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *loc, *e["loc"])} for e in exc.errors()]) from None


@router.post("/tenants")
async def create_tenant(body: TenantCreate, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    settings = _settings(request, body.settings, "settings").stored()
    try:
        created = await accounts.create_tenant(ctx_of(request), body.name, admin_name=body.admin_user, password=body.password, settings=settings)
    except accounts.AccountError as exc:
        raise KooError("TD.00000409", str(exc)) from None
    return created.as_dict()


@router.get("/tenants")
async def list_tenants(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return {"tenants": await accounts.list_tenants(ctx_of(request))}


@router.patch("/tenants/{tenant_id}/settings")
async def patch_settings(tenant_id: str, request: Request, body: dict[str, Any] = Body(), op: Principal = Depends(operator_principal)) -> dict:
    patch = _settings(request, body)
    updated = await accounts.update_tenant_settings(ctx_of(request), tenant_id, patch, op.actor)
    if updated is None:
        raise KooError("TD.00000404", "tenant does not exist")
    return {"tenant_id": tenant_id, "settings": updated}


@router.get("/tenants/{tenant_id}/filings")
async def tenant_filings(tenant_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        if await session.get(Tenant, tenant_id) is None:
            raise KooError("TD.00000404", "tenant does not exist")
        return {"tenant_id": tenant_id, "filings": await filing.list_filings(session, tenant_id)}
