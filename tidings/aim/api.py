"""The smart-message template operations (openapi.json ``/v1/aim/template*``),
with the SDK's wire names.  Validation lives in :mod:`tidings.aim.rules`,
storage in :mod:`tidings.aim.store` and :mod:`tidings.aim.materials`.

Paging: ``list_aim_templates`` takes a 0-based record ``offset``;
``list_aim_template_materials`` a 1-based page number (as upstream).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from tidings.aim import materials, pages, rules, store
from tidings.aim.layouts import MAKERS
from tidings.aim.requests import (
    CreateTemplate,
    DeleteMaterials,
    PrimaryThumbnail,
    TemplateState,
    UploadMaterial,
)
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.errors import KooError, invalid, not_found
from tidings.timeutil import parse_wire

router = APIRouter(tags=["AIM templates"])


def ok(data: object = None, message: str = "success") -> dict:
    return {"status": "200", "message": message, "data": data}


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
                tpl = await store.create_template(session, tenant_id=principal.tenant_id, actor=principal.actor, request=raw, checked=checked,
                                                  pages=stored_pages, auto_approve=bool(principal.settings.get("auto_approve")), hooks=ctx.review_hooks)
            return ok({"tpl_id": tpl.id})
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
    filters = store.TemplateFilter(tpl_id=tpl_id or None, tpl_name=tpl_name or None, tpl_type=tpl_type or None, makers=_makers(factory_type),
                                   has_param=_bool("has_param", has_param), begin=begin, end=end, audit_state=audit_state, tpl_state=tpl_state)
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        rows, total = await store.list_templates(session, principal.tenant_id, filters, offset, limit)
        makers = await store.makers_of(session, [t.id for t in rows])
    base = ctx.settings.base_url
    return {"templates": [store.template_view(t, makers[t.id], base, ctx.box, only_status=only_status) for t in rows],
            "page_info": {"offset": offset, "limit": limit, "total": total}}


@router.put("/v1/aim/template-state/{tpl_id}", operation_id="update_personal_template_state")
async def update_personal_template_state(tpl_id: str, body: TemplateState, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        tpl = await store.own_template(session, principal.tenant_id, tpl_id)
        await store.set_state(session, tpl, body.tpl_state, body.disable_desc or "", principal.actor)
    return ok()


@router.delete("/v1/aim/template/{tpl_id}", operation_id="delete_aim_personal_template")
async def delete_aim_personal_template(tpl_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        tpl = await store.own_template(session, principal.tenant_id, tpl_id)
        await store.delete_template(session, tpl, principal.actor)
    return ok()


@router.post("/v1/aim/template-materials", operation_id="upload_aim_template_material")
async def upload_aim_template_material(body: UploadMaterial, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    row, warning = await materials.save(ctx_of(request), tenant_id=principal.tenant_id, tenant_settings=principal.settings,
                                        actor=principal.actor, body=body)
    return ok({"material_id": row.id, "aim_resource_id": row.aim_resource_id}, "success" + (f"; warning: {warning}" if warning else ""))


@router.get("/v1/aim/template-materials", operation_id="list_aim_template_materials")
async def list_aim_template_materials(
    request: Request,
    resource_type: str = Query(max_length=16),
    offset: int = Query(ge=1, le=1000),
    limit: int = Query(ge=1, le=1000),
    file_name: str | None = Query(default=None, max_length=100),
    material_id: str | None = Query(default=None, max_length=36),
    aim_resource_id: str | None = Query(default=None, max_length=64),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    if resource_type not in ("image", "video"):
        raise invalid("resource_type", "must be image or video")
    size = min(limit, 100)  # results hold at most 100 (openapi.json PageInfo.results)
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        rows, total = await store.list_materials(session, principal.tenant_id, resource_type, file_name=file_name, material_id=material_id,
                                                 aim_resource_id=aim_resource_id, offset=(offset - 1) * size, limit=size)
        covers = await store.thumbnails_of(session, [m.id for m in rows if m.resource_type == "video"])
    base = ctx.settings.base_url
    results = [store.material_view(m, base, next((t for t in covers.get(m.id, []) if t.is_primary), None)) for m in rows]
    return ok({"page_info": {"offset": offset, "limit": size, "total": total}, "results": results})


@router.post("/v1/aim/template-materials/delete", operation_id="delete_template_material")
async def delete_template_material(body: DeleteMaterials, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        await store.recycle(session, principal.tenant_id, list(dict.fromkeys(body.material_ids)), principal.actor)
    return ok()


@router.post("/v1/aim/template-material-thumbnails", operation_id="set_primary_video_thumbnail")
async def set_primary_video_thumbnail(body: PrimaryThumbnail, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        await store.set_primary(session, principal.tenant_id, body.aim_resource_id, body.thumbnail_id, principal.actor)
    return ok()


@router.get("/v1/aim/template-material-thumbnails", operation_id="show_template_video_thumbnail")
async def show_template_video_thumbnail(request: Request, aim_resource_id: str = Query(min_length=1, max_length=36),
                                        principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        video = await store.own_resource(session, principal.tenant_id, aim_resource_id, "video")
        if video is None:
            raise not_found(materials.MATERIAL_NOT_FOUND, "Video material")
        thumbs = (await store.thumbnails_of(session, [video.id]))[video.id]
    base = ctx.settings.base_url
    data = [{**store.thumbnail_view(t, base), "domain_id": principal.tenant_id, "obs_bucket_name": "tidings"} for t in thumbs]
    for item in data:
        item.pop("resource_type", None)
    return ok(data)


@router.get("/aim/materials/{aim_resource_id}", include_in_schema=False)
async def material_bytes(aim_resource_id: str, request: Request) -> Response:
    """A material's bytes for the card renderer and the console: by its
    unguessable ``aim_resource_id`` only (cards show to recipients who hold no
    keys), never listed; recycled materials are gone."""
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        row = await store.servable_material(session, aim_resource_id) if aim_resource_id.isdigit() else None
    if row is None:
        raise KooError("APIGW.0101", "The API does not exist or has not been published in the environment", status=404)
    data = await ctx.storage.get(row.storage_key)
    return Response(data, media_type=row.mime, headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})
