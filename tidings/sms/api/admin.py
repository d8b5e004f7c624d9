"""Operator API for SMS configuration (``/admin/v1/...``): suspend and resume
an application, the channel-number pool."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.errors import invalid
from tidings.sms import lifecycle, pool, views

router = APIRouter(prefix="/admin/v1", tags=["admin: sms"])


class SuspendBody(BaseModel):
    reason: str = Field(default="", max_length=255)


class RangeBody(BaseModel):
    """Either ``first``+``last`` or ``prefix``+``suffix_digits`` (all numbers
    starting with the prefix, e.g. prefix 10690123 with 4 digits = 10690123 0000-9999)."""

    first: str | None = Field(default=None, min_length=3, max_length=21)
    last: str | None = Field(default=None, min_length=3, max_length=21)
    prefix: str | None = Field(default=None, min_length=1, max_length=20)
    suffix_digits: int | None = Field(default=None, ge=1, le=8)
    note: str = Field(default="", max_length=255)

    @model_validator(mode="after")
    def _one_form(self) -> RangeBody:
        if self.prefix is not None:
            if self.suffix_digits is None:
                raise ValueError("suffix_digits is required with prefix")
            self.first = self.prefix + "0" * self.suffix_digits
            self.last = self.prefix + "9" * self.suffix_digits
        if self.first is None or self.last is None:
            raise ValueError("give first and last, or prefix and suffix_digits")
        return self

    @property
    def bounds(self) -> tuple[str, str]:
        """First and last number (the validator has made sure both are there)."""
        assert self.first is not None and self.last is not None
        return self.first, self.last


async def _suspend(request: Request, app_id: str, suspended: bool, actor: str, reason: str) -> dict:
    async with ctx_of(request).db.write() as session:
        return views.app_admin_view(await lifecycle.set_app_suspended(session, app_id, suspended, actor, reason))


@router.post("/sms/apps/{app_id}/suspend")
async def suspend_app(app_id: str, body: SuspendBody, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await _suspend(request, app_id, True, op.actor, body.reason)


@router.post("/sms/apps/{app_id}/resume")
async def resume_app(app_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return await _suspend(request, app_id, False, op.actor, "")


@router.get("/sms/channel-ranges")
async def list_ranges(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        return {"ranges": await pool.pool_summary(session)}


@router.post("/sms/channel-ranges")
async def add_range(body: RangeBody, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        try:
            rng = await pool.add_range(session, *body.bounds, op.actor, body.note)
        except pool.PoolError as exc:
            raise invalid("range", str(exc)) from None
        return {"range_id": rng.id, "first": rng.first, "last": rng.last, "note": rng.note}
