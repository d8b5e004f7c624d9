"""The send flow with fallback (Tidings' own API, tidings/aim/flows.py):
``POST /tidings/v1/aim/send-flows`` starts one, ``GET .../{flow_id}`` shows
its progress and counts, ``GET .../{flow_id}/numbers`` what each number got.
A flow of at most one chunk (500 numbers) runs inside the request and answers
finished (200); a larger one answers 202 and runs in the background."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tidings.aim import flows, sending
from tidings.aim.api.sends import SmsChannelIn, Text
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.errors import not_found

router = APIRouter(prefix="/tidings/v1/aim/send-flows", tags=["AIM send flows (Tidings)"])

FLOW_NOT_FOUND = "TD.00000404"


class SendFlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_name: str = Field(min_length=1, max_length=30)
    tpl_id: str = Field(min_length=1, max_length=9)
    sms_channel: SmsChannelIn
    fallback: str = Field(description="none | sms | basic (basic: not available yet)")
    mobiles: list[Annotated[Text, Field(min_length=1, max_length=21)]] = Field(min_length=1, max_length=flows.MAX_NUMBERS)
    expiration_time: int = Field(7, ge=1, le=7)
    sms_params: list[Text] = Field(default_factory=list, max_length=19)
    dync_params: dict[str, str] | None = None


@router.post("")
async def start_send_flow(body: SendFlowIn, request: Request, principal: Principal = Depends(tenant_principal)) -> JSONResponse:
    ctx = ctx_of(request)
    c = body.sms_channel
    inp = flows.FlowInput(task_name=body.task_name, tpl_id=body.tpl_id, channel=sending.SmsChannel(c.sms_app_name, c.sms_sign, c.channel_number, c.sms_tpl_id),
                          fallback=body.fallback, mobiles=body.mobiles, days=body.expiration_time, sms_params=list(body.sms_params),
                          dync_params=body.dync_params)
    inline = len(body.mobiles) <= flows.FLOW_CHUNK
    holder = "request:" + flows.uuid_id() if inline else None
    flow_id = await flows.create(ctx, principal.tenant_id, inp, holder=holder)
    if holder is not None:
        try:
            await flows.run(ctx, flow_id, holder)
        except Exception as exc:  # counted like a runner's crash: a runner tries it again after a pause, up to MAX_CRASHES
            await flows.crashed(ctx, flow_id, holder, exc)
            raise
    async with ctx.db.read() as session:
        shown = await flows.show(session, principal.tenant_id, flow_id)
    return JSONResponse(shown, status_code=200 if inline else 202)


@router.get("/{flow_id}")
async def show_send_flow(flow_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        shown = await flows.show(session, principal.tenant_id, flow_id)
    if shown is None:
        raise not_found(FLOW_NOT_FOUND, f"Send flow {flow_id}")
    return shown


@router.get("/{flow_id}/numbers")
async def list_send_flow_numbers(
    flow_id: str, request: Request, principal: Principal = Depends(tenant_principal),
    offset: int = Query(0, ge=0, le=flows.MAX_NUMBERS), limit: int = Query(100, ge=1, le=1000),
) -> dict:
    async with ctx_of(request).db.read() as session:
        rows = await flows.numbers(session, principal.tenant_id, flow_id, offset, limit)
    if rows is None:
        raise not_found(FLOW_NOT_FOUND, f"Send flow {flow_id}")
    return {"numbers": rows, "page_info": {"offset": offset, "limit": limit}}
