"""Operators manage the public templates: ``/admin/v1/aim/public-templates``
(the same actions as ``tidings aim public``).  The body of add and update is
an ordinary create request (cards.md §3), checked by the tenant's rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request

from tidings.aim.public import admin
from tidings.aim.views import preview_url
from tidings.api.deps import Principal, ctx_of, operator_principal

router = APIRouter(prefix="/admin/v1/aim/public-templates", tags=["admin: public templates"])


def _view(request: Request, row) -> dict:
    ctx = ctx_of(request)
    return admin.view(row, preview_url(ctx.settings.base_url, ctx.box, row.id))


@router.get("")
async def list_public(request: Request, retired: bool = Query(default=False), op: Principal = Depends(operator_principal)) -> dict:
    rows = await admin.list_public(ctx_of(request), retired=retired)
    return {"templates": [_view(request, r) for r in rows], "total": len(rows)}


@router.post("")
async def add(request: Request, body: dict[str, Any] = Body(...), op: Principal = Depends(operator_principal)) -> dict:
    return _view(request, await admin.add(ctx_of(request), body, actor=op.actor))


@router.put("/{tpl_id}")
async def update(tpl_id: str, request: Request, body: dict[str, Any] = Body(...), op: Principal = Depends(operator_principal)) -> dict:
    return _view(request, await admin.update(ctx_of(request), tpl_id, body, actor=op.actor))


@router.delete("/{tpl_id}")
async def retire(tpl_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return _view(request, await admin.retire(ctx_of(request), tpl_id, actor=op.actor))


@router.post("/{tpl_id}/restore")
async def restore(tpl_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return _view(request, await admin.restore(ctx_of(request), tpl_id, actor=op.actor))
