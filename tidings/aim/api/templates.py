"""The smart-message template operations (openapi.json ``/v1/aim/templates``,
``/v1/aim/template-state``, ``/v1/aim/template``) with the SDK's wire names.
Validation lives in :mod:`tidings.aim.rules`, changes in
:mod:`tidings.aim.lifecycle`, reads in :mod:`tidings.aim.queries`.

``list_aim_templates`` takes a 0-based record ``offset``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.exc import IntegrityError

from tidings.aim import lifecycle, pages, queries, rules, views
from tidings.aim.layouts import MAKERS
from tidings.aim.requests import CreateTemplate, TemplateState
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.api.jsonbody import JsonRoute
from tidings.errors import KooError, invalid
from tidings.timeutil import parse_wire

router = APIRouter(tags=["AIM templates"], route_class=JsonRoute)  # bodies parsed by orjson
ok = views.ok


@router.post("/v1/aim/templates", operation_id="create_aim_personal_template")
async def create_aim_personal_template(body: CreateTemplate, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    try:
        checked = rules.check_create(body)
    except rules.Refusal as refusal:
        raise KooError(refusal.code, refusal.message) from None
    stored_pages = pages.to_json(body)
    raw = body.model_dump(exclude_none=True)
    raw["factorys"] = [{"factory_type": m, "state": s} for m, s in checked.factory_states.items()]
    ctx = ctx_of(request)
    for attempt in range(3):
        try:
            async with ctx.db.write() as session:
                tpl_id = await lifecycle.create_template(session, tenant_id=principal.tenant_id, actor=principal.actor, request=raw,
                                                         checked=checked, pages=stored_pages,
                                                         auto_approve=bool(principal.settings.get("auto_approve")), hooks=ctx.review_hooks)
            return ok({"tpl_id": tpl_id})
        except IntegrityError:  # the random tpl_id was taken (about 1 in 10^8 per existing template): draw again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _bool(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(name, "must be true or false")


def _makers(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            maker = part.strip().upper()
            if not maker:
                continue
            if maker not in MAKERS:
                raise invalid("factory_type", f"must be one of {', '.join(MAKERS)} (any case)")
            out.append(maker)
    if len(out) > len(MAKERS):
        raise invalid("factory_type", f"must have at most {len(MAKERS)} items")
    return tuple(dict.fromkeys(out))


@router.get("/v1/aim/templates", operation_id="list_aim_templates")
async def list_aim_templates(
    request: Request,
    tpl_id: str | None = Query(default=None, max_length=36),
    tpl_name: str | None = Query(default=None, max_length=100),
    tpl_type: str | None = Query(default=None),
    factory_type: list[str] = Query(default=[]),
    has_param: str | None = Query(default=None),
    begin_time: str | None = Query(default=None, max_length=30),
    end_time: str | None = Query(default=None, max_length=30),
    is_only_status: str | None = Query(default=None),
    offset: int = Query(default=0, ge=0, le=1_000_000),
    limit: int = Query(default=20, ge=1, le=100),
    audit_state: int | None = Query(default=None, ge=0, le=3),
    tpl_state: int | None = Query(default=None, ge=0, le=1),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    """``audit_state`` and ``tpl_state`` are Tidings' extra filters (the SDK does not send them)."""
    if tpl_type not in (None, "", "public", "private"):
        raise invalid("tpl_type", "must be public or private")
    if bool(begin_time) != bool(end_time):
        raise invalid("begin_time", "begin_time and end_time must both be given or both omitted")
    try:
        begin, end = parse_wire(begin_time), parse_wire(end_time)
    except ValueError:
        raise invalid("begin_time", "must look like 2019-10-12T07:20:50Z") from None
    if begin and end and begin > end:
        raise invalid("begin_time", "must not be after end_time")
    only_status = bool(_bool("is_only_status", is_only_status))
    filters = queries.TemplateFilter(tpl_id=tpl_id or None, tpl_name=tpl_name or None, tpl_type=tpl_type or None, makers=_makers(factory_type),
                                   has_param=_bool("has_param", has_param), begin=begin, end=end, audit_state=audit_state, tpl_state=tpl_state)
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        rows, total = await queries.list_templates(session, principal.tenant_id, filters, offset, limit)
        makers = await queries.makers_of(session, [t.id for t in rows])
    base = ctx.settings.base_url
    return {"templates": [views.template_view(t, makers[t.id], base, ctx.box, only_status=only_status) for t in rows],
            "page_info": {"offset": offset, "limit": limit, "total": total}}


@router.put("/v1/aim/template-state/{tpl_id}", operation_id="update_personal_template_state")
async def update_personal_template_state(tpl_id: str, body: TemplateState, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        tpl = await queries.own_template(session, principal.tenant_id, tpl_id)
        await lifecycle.set_state(session, tpl, body.tpl_state, body.disable_desc or "", principal.actor)
    return ok()


@router.delete("/v1/aim/template/{tpl_id}", operation_id="delete_aim_personal_template")
async def delete_aim_personal_template(tpl_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        tpl = await queries.own_template(session, principal.tenant_id, tpl_id)
        await lifecycle.delete_template(session, tpl, principal.actor)
    return ok()
