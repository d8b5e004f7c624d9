"""Smart-message send tasks (openapi.json ``/v1/aim/send-*``): create, list,
details and reports, with the SDK's wire names.  The sending itself is
:mod:`tidings.aim.sending`; the queries are :mod:`tidings.aim.send_queries`.

Decisions (docs/smart-messages.md, "Send tasks"): ``aim_code_type`` is
``individual`` only, ``resolve_times`` is stored as 1 whatever is sent,
``expiration_time`` 1-7 days, ``params`` 1-100 with ``cust_flag`` the mobile
number; the task sends to every number (there is no fallback field) and its
``support_resolve_count`` is -1.  Over the tenant's smart-message rate (1,000
a second by default) the whole request is refused with 429 ``APIGW.0308``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from tidings.aim import send_queries as q
from tidings.aim import sending
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.dispatch.worker import wake
from tidings.domain.numbers import NumberError, normalize
from tidings.errors import KooError, invalid
from tidings.ratelimit import retry_after_header
from tidings.timeutil import wire_z

router = APIRouter(tags=["AIM send"])

MAX_LINKS = 100
MAX_SMS_PARAMS = 19
THROTTLED = "APIGW.0308"


def _text(value: Any) -> Any:
    # The upstream example sends sms_tpl_id as a number.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]


class SmsChannelIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel_number: Text = Field(min_length=1, max_length=21)
    sms_tpl_id: Text = Field(min_length=1, max_length=50)
    sms_sign: str = Field(min_length=1, max_length=64)
    sms_app_name: str = Field(min_length=1, max_length=64)


class SendParam(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cust_flag: str = Field(min_length=1, max_length=64)
    dync_params: dict[str, str] | None = None
    custom_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://([\w-]+\.)+[\w-]+(/[\w\-./?%&=]*)?$")
    custom_short_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{3,10}$")
    sms_params: list[Text] = Field(default_factory=list, max_length=MAX_SMS_PARAMS)


class ResolveTaskIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tpl_id: str = Field(min_length=1, max_length=9)
    resolve_times: int = Field(ge=1, le=10_000_000)
    aim_code_type: Literal["individual"]
    generation_type: Literal["1", "2"] = "1"
    domain: str | None = Field(default=None, max_length=100)
    expiration_time: int = Field(ge=1, le=7)
    params: list[SendParam] = Field(min_length=1, max_length=MAX_LINKS)


class CreateAimSendTask(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_name: str = Field(min_length=1, max_length=30)
    sms_channel: SmsChannelIn
    resolve_task: ResolveTaskIn


def spec_of(body: CreateAimSendTask) -> sending.Spec:
    if not body.task_name.strip():
        raise invalid("task_name", "must not be blank")
    c = body.sms_channel
    r = body.resolve_task
    return sending.Spec(task_name=body.task_name.strip(), tpl_id=r.tpl_id,
                        channel=sending.SmsChannel(c.sms_app_name, c.sms_sign, c.channel_number, c.sms_tpl_id),
                        days=r.expiration_time, generation_type=r.generation_type, domain=r.domain)


def recipients_of(body: CreateAimSendTask, international: bool) -> list[sending.Recipient]:
    out = []
    for i, p in enumerate(body.resolve_task.params):
        try:
            normalize(p.cust_flag, international=international)
        except NumberError as exc:
            raise invalid(f"resolve_task.params[{i}].cust_flag", f"must be the recipient's mobile number ({exc})") from None
        out.append(sending.Recipient(p.cust_flag, p.dync_params, p.custom_url, p.custom_short_code, list(p.sms_params)))
    return out


@router.post("/v1/aim/send-tasks", operation_id="create_aim_send_task")
async def create_aim_send_task(body: CreateAimSendTask, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    spec = spec_of(body)
    recipients = recipients_of(body, bool(principal.settings.get("international")))
    for attempt in range(3):
        p = await sending.prepare(ctx, principal.tenant_id, principal.settings, spec, recipients)
        smart = p.accepted(True)
        wait = sending.take_smart(ctx.limiter, principal.tenant_id, principal.settings, smart) if smart else 0.0
        if wait:
            raise KooError(THROTTLED, "The throttling threshold has been reached: too many smart messages per second", 429, retry_after_header(wait))
        try:
            done = await sending.commit(ctx, principal.settings, p)
            break
        except IntegrityError:  # a random code taken meanwhile (or a custom one): plan again
            if attempt == 2:
                raise
    wake(ctx)
    r = body.resolve_task
    return {
        "task_name": spec.task_name,
        "sms_channel": body.sms_channel.model_dump(),
        "resolve_task": {
            "tpl_id": r.tpl_id, "resolve_times": 1, "aim_code_type": r.aim_code_type, "generation_type": r.generation_type,
            "domain": p.planned.task["domain"], "expiration_time": r.expiration_time,
            "params": [{"cust_flag": x.cust_flag, "custom_short_code": x.custom_short_code, "custom_url": x.custom_url,
                        "dync_params": x.dync_params, "sms_params": x.sms_params} for x in r.params],
        },
        "task_id": done.task_id,
        "task_state": "Success" if done.send_count else "Failed",
        "creation_time": wire_z(done.created_at),
        "submission_count": len(recipients),
        "send_count": done.send_count,
        "resolve_count": 0,
        "support_resolve_count": -1,
        "failed_short_chains": done.failed,
    }


@router.get("/v1/aim/send-tasks", operation_id="list_aim_send_tasks")
async def list_aim_send_tasks(
    request: Request,
    principal: Principal = Depends(tenant_principal),
    task_id: str | None = Query(None, max_length=36),
    task_name: str | None = Query(None, max_length=20),
    tpl_id: str | None = Query(None, max_length=9),
    tpl_name: str | None = Query(None, max_length=100),
    begin_time: str | None = Query(None, max_length=30),
    end_time: str | None = Query(None, max_length=30),
    task_status: Literal["Success", "Fail"] | None = None,
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(20, ge=1, le=100),
) -> dict:
    window = q.window(begin_time, end_time, default_days=7)
    f = q.TaskFilter(task_id or None, task_name or None, tpl_id or None, tpl_name or None, window,
                     {"Success": "Success", "Fail": "Failed"}.get(task_status or ""))
    async with ctx_of(request).db.read() as session:
        rows, total = await q.list_tasks(session, principal.tenant_id, f, offset, limit)
    return {"aim_send_tasks": rows, "page_info": {"offset": offset, "limit": limit, "total": total}}


@router.get("/v1/aim/send-details", operation_id="list_aim_send_details")
async def list_aim_send_details(
    request: Request,
    offset: int = Query(ge=0, le=1_000_000),
    limit: int = Query(ge=1, le=100),
    principal: Principal = Depends(tenant_principal),
    task_id: str | None = Query(None, max_length=36),
    tpl_id: str | None = Query(None, max_length=9),
    sms_sign: str | None = Query(None, max_length=18),
    cust_flag: str | None = Query(None, max_length=64),
    begin_time: str | None = Query(None, max_length=30),
    end_time: str | None = Query(None, max_length=30),
) -> dict:
    window = q.window(begin_time, end_time, default_days=None)
    f = q.DetailFilter(task_id or None, tpl_id or None, sms_sign or None, cust_flag or None, window)
    async with ctx_of(request).db.read() as session:
        rows, total = await q.list_details(session, principal.tenant_id, f, offset, limit)
    return {"send_details": rows, "page_info": {"offset": offset, "limit": limit, "total": total}}


class SendReportsIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    report_type: Literal["1", "2"] = "1"
    tpl_id: str | None = Field(None, max_length=9)
    tpl_name: str | None = Field(None, max_length=100)
    begin_time: str | None = Field(None, max_length=30)
    end_time: str | None = Field(None, max_length=30)
    offset: int = Field(0, ge=0, le=2_147_483_647)
    limit: int = Field(10, ge=1, le=100)


@router.post("/v1/aim/send-reports", operation_id="list_aim_send_reports")
async def list_aim_send_reports(body: SendReportsIn, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    window = q.window(body.begin_time, body.end_time, default_days=7)
    async with ctx_of(request).db.read() as session:
        rows, total = await q.reports(session, principal.tenant_id, monthly=body.report_type == "2", window=window,
                                      tpl_id=body.tpl_id or None, tpl_name=body.tpl_name or None, offset=body.offset, limit=body.limit)
    return {"status": "200", "message": "success", "data": {"data_list": rows, "page_info": {"offset": body.offset, "limit": body.limit, "total": total}}}
