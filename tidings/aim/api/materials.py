"""The smart-message material operations (openapi.json ``/v1/aim/template-materials*``,
``/v1/aim/template-material-thumbnails``) with the SDK's wire names, and the
route that serves a material's bytes to the renderer and the console.
Uploads are judged and stored by :mod:`tidings.aim.materials`.

``list_aim_template_materials`` takes a 1-based page number as ``offset`` (as upstream).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tidings.aim import lifecycle, materials, queries, views
from tidings.aim.codes import MATERIAL_NOT_FOUND
from tidings.aim.requests import DeleteMaterials, PrimaryThumbnail, UploadMaterial
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.api.jsonbody import JsonRoute
from tidings.errors import KooError, invalid, not_found

router = APIRouter(tags=["AIM templates"], route_class=JsonRoute)  # bodies parsed by orjson
ok = views.ok


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
        rows, total = await queries.list_materials(session, principal.tenant_id, resource_type, file_name=file_name, material_id=material_id,
                                                 aim_resource_id=aim_resource_id, offset=(offset - 1) * size, limit=size)
        covers = await queries.thumbnails_of(session, [m.id for m in rows if m.resource_type == "video"])
    base = ctx.settings.base_url
    results = [views.material_view(m, base, next((t for t in covers.get(m.id, []) if t.is_primary), None)) for m in rows]
    return ok({"page_info": {"offset": offset, "limit": size, "total": total}, "results": results})


@router.post("/v1/aim/template-materials/delete", operation_id="delete_template_material")
async def delete_template_material(body: DeleteMaterials, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        await lifecycle.recycle(session, principal.tenant_id, list(dict.fromkeys(body.material_ids)), principal.actor)
    return ok()


@router.post("/v1/aim/template-material-thumbnails", operation_id="set_primary_video_thumbnail")
async def set_primary_video_thumbnail(body: PrimaryThumbnail, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.write() as session:
        await lifecycle.set_primary(session, principal.tenant_id, body.aim_resource_id, body.thumbnail_id, principal.actor)
    return ok()


@router.get("/v1/aim/template-material-thumbnails", operation_id="show_template_video_thumbnail")
async def show_template_video_thumbnail(request: Request, aim_resource_id: str = Query(min_length=1, max_length=36),
                                        principal: Principal = Depends(tenant_principal)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.read() as session:
        video = await queries.own_resource(session, principal.tenant_id, aim_resource_id, "video")
        if video is None:
            raise not_found(MATERIAL_NOT_FOUND, "Video material")
        thumbs = (await queries.thumbnails_of(session, [video.id]))[video.id]
    base = ctx.settings.base_url
    data = [{**views.thumbnail_view(t, base), "domain_id": principal.tenant_id, "obs_bucket_name": "tidings"} for t in thumbs]
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
        row = await queries.servable_material(session, aim_resource_id) if aim_resource_id.isdigit() else None
    if row is None:
        raise KooError("APIGW.0101", "The API does not exist or has not been published in the environment", status=404)
    data = await ctx.storage.get(row.storage_key)
    return Response(data, media_type=row.mime, headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})
