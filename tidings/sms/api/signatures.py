"""SMS signatures (``/v1/sms/signatures``) and their qualification files
(``/v1/sms/signatures/files``).

A new signature goes to review (``PENDING_REVIEW``); approval moves it to
``PROCESSING`` and, once a channel number is assigned from the operator's pool,
to ``REVIEW_PASSED``.  Only a rejected signature (``REVIEW_NOT_PASS``) may be
updated; the update sends it back to review and the audit trail records the
fields that changed (the SDK's body has no change reason).  Deleting a
signature deletes its templates and frees its number in one transaction.

Decisions (docs/sms-configuration.md): the name is 2-16 characters as
openapi.json says (errors.md's 1-18 is older); (name, type) is unique per
tenant; ``source_title_content`` is required for sources 1-4 and
``power_attorney_file_id`` when ``is_involved_third`` is ``yes``.
Expedite (催审) is Tidings' own ``POST /tidings/v1/sms/signatures/{id}/urge``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tidings import review, storage
from tidings.api.deps import Principal, accepts_unsigned_payload, ctx_of, tenant_principal
from tidings.api.openapi import UPLOAD_BODY
from tidings.api.uploads import read_upload
from tidings.errors import KooError, invalid
from tidings.sms import codes, lifecycle, queries
from tidings.sms.api.apps import paging, time_window
from tidings.storage import save_document
from tidings.store.models.sms import SIG_PENDING_REVIEW, SIG_REVIEW_NOT_PASS, SmsApp, SmsSignature
from tidings.store.tenants import audit
from tidings.timeutil import wire_local

router = APIRouter(tags=["sms: signatures"])

SIGNATURE_STATUSES = ("PENDING_REVIEW", "PROCESSING", "REVIEW_PASSED", "REVIEW_NOT_PASS", "TO_BE_ACTIVATED", "PENDING_ACTIVATE")
SOURCE_EVIDENCE = {1: "the website domain", 2: "the app download URL", 3: "the official-account or mini-program name", 4: "the shop URL"}


class SignatureRequest(BaseModel):
    signature_name: str
    signature_type: Literal["PROMOTION_TYPE", "NOTIFY_TYPE"]
    app_id: str = Field(min_length=1, max_length=50)
    apply_desc: str | None = Field(default=None, max_length=80)
    file_id: str = Field(min_length=1, max_length=50)
    signature_source: Literal[0, 1, 2, 3, 4, 5]
    is_involved_third: Literal["yes", "no"]
    power_attorney_file_id: str | None = Field(default=None, min_length=1, max_length=50)
    source_title_content: str | None = Field(default=None, min_length=1, max_length=180)


class UrgeBody(BaseModel):
    urge_desc: str = Field(default="", max_length=64)


def signature_view(sig: SmsSignature, app_name: str) -> dict:
    return {
        "signature_name": sig.name,
        "signature_id": sig.id,
        "signature_type": sig.type,
        "app_name": app_name,
        "app_id": sig.app_id,
        "apply_desc": sig.apply_desc,
        "channel_num": sig.channel_num,
        "file_id": sig.file_id,
        "status": sig.status,
        "signature_source": sig.signature_source,
        "is_involved_third": sig.is_involved_third,
        "power_attorney_file_id": sig.power_attorney_file_id,
        "urge_status": sig.urge_status,
        "urge_time": wire_local(sig.urge_time) or None,
        "urge_desc": sig.urge_desc,
        "review_desc": sig.review_desc,
        "source_title_content": sig.source_title_content,
        "create_time": wire_local(sig.created_at),
    }


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise KooError(codes.SIGNATURE_EMPTY, "Invalid parameter signature_name: SMS signature is empty")
    if not 2 <= len(name) <= 16:
        raise KooError(codes.SIGNATURE_NAME_LENGTH, f"Invalid parameter signature_name: must be 2-16 characters (got {len(name)})")
    if any(ch in name for ch in "【】[]"):
        raise invalid("signature_name", "must not contain brackets 【】: they are added when the message is sent")
    return name


async def _validated(session, principal: Principal, body: SignatureRequest) -> tuple[str, SmsApp]:
    name = _check_name(body.signature_name)
    if body.signature_source in SOURCE_EVIDENCE and not (body.source_title_content or "").strip():
        raise KooError("KM.90016414", f"source_title_content is required for signature_source {body.signature_source}: "
                                      f"give {SOURCE_EVIDENCE[body.signature_source]}")
    if body.is_involved_third == "yes" and not body.power_attorney_file_id:
        raise KooError("KM.90016414", "power_attorney_file_id is required when is_involved_third is yes")
    app = await queries.get_app(session, principal.tenant_id, body.app_id)
    queries.require_active(app)
    await storage.get_file(session, principal.tenant_id, body.file_id, "file_id")
    if body.power_attorney_file_id:
        await storage.get_file(session, principal.tenant_id, body.power_attorney_file_id, "power_attorney_file_id")
    return name, app


def _fields(body: SignatureRequest, name: str) -> dict:
    return {
        "name": name,
        "type": body.signature_type,
        "app_id": body.app_id,
        "apply_desc": body.apply_desc or "",
        "file_id": body.file_id,
        "power_attorney_file_id": body.power_attorney_file_id if body.is_involved_third == "yes" else None,
        "signature_source": body.signature_source,
        "is_involved_third": body.is_involved_third,
        "source_title_content": body.source_title_content,
    }


async def _submit(session, sig: SmsSignature, actor: str, app_name: str, hooks: review.DecisionHooks) -> None:
    await review.submit(session, tenant_id=sig.tenant_id, object_type=codes.OBJ_SIGNATURE, object_id=sig.id, actor=actor,
                        title=f"【{sig.name}】 {sig.type} ({app_name})", payload=signature_view(sig, app_name), hooks=hooks)


# --- files -------------------------------------------------------------------------
@router.post("/v1/sms/signatures/files", openapi_extra=UPLOAD_BODY)
@accepts_unsigned_payload
async def upload_aim_msg_signature_file(request: Request, file_desc: str = Query(default="", max_length=255),
                                        principal: Principal = Depends(tenant_principal)) -> dict:
    name, data = await read_upload(request)
    row = await save_document(ctx_of(request), tenant_id=principal.tenant_id, purpose="sms_signature", file_name=name, data=data,
                              desc=file_desc, actor=principal.actor)
    return {"file_id": row.id}


@router.get("/v1/sms/signatures/files")
async def show_aim_msg_signature_file_info(
    request: Request,
    file_id: str = Query(min_length=1, max_length=50),
    offset: str | None = Query(default=None),
    limit: str | None = Query(default=None),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    async with ctx_of(request).db.read() as session:
        row = await storage.get_file(session, principal.tenant_id, file_id)
    return {"file_id": row.id, "file_name": row.file_name}


# --- signatures ----------------------------------------------------------------------
@router.post("/v1/sms/signatures")
async def add_aim_msg_signature(body: SignatureRequest, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        name, app = await _validated(session, principal, body)
        if await queries.signature_name_taken(session, principal.tenant_id, name, body.signature_type):
            raise KooError(codes.SIGNATURE_NAME_TAKEN, f"Invalid parameter signature_name: a {body.signature_type} signature named {name!r} already exists")
        sig = SmsSignature(tenant_id=principal.tenant_id, status=SIG_PENDING_REVIEW, **_fields(body, name))
        session.add(sig)
        await session.flush()
        await audit(session, actor=principal.actor, action="sms_signature.create", object_type=codes.OBJ_SIGNATURE, object_id=sig.id,
                    tenant_id=principal.tenant_id, detail=_fields(body, name))
        await _submit(session, sig, principal.actor, app.name, ctx.review_hooks)
        return {"signature_id": sig.id, "signature_name": sig.name}


@router.get("/v1/sms/signatures")
async def list_aim_msg_signature(
    request: Request,
    app_name: str | None = Query(default=None, max_length=30),
    signature_id: str | None = Query(default=None, max_length=50),
    signature_name: str | None = Query(default=None, max_length=30),
    signature_type: Literal["PROMOTION_TYPE", "NOTIFY_TYPE"] | None = Query(default=None),
    begin_time: str | None = Query(default=None),
    end_time: str | None = Query(default=None),
    status: Literal[SIGNATURE_STATUSES] | None = Query(default=None),  # type: ignore[valid-type]  # a Literal built from the one status tuple (FastAPI validates it; mypy cannot)
    limit: str | None = Query(default=None),
    offset: str | None = Query(default=None),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    off, lim = paging(offset, limit)
    window = time_window(begin_time, end_time, "begin_time", "end_time")
    async with ctx_of(request).db.read() as session:
        rows, total = await queries.list_signatures(session, principal.tenant_id, app_name=app_name, signature_id=signature_id,
                                                    name=signature_name, type_=signature_type, status=status, window=window,
                                                    offset=off, limit=lim)
    return {"result": [signature_view(s, n) for s, n in rows], "page_info": {"offset": off, "limit": lim, "total": total}}


@router.get("/v1/sms/signatures/{signature_id}")
async def list_aim_msg_signature_detail(signature_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        sig = await queries.get_signature(session, principal.tenant_id, signature_id)
        app = await queries.get_app(session, principal.tenant_id, sig.app_id)
        return signature_view(sig, app.name)


@router.put("/v1/sms/signatures/{signature_id}")
async def update_aim_msg_signature(signature_id: str, body: SignatureRequest, request: Request,
                                   principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        sig = await queries.get_signature(session, principal.tenant_id, signature_id)
        if sig.status != SIG_REVIEW_NOT_PASS:
            raise KooError(codes.SIGNATURE_STATE, f"only a rejected signature (REVIEW_NOT_PASS) can be updated; this one is {sig.status}")
        name, app = await _validated(session, principal, body)
        if await queries.signature_name_taken(session, principal.tenant_id, name, body.signature_type, except_id=sig.id):
            raise KooError(codes.SIGNATURE_NAME_TAKEN, f"Invalid parameter signature_name: a {body.signature_type} signature named {name!r} already exists")
        new = _fields(body, name)
        changes = {k: {"from": getattr(sig, k), "to": v} for k, v in new.items() if getattr(sig, k) != v}
        for k, v in new.items():
            setattr(sig, k, v)
        sig.status = SIG_PENDING_REVIEW
        sig.review_desc = ""
        sig.urge_status, sig.urge_time, sig.urge_desc = "NO", None, ""
        await session.flush()
        await audit(session, actor=principal.actor, action="sms_signature.update", object_type=codes.OBJ_SIGNATURE, object_id=sig.id,
                    tenant_id=principal.tenant_id, detail={"changes": changes})
        await _submit(session, sig, principal.actor, app.name, ctx.review_hooks)
        return {"signature_id": sig.id, "signature_name": sig.name}


@router.delete("/v1/sms/signatures/{signature_id}")
async def delete_aim_msg_signature(signature_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    if not 1 <= len(signature_id) <= 50:
        raise invalid("signature_id", "must be 1-50 characters")
    async with ctx_of(request).db.write() as session:
        sig = await queries.get_signature(session, principal.tenant_id, signature_id)
        await lifecycle.delete_signature(session, sig, principal.actor)
    return {}


@router.post("/tidings/v1/sms/signatures/{signature_id}/urge")
async def urge_signature(signature_id: str, body: UrgeBody, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    """催审: ask for a faster review of a pending signature."""
    async with ctx_of(request).db.write() as session:
        sig = await queries.get_signature(session, principal.tenant_id, signature_id)
        refusal = KooError(codes.SIGNATURE_STATE, f"only a signature pending review can be expedited; this one is {sig.status}")
        await lifecycle.urge(session, sig, codes.OBJ_SIGNATURE, under_review=sig.status == SIG_PENDING_REVIEW, refusal=refusal,
                         actor=principal.actor, desc=body.urge_desc)
        return {"signature_id": sig.id, "urge_status": sig.urge_status, "urge_time": wire_local(sig.urge_time), "urge_desc": sig.urge_desc}
