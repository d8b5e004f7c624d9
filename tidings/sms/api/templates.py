"""SMS templates (``/v1/sms/templates``).

A template belongs to one signature and inherits its application; its type
defaults to the signature's and must match it (a notification signature's
number is on the notification channel, a marketing one on the marketing
channel).  ``${n}`` variables must agree with ``variable_attributes``;
marketing content must carry opt-out wording (:mod:`tidings.domain.templates`).
New and updated templates go to review (``flow_status`` ``Reviewing`` ->
``Adopted`` / ``Reject``); only a rejected template may be updated.  Names
are unique per signature.

The list's ``offset`` is a 1-based **page number** (upstream's default is 1,
concepts.md §4): ``offset=1`` is the first page, ``offset=2`` the second;
0 is read as 1.  ``page_info.offset`` echoes the page.

Deviation: openapi.json requires ``variable_attributes`` with at least one
item; Tidings accepts an empty list for content without variables
(``has_variable`` ``No``), which the spec could not otherwise express.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tidings import review
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.domain import templates as rules
from tidings.errors import KooError, invalid
from tidings.sms import codes, lifecycle, queries
from tidings.sms.api.apps import paging, time_window
from tidings.store.models.sms import SIG_REVIEW_NOT_PASS, TPL_REJECT, TPL_REVIEWING, SmsApp, SmsSignature, SmsTemplate
from tidings.store.tenants import audit
from tidings.timeutil import wire_local

router = APIRouter(tags=["sms: templates"])


class VariableAttributes(BaseModel):
    variable_index: int = Field(ge=1, le=rules.MAX_VARIABLES)
    variable_type: Literal["PHONE", "NEWTEXT", "CHARDIGIT", "DATETIME", "MONEY", "TEXT"]
    variable_desc: str | None = Field(default=None, max_length=100)


class MsgTemplateRequest(BaseModel):
    app_id: str | None = Field(default=None, min_length=1, max_length=50)
    signature_id: str = Field(min_length=1, max_length=50)
    template_content: str = Field(min_length=1, max_length=500)
    template_desc: str | None = Field(default=None, min_length=1, max_length=100)
    template_name: str = Field(min_length=1, max_length=30)
    template_type: Literal["PROMOTION_TYPE", "NOTIFY_TYPE"] | None = None
    universal_template: Literal["0", "1"] = "0"
    variable_attributes: list[VariableAttributes] = Field(max_length=rules.MAX_VARIABLES)


class UrgeBody(BaseModel):
    urge_desc: str = Field(default="", max_length=64)


def template_view(tpl: SmsTemplate, app_name: str, has_variable: bool) -> dict:
    return {
        "template_id": tpl.id,
        "template_name": tpl.name,
        "create_time": wire_local(tpl.created_at),
        "template_type": tpl.type,
        "app_id": tpl.app_id,
        "app_name": app_name,
        "signature_id": tpl.signature_id,
        "template_content": tpl.content,
        "template_desc": tpl.description,
        "has_variable": "Yes" if has_variable else "No",
        "flow_status": tpl.flow_status,
        "status": tpl.status,
        "universal_template": tpl.universal,
        "urge_status": tpl.urge_status,
        "urge_time": wire_local(tpl.urge_time) or None,
        "urge_desc": tpl.urge_desc,
        "review_desc": tpl.review_desc,
    }


async def _validated(session, principal: Principal, body: MsgTemplateRequest) -> tuple[SmsSignature, SmsApp, str, list[rules.DeclaredVariable]]:
    if body.universal_template == "1":
        raise invalid("universal_template", "universal templates are not supported (use \"0\")")
    name = body.template_name.strip()
    if not name:
        raise invalid("template_name", "must not be blank")
    sig = await queries.get_signature(session, principal.tenant_id, body.signature_id)
    if sig.status == SIG_REVIEW_NOT_PASS:
        raise KooError(codes.SIGNATURE_STATE, f"signature {sig.id} was rejected; update it before adding templates")
    if body.app_id and body.app_id != sig.app_id:
        raise invalid("app_id", f"must be the application of signature {sig.id} ({sig.app_id}) or omitted")
    app = await queries.get_app(session, principal.tenant_id, sig.app_id)
    queries.require_active(app)
    template_type = body.template_type or sig.type
    if template_type != sig.type:
        raise KooError(codes.TEMPLATE_TYPE, f"Invalid parameter template_type: {template_type} does not match the {sig.type} signature")
    declared = [rules.DeclaredVariable(v.variable_index, v.variable_type, v.variable_desc or "") for v in body.variable_attributes]
    why = rules.check_definition(body.template_content, declared, template_type)
    if why is not None:
        code = codes.TEMPLATE_OPT_OUT if "opt-out" in why else codes.TEMPLATE_DEFINITION
        raise KooError(code, f"Invalid parameter {why}")
    return sig, app, template_type, declared


async def _save(session, tpl: SmsTemplate, declared: list[rules.DeclaredVariable]) -> None:
    await queries.replace_variables(session, tpl.id, [(v.index, v.type, v.desc, rules.MAX_LENGTH[v.type]) for v in declared])


async def _submit(session, tpl: SmsTemplate, actor: str, app_name: str, has_variable: bool, hooks: review.DecisionHooks) -> None:
    await review.submit(session, tenant_id=tpl.tenant_id, object_type=codes.OBJ_TEMPLATE, object_id=tpl.id, actor=actor,
                        title=f"{tpl.name} ({tpl.type})", payload=template_view(tpl, app_name, has_variable), hooks=hooks)


@router.post("/v1/sms/templates")
async def create_aim_msg_template(body: MsgTemplateRequest, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        sig, app, template_type, declared = await _validated(session, principal, body)
        name = body.template_name.strip()
        if await queries.template_name_taken(session, sig.id, name):
            raise KooError(codes.TEMPLATE_NAME_TAKEN, f"Invalid parameter template_name: signature {sig.id} already has a template named {name!r}")
        tpl = SmsTemplate(tenant_id=principal.tenant_id, app_id=sig.app_id, signature_id=sig.id, name=name, content=body.template_content,
                          description=body.template_desc or "", type=template_type, universal=0, flow_status=TPL_REVIEWING)
        session.add(tpl)
        await session.flush()
        await _save(session, tpl, declared)
        await audit(session, actor=principal.actor, action="sms_template.create", object_type=codes.OBJ_TEMPLATE, object_id=tpl.id,
                    tenant_id=principal.tenant_id, detail={"name": name, "content": tpl.content, "type": template_type})
        await _submit(session, tpl, principal.actor, app.name, bool(declared), ctx.review_hooks)
        return {"template_id": tpl.id, "template_name": tpl.name}


@router.get("/v1/sms/templates")
async def list_aim_msg_template(
    request: Request,
    offset: str | None = Query(default=None),
    limit: str | None = Query(default=None),
    app_name: str | None = Query(default=None, max_length=30),
    start_time: str | None = Query(default=None),
    end_time: str | None = Query(default=None),
    flow_status: Literal["Adopted", "Reviewing", "Reject"] | None = Query(default=None),
    template_id: str | None = Query(default=None, max_length=50),
    template_name: str | None = Query(default=None, max_length=30),
    template_type: Literal["PROMOTION_TYPE", "NOTIFY_TYPE"] | None = Query(default=None),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    page, lim = paging(offset, limit, default_offset=1)
    page = max(page, 1)
    window = time_window(start_time, end_time, "start_time", "end_time")
    async with ctx_of(request).db.read() as session:
        rows, total = await queries.list_templates(session, principal.tenant_id, app_name=app_name, flow_status=flow_status,
                                                   template_id=template_id, name=template_name, type_=template_type, window=window,
                                                   offset=(page - 1) * lim, limit=lim)
        with_vars = await queries.templates_with_variables(session, [t.id for t, _ in rows])
    return {
        "result": [template_view(t, n, t.id in with_vars) for t, n in rows],
        "page_info": {"offset": page, "limit": lim, "total": total},
    }


@router.get("/v1/sms/templates/{template_id}")
async def show_aim_msg_template_detail(template_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        tpl = await queries.get_template(session, principal.tenant_id, template_id)
        app = await queries.get_app(session, principal.tenant_id, tpl.app_id)
        return template_view(tpl, app.name, bool(await queries.templates_with_variables(session, [tpl.id])))


@router.get("/v1/sms/templates/{template_id}/variable")
async def show_aim_msg_template_variable(template_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        tpl = await queries.get_template(session, principal.tenant_id, template_id)
        variables = await queries.template_variables(session, tpl.id)
    results = [
        {"id": v.id, "variable_index": v.variable_index, "variable_length": v.variable_length, "variable_type": v.variable_type,
         "variable_desc": v.variable_desc}
        for v in variables
    ]
    return {"results": results, "total": len(results)}


@router.put("/v1/sms/templates/{template_id}")
async def update_aim_msg_template(template_id: str, body: MsgTemplateRequest, request: Request,
                                  principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        tpl = await queries.get_template(session, principal.tenant_id, template_id)
        if tpl.flow_status != TPL_REJECT:
            raise KooError(codes.TEMPLATE_STATE, f"only a rejected template (flow_status Reject) can be updated; this one is {tpl.flow_status}")
        sig, app, template_type, declared = await _validated(session, principal, body)
        name = body.template_name.strip()
        if await queries.template_name_taken(session, sig.id, name, except_id=tpl.id):
            raise KooError(codes.TEMPLATE_NAME_TAKEN, f"Invalid parameter template_name: signature {sig.id} already has a template named {name!r}")
        before = {"signature_id": tpl.signature_id, "name": tpl.name, "content": tpl.content, "description": tpl.description, "type": tpl.type,
                  "variables": [(v.variable_index, v.variable_type, v.variable_desc) for v in await queries.template_variables(session, tpl.id)]}
        tpl.signature_id, tpl.app_id, tpl.name, tpl.content = sig.id, sig.app_id, name, body.template_content
        tpl.description, tpl.type = body.template_desc or "", template_type
        tpl.flow_status, tpl.review_desc = TPL_REVIEWING, ""
        tpl.urge_status, tpl.urge_time, tpl.urge_desc = "NO", None, ""
        await _save(session, tpl, declared)
        after = {"signature_id": tpl.signature_id, "name": tpl.name, "content": tpl.content, "description": tpl.description, "type": tpl.type,
                 "variables": [(v.index, v.type, v.desc) for v in declared]}
        changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        await audit(session, actor=principal.actor, action="sms_template.update", object_type=codes.OBJ_TEMPLATE, object_id=tpl.id,
                    tenant_id=principal.tenant_id, detail={"changes": changes})
        await _submit(session, tpl, principal.actor, app.name, bool(declared), ctx.review_hooks)
        return {"template_id": tpl.id, "template_name": tpl.name}


@router.delete("/v1/sms/templates/{template_id}")
async def delete_aim_msg_template(template_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        tpl = await queries.get_template(session, principal.tenant_id, template_id)
        await review.withdraw(session, codes.OBJ_TEMPLATE, tpl.id, principal.actor)
        await queries.replace_variables(session, tpl.id, [])
        await audit(session, actor=principal.actor, action="sms_template.delete", object_type=codes.OBJ_TEMPLATE, object_id=tpl.id,
                    tenant_id=principal.tenant_id, detail={"name": tpl.name, "flow_status": tpl.flow_status})
        await session.delete(tpl)
    return {}


@router.post("/tidings/v1/sms/templates/{template_id}/urge")
async def urge_template(template_id: str, body: UrgeBody, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    """催审: ask for a faster review of a template under review."""
    async with ctx_of(request).db.write() as session:
        tpl = await queries.get_template(session, principal.tenant_id, template_id)
        refusal = KooError(codes.TEMPLATE_STATE, f"only a template under review can be expedited; this one is {tpl.flow_status}")
        await lifecycle.urge(session, tpl, codes.OBJ_TEMPLATE, under_review=tpl.flow_status == TPL_REVIEWING, refusal=refusal,
                         actor=principal.actor, desc=body.urge_desc)
        return {"template_id": tpl.id, "urge_status": tpl.urge_status, "urge_time": wire_local(tpl.urge_time), "urge_desc": tpl.urge_desc}
