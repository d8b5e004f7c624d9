"""Operator API for the review queue (``/admin/v1/reviews``): list (most
urgent first), show with history, approve / reject (per party where the
review has several), expedite."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.api.paging import limit_query, offset_query
from tidings.review import operator as ops

router = APIRouter(prefix="/admin/v1/reviews", tags=["admin: review"])


class DecisionBody(BaseModel):
    party: str | None = Field(default=None, min_length=1, max_length=32)
    reason: str = Field(default="", max_length=500)


class ExpediteBody(BaseModel):
    desc: str = Field(default="", max_length=64)


@router.get("")
async def list_reviews(
    request: Request,
    state: Literal["pending", "approved", "rejected", "partial", "all"] = Query(default="pending"),
    object_type: str | None = Query(default=None, max_length=64),
    tenant_id: str | None = Query(default=None, max_length=32),
    object_id: str | None = Query(default=None, max_length=64),
    offset: int = offset_query(),
    limit: int = limit_query(50, 500),
    op: Principal = Depends(operator_principal),
) -> dict:
    return await ops.list_reviews(ctx_of(request), state=None if state == "all" else state, object_type=object_type,
                                  tenant_id=tenant_id, object_id=object_id, offset=offset, limit=limit)


@router.get("/{review_id}")
async def show_review(review_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await ops.show(ctx_of(request), review_id)


@router.post("/{review_id}/approve")
async def approve(review_id: str, body: DecisionBody, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await ops.decide(ctx_of(request), review_id, decision="approved", actor=op.actor, party=body.party, reason=body.reason)


@router.post("/{review_id}/reject")
async def reject(review_id: str, body: DecisionBody, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await ops.decide(ctx_of(request), review_id, decision="rejected", actor=op.actor, party=body.party, reason=body.reason)


@router.post("/{review_id}/expedite")
async def expedite(review_id: str, body: ExpediteBody, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await ops.expedite(ctx_of(request), review_id, actor=op.actor, desc=body.desc)
