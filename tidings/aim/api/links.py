"""The capability check and the resolve-task operations (openapi.json
``/v1/aim/mobile-capabilities/check``, ``/v1/aim/resolve-*``) with the
SDK's wire names, and the operators' capability registry and link domains
(``/admin/v1/aim/capabilities``, ``/admin/v1/aim/domains``).

Rules live in :mod:`tidings.aim.capability` and :mod:`tidings.aim.links`;
this module validates, calls them and shapes the answers.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim import capability, codes, links, queries
from tidings.api.deps import Principal, ctx_of, operator_principal, tenant_principal
from tidings.errors import EMPTY_PARAMETER, KooError, invalid, not_found
from tidings.store.models.aim import AimDomain
from tidings.timeutil import parse_wire, utcnow, wire_z

router = APIRouter(tags=["AIM resolve"])
admin_router = APIRouter(prefix="/admin/v1/aim", tags=["admin: smart-message delivery"])

SHORT_LINK_FILING = "aim.short_link"


# --- wire models ------------------------------------------------------------------------------------
class CapabilityCheck(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mobiles: list[str] = Field(min_length=1, max_length=100)
    tpl_id: str | None = Field(default=None, max_length=32)
    encryption_alg: Literal["NONE", "SHA1"] = "NONE"


class LinkParam(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cust_flag: str = Field(min_length=1, max_length=64)
    dync_params: dict[str, str] | None = None
    custom_url: str | None = Field(default=None, max_length=256, pattern=r"^https?://([\w-]+\.)+[\w-]+(/[\w\-./?%&=]*)?$")
    custom_short_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{3,10}$")


class CreateResolveTask(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tpl_id: str = Field(min_length=1, max_length=9)
    sms_signs: list[str]
    resolving_times: int = Field(ge=1, le=10_000_000)
    aim_code_type: str
    generation_type: Literal["1", "2"] = "1"
    domain: str | None = Field(default=None, max_length=100, pattern=r"^[a-zA-Z0-9][-a-zA-Z0-9]{0,62}(\.[a-zA-Z0-9][-a-zA-Z0-9]{0,62})+\.?(:\d{1,5})?$")
    expiration_time: int
    params: list[LinkParam]


# --- capability ---------------------------------------------------------------------------------------
async def active_makers(session: AsyncSession, tenant_id: str, tpl_id: str) -> frozenset[str]:
    """The makers where ``tpl_id`` is active; a template the tenant cannot see answers like a missing one."""
    tpl = await queries.task_template(session, tpl_id)
    if tpl is None or tpl.deleted or not tpl.visible_to(tenant_id):
        raise not_found(codes.TEMPLATE_NOT_FOUND, f"Smart-message template {tpl_id}")
    return tpl.makers if tpl.usable_by(tenant_id) else frozenset()


@router.post("/v1/aim/mobile-capabilities/check", operation_id="check_mobile_capability")
async def check_mobile_capability(body: CapabilityCheck, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        active = await active_makers(session, principal.tenant_id, body.tpl_id) if body.tpl_id else None
        checked = await capability.check(session, body.mobiles, body.encryption_alg, active)
    out: dict = {"supported_mobiles": checked.supported, "unsupported_mobiles": checked.unsupported}
    if body.tpl_id:
        out["tpl_id"] = body.tpl_id
    return out


# --- resolve tasks --------------------------------------------------------------------------------------
def _validate(body: CreateResolveTask) -> None:
    if body.aim_code_type not in (links.GROUP, links.INDIVIDUAL):
        raise invalid("aim_code_type", "must be group or individual", codes.CODE_TYPE)
    if not 1 <= len(body.sms_signs) <= 5:
        raise invalid("sms_signs", "must have 1-5 signatures", codes.SIGNS_COUNT)
    for i, sign in enumerate(body.sms_signs):
        if not 1 <= len(sign) <= 18 or sign.startswith("【") or sign.startswith("["):
            raise invalid(f"sms_signs[{i}]", "must be 1-18 characters without brackets")
    if not body.params:
        raise KooError(EMPTY_PARAMETER, "Invalid parameter params: must have at least 1 item")
    if len(body.params) > links.MAX_LINKS:
        raise invalid("params", f"must have at most {links.MAX_LINKS} links per request", codes.TOO_MANY_LINKS)
    if body.aim_code_type == links.GROUP:
        lo, hi = links.GROUP_DAYS
        if len(body.params) != 1:
            raise invalid("params", "a group link task takes exactly 1 item per request", codes.TOO_MANY_LINKS)
        if not links.GROUP_TIMES[0] <= body.resolving_times <= links.GROUP_TIMES[1]:
            raise invalid("resolving_times", f"must be {links.GROUP_TIMES[0]}-{links.GROUP_TIMES[1]:,} for group links")
        if body.params[0].dync_params:
            raise invalid("params[0].dync_params", "dynamic parameters need aim_code_type individual")
    else:
        lo, hi = links.INDIVIDUAL_DAYS
    if not lo <= body.expiration_time <= hi:
        raise invalid("expiration_time", f"must be {lo}-{hi} days for {body.aim_code_type} links")
    if body.generation_type == "2" and not body.domain:
        raise KooError(EMPTY_PARAMETER, "Invalid parameter domain: required when generation_type is 2")


async def _domain(session: AsyncSession, principal: Principal, body: CreateResolveTask, default: str) -> str:
    if body.generation_type == "2":
        name = (body.domain or "").lower().rstrip(".")
        if not await links.domain_registered(session, principal.tenant_id, name, links.CUSTOM):
            raise invalid("domain", f"{name} is not registered for custom short codes", codes.DOMAIN_NOT_REGISTERED)
        return name
    if not body.domain or body.domain.lower() == default.lower():
        return default
    name = body.domain.lower().rstrip(".")
    if not await links.domain_registered(session, principal.tenant_id, name, links.SHORT):
        raise invalid("domain", f"{name} is not a registered short-link domain", codes.DOMAIN_NOT_REGISTERED)
    return name


@router.post("/v1/aim/resolve-tasks", operation_id="create_resolve_task")
async def create_resolve_task(body: CreateResolveTask, request: Request, principal: Principal = Depends(tenant_principal)) -> Response:
    _validate(body)
    ctx = ctx_of(request)
    default = links.default_domain(ctx.settings.base_url, ctx.settings.extra)
    params: list[dict[str, Any]] = [
        {"cust_flag": p.cust_flag, "dync_params": p.dync_params, "custom_url": p.custom_url, "custom_short_code": p.custom_short_code}
        for p in body.params
    ]
    urls = {links.host_of(p["custom_url"]) for p in params if p["custom_url"]}
    wanted = {p["custom_short_code"] for p in params if p["custom_short_code"]}
    for attempt in range(3):
        try:
            # One write transaction of (usually) three statements: the template with its
            # makers and the filing, the task, its links (docs/performance.md).
            async with ctx.db.write() as session:
                tpl = await queries.usable_for_tasks(session, principal.tenant_id, body.tpl_id, filing_area=SHORT_LINK_FILING)
                if tpl.params and body.aim_code_type == links.GROUP:
                    raise invalid("aim_code_type", f"template {tpl.id} has dynamic parameters: use individual links")
                domain = await _domain(session, principal, body, default)
                req = links.Request(tpl_id=tpl.id, sms_signs=body.sms_signs, code_type=body.aim_code_type, generation_type=body.generation_type,
                                    domain=domain, resolving_times=body.resolving_times, days=body.expiration_time, params=params)
                facts = links.Facts(
                    param_names=tpl.params,
                    landing=await links.landing_domains(session, principal.tenant_id, urls),
                    taken=await links.taken_codes(session, domain, wanted),
                )
                planned = links.plan(req, facts, tenant_id=principal.tenant_id, now=utcnow())
                task_id = await links.mint(session, planned)
            break
        except IntegrityError:  # a random code or a custom one taken meanwhile: plan again
            if attempt == 2:
                raise
    return Response(orjson.dumps({
        "task_id": task_id, "tpl_id": req.tpl_id, "sms_signs": req.sms_signs, "resolving_times": planned.task["resolving_times"],
        "resolved_times": 0, "aim_code_type": req.code_type, "domain": domain, "expiration_time": req.days,
        "params": links.link_views(planned.links, principal.tenant_id),
    }), media_type="application/json")


def _window(begin_time: str | None, end_time: str | None):
    """Both or neither; neither = the last 24 hours (as upstream)."""
    try:
        begin, end = parse_wire(begin_time), parse_wire(end_time)
    except ValueError:
        raise invalid("begin_time" if begin_time else "end_time", "must look like 2019-10-12T07:20:50Z") from None
    if begin is None or end is None:
        from datetime import timedelta

        now = utcnow()
        return now - timedelta(days=1), now
    if begin > end:
        raise invalid("begin_time", "must not be after end_time")
    return begin, end


@router.get("/v1/aim/resolve-tasks", operation_id="list_resolve_tasks")
async def list_resolve_tasks(
    request: Request,
    task_id: str | None = Query(default=None, max_length=36),
    task_name: str | None = Query(default=None, max_length=30),
    tpl_id: str | None = Query(default=None, max_length=9, pattern=r"^([0-9]{9})?$"),
    tpl_name: str | None = Query(default=None, max_length=100),
    cust_flag: str | None = Query(default=None, max_length=100),
    aim_url: str | None = Query(default=None, max_length=200),
    begin_time: str | None = Query(default=None, max_length=30),
    end_time: str | None = Query(default=None, max_length=30),
    offset: int = Query(default=0, ge=0, le=1_000_000),
    limit: int = Query(default=20, ge=1, le=100),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    """One row per link (upstream: "contains only one link record; merge by task_id")."""
    begin, end = _window(begin_time, end_time)
    f = links.LinkFilter(task_id=task_id or None, task_name=task_name or None, tpl_id=tpl_id or None, tpl_name=tpl_name or None,
                         cust_flag=cust_flag or None, aim_url=aim_url or None, begin=begin, end=end)
    async with ctx_of(request).db.read() as session:
        rows, total = await links.list_links(session, principal.tenant_id, f, offset, limit)
    tasks = [{
        "task_id": r["task_id"], "task_name": r["task_name"], "tpl_id": r["tpl_id"], "sms_signs": r["sms_signs"],
        "resolving_times": r["task_times"], "resolved_times": r["resolved_times"], "aim_code_type": r["code_type"],
        "domain": r["task_domain"], "expiration_time": r["expiration_days"],
        "params": [links.link_view(r, principal.tenant_id, listing=True)],
    } for r in rows]
    return {"resolve_tasks": tasks, "page_info": {"offset": offset, "limit": limit, "total": total}}


@router.get("/v1/aim/resolve-details", operation_id="list_aim_resolve_details")
async def list_aim_resolve_details(
    request: Request,
    offset: int = Query(ge=0, le=1_000_000),
    limit: int = Query(ge=1, le=100),
    task_id: str | None = Query(default=None, max_length=36),
    task_name: str | None = Query(default=None, max_length=30),
    tpl_id: str | None = Query(default=None, max_length=9),
    tpl_name: str | None = Query(default=None, max_length=100),
    cust_flag: str | None = Query(default=None, max_length=64),
    sms_sign: str | None = Query(default=None, max_length=18),
    aim_url: str | None = Query(default=None, max_length=100),
    resolved_status: Literal["success", "fail", "unresolved"] | None = Query(default=None),
    begin_time: str | None = Query(default=None, max_length=30),
    end_time: str | None = Query(default=None, max_length=30),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    begin, end = _window(begin_time, end_time)
    f = links.LinkFilter(task_id=task_id or None, task_name=task_name or None, tpl_id=tpl_id or None, tpl_name=tpl_name or None,
                         cust_flag=cust_flag or None, aim_url=aim_url or None, sms_sign=sms_sign or None,
                         resolved_status=resolved_status, begin=begin, end=end)
    async with ctx_of(request).db.read() as session:
        rows, total = await links.list_links(session, principal.tenant_id, f, offset, limit)
        names = await links.template_names(session, {r["tpl_id"] for r in rows})
    details = [{
        "resolve_id": r["id"], "task_id": r["task_id"], "task_name": r["task_name"], "send_account": principal.user_name,
        "tpl_id": r["tpl_id"], "tpl_name": names.get(r["tpl_id"], ""), "cust_flag": r["cust_flag"],
        "aim_url": links.aim_url(r["domain"], r["code"]) if r["code"] else "", "result_code": r["result_code"],
        "generate_date": wire_z(r["created_at"]), "expire_date": wire_z(r["expires_at"]),
        "resolved_time": wire_z(r["resolved_at"]) or None,
        "resolved_status": links.resolved_status(r["resolved_times"], r["failed_times"]),
    } for r in rows]
    return {"resolve_details": details, "page_info": {"offset": offset, "limit": limit, "total": total}}


# --- operators: capability registry and link domains ---------------------------------------------------------------
class CapabilityImport(BaseModel):
    csv: str = Field(min_length=1, max_length=50_000_000)


@admin_router.post("/capabilities")
async def import_capabilities(request: Request, body: CapabilityImport, op: Principal = Depends(operator_principal)) -> dict:
    """``{"csv": "..."}``: ``number_or_sha1,maker`` per line, maker ``none`` = incapable
    (the file ``tidings aim capability import`` reads)."""
    try:
        rows = capability.parse_csv(body.csv)
    except capability.CsvError as exc:
        raise invalid("csv", str(exc)) from None
    async with ctx_of(request).db.write() as session:
        n = await capability.import_rows(session, rows, source=f"api:{op.actor}")
    return {"imported": n}


@admin_router.get("/capabilities/{number}")
async def show_capability(number: str, request: Request, encryption_alg: Literal["NONE", "SHA1"] = "NONE",
                          op: Principal = Depends(operator_principal)) -> dict:
    key = capability.key_of(number, encryption_alg)
    if key is None:
        raise invalid("number", "neither a mainland mobile number nor a SHA1 hex digest")
    async with ctx_of(request).db.read() as session:
        imported = await capability.imported_makers(session, [key])
    maker = capability.maker_of(key, imported)
    return {"key": key, "maker": maker, "capable": maker is not None, "source": "import" if key in imported else "sandbox rule"}


class DomainIn(BaseModel):
    name: str = Field(min_length=3, max_length=100, pattern=r"^[a-zA-Z0-9][-a-zA-Z0-9.]*[a-zA-Z0-9](:\d{1,5})?$")
    kind: Literal["short", "custom", "landing"]
    tenant_id: str | None = Field(default=None, max_length=36)


def _domain_view(d: AimDomain) -> dict:
    return {"id": d.id, "name": d.name, "kind": d.kind, "tenant_id": d.tenant_id, "created_at": wire_z(d.created_at)}


@admin_router.post("/domains")
async def add_domain(request: Request, body: DomainIn, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        existing = (await session.execute(select(AimDomain).where(AimDomain.name == body.name.lower(), AimDomain.kind == body.kind))).scalar_one_or_none()
        if existing is not None:
            return _domain_view(existing)
        row = AimDomain(name=body.name.lower(), kind=body.kind, tenant_id=body.tenant_id)
        session.add(row)
        await session.flush()
        return _domain_view(row)


@admin_router.get("/domains")
async def list_domains(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        rows = (await session.execute(select(AimDomain).order_by(AimDomain.name, AimDomain.kind))).scalars().all()
    return {"domains": [_domain_view(d) for d in rows]}


@admin_router.delete("/domains/{domain_id}")
async def remove_domain(domain_id: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        await session.execute(delete(AimDomain).where(AimDomain.id == domain_id))
    return {"deleted": domain_id}


# --- template reports ----------------------------------------------------------------------------------
class TemplateReports(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tpl_ids: list[str] = Field(min_length=1, max_length=100)
    begin_time: str = Field(min_length=1, max_length=30)
    end_time: str = Field(min_length=1, max_length=30)
    offset: int = Field(default=0, ge=0, le=2_147_483_647)
    limit: int = Field(default=10, ge=1, le=100)
    factory_type: list[Literal["huawei", "vivo", "oppo", "xiaomi", "meizu", "samsung"]] | None = None


@router.post("/v1/aim/template-reports/query", operation_id="list_aim_template_reports", tags=["AIM templates"])
async def list_aim_template_reports(body: TemplateReports, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    """Rows per template and day (summed over the chosen makers), computed at query time."""
    from datetime import timedelta

    from tidings.aim import events

    try:
        begin, end = parse_wire(body.begin_time), parse_wire(body.end_time)
    except ValueError:
        raise invalid("begin_time", "must look like 2019-10-12T07:20:50.522Z") from None
    assert begin is not None and end is not None
    if begin > end:
        raise invalid("begin_time", "must not be after end_time")
    if end - begin > timedelta(days=events.MAX_DAYS):
        raise invalid("end_time", f"must be at most {events.MAX_DAYS} days after begin_time")
    makers = [m.upper() for m in body.factory_type] if body.factory_type else None
    async with ctx_of(request).db.read() as session:
        rows = await events.report(session, principal.tenant_id, list(dict.fromkeys(body.tpl_ids)), begin, end, makers)
    page = rows[body.offset:body.offset + body.limit]
    return {"template_reports": [events.row_view(r) for r in page], "page_info": {"offset": body.offset, "limit": body.limit, "total": len(rows)}}


# --- a real handset gateway resolves a link ------------------------------------------------------------------
class GatewayResolve(BaseModel):
    aim_url: str = Field(min_length=3, max_length=200, description="the link as the SMS carried it (domain/s/code, with or without scheme)")
    mobile: str = Field(min_length=1, max_length=40, description="the handset's number (any spelling of check_mobile_capability)")
    sms_sign: str = Field(min_length=1, max_length=64, description="the signature of the SMS that carried the link")
    message_id: str = Field(min_length=1, max_length=64, description="the carrying SMS's id on the handset: the same message resolves once")
    maker: Literal["HUAWEI", "XIAOMI", "OPPO", "VIVO", "MEIZU", "SAMSUNG"] | None = Field(
        default=None, description="the handset's maker when the gateway knows it; else the capability registry's")
    width: int = Field(default=360, ge=200, le=720)


@admin_router.post("/resolves")
async def gateway_resolve(request: Request, body: GatewayResolve, op: Principal = Depends(operator_principal)) -> dict:
    """A handset gateway (operator credentials) resolves a link to draw the card:
    the same rules, records, receipt and meter event as the virtual phone
    (tidings/aim/parse.py).  Answers the outcome and, on success, the card's HTML."""
    from tidings.aim import cardpage, parse

    parsed = links.parse_url(body.aim_url)
    if parsed is None:
        raise invalid("aim_url", "must look like domain/s/code")
    number = capability.national_cn(body.mobile)
    async with ctx_of(request).db.write() as session:
        link = await parse.kept_link(session, parsed[1], parsed[0])
        if link is None:
            return {"status": parse.NOT_FOUND, "describe": parse.DESCRIBE[parse.NOT_FOUND]}
        maker = body.maker or (await capability.handset_maker(session, body.mobile) if number else None)
        handset = parse.Handset(number=("86" + number) if number else body.mobile, maker=maker, sms_sign=body.sms_sign, source=body.message_id)
        outcome = await parse.parse(session, link, handset)
        card = (await cardpage.draw(session, link, body.width))[1] if outcome.ok else None
    out: dict = {"status": outcome.status, "describe": outcome.describe, "repeated": outcome.repeated, "tpl_id": link.tpl_id,
                 "aim_code": link.code, "cust_flag": link.cust_flag}
    if card is not None:
        out["card_html"] = str(card)
    return out
