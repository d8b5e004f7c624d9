"""Smart-message templates and materials in the database: create, list,
state, delete, the review per maker with its status callback, and the
material library with its quota and recycle bin.

Every lookup takes the caller's ``tenant_id``: another tenant's template or
material answers exactly like a missing one.  Public templates (``public``,
no tenant) are listed to everyone and usable by everyone, never changed by a
tenant.

Review (docs/smart-messages.md): one review item per template with the rule
``any`` and one party per chosen maker.  The decision hook runs in the
decision's transaction and writes the template-status callback to the outbox
there: at the first approval (``audit_state`` 2), when every maker rejected
(3, with ``audit_desc``), and on each later per-maker change.  Nothing is
pushed while the template is only under review, nor for the tenant's own
enable/disable.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import review
from tidings.aim.layouts import MAKER_WIRE
from tidings.aim.rules import Checked, MaterialFacts, check_material
from tidings.callbacks.outbox import enqueue_aim_template_status
from tidings.errors import KooError, not_found
from tidings.security import SecretBox
from tidings.store.filters import where_given
from tidings.store.models.aim import (
    AUDIT_APPROVED,
    AUDIT_REJECTED,
    AUDIT_REVIEWING,
    MAKER_DISABLED,
    MAKER_ENABLED,
    MAKER_PENDING,
    AimMaterial,
    AimTemplate,
    AimTemplateMaker,
)
from tidings.store.tenants import audit
from tidings.timeutil import utcnow, wire_z

OBJ_TEMPLATE = "aim_template"
TEMPLATE_NOT_FOUND = "KM.80040007"
TEMPLATE_PUBLIC = "KM.80040008"
PREVIEW_PATH = "/aim/preview/{tpl_id}"
PREVIEW_PURPOSE = "aim-preview"


def preview_token(box: SecretBox, tpl_id: str) -> str:
    """The preview link's token (tidings/aim/preview.py): a MAC of the id."""
    return box.token(PREVIEW_PURPOSE, tpl_id)


def preview_url(base_url: str, box: SecretBox, tpl_id: str) -> str:
    return base_url.rstrip("/") + PREVIEW_PATH.format(tpl_id=tpl_id) + "?token=" + preview_token(box, tpl_id)


def new_tpl_id() -> str:
    """A random 9-digit ``tpl_id`` (upstream's shape, e.g. 600000001).  Not
    checked first: the primary key refuses the rare collision and the caller
    retries (one statement less per create)."""
    return str(10**8 + secrets.randbelow(9 * 10**8))


# --- materials referenced by a template ------------------------------------------------------
async def check_references(session: AsyncSession, tenant_id: str, checked: Checked) -> None:
    """Each ``src_type 1`` reference names a live material of this tenant of the
    right kind, rate and (for VIVO) size; marks them used now."""
    if not checked.materials:
        return
    ids = {r.resource_id for r in checked.materials}
    rows = {
        m.aim_resource_id: m
        for m in (await session.execute(select(AimMaterial).where(AimMaterial.tenant_id == tenant_id, AimMaterial.aim_resource_id.in_(ids)))).scalars()
    }
    for ref in checked.materials:
        m = rows.get(ref.resource_id)
        facts = MaterialFacts(m.resource_type, m.image_rate, m.width, m.height, m.deleted_at is not None) if m else None
        refusal = check_material(ref, facts)
        if refusal is not None:
            raise KooError(refusal.code, refusal.message)
    now = utcnow()
    await session.execute(update(AimMaterial).where(AimMaterial.tenant_id == tenant_id, AimMaterial.aim_resource_id.in_(ids)).values(last_used_at=now))


# --- templates ---------------------------------------------------------------------------------
async def create_template(session: AsyncSession, *, tenant_id: str, actor: str, request: dict, checked: Checked, pages: str,
                          auto_approve: bool | None = None, hooks: review.DecisionHooks) -> AimTemplate:
    """Store a checked template and open its review (``auto_approve``: the
    tenant's setting when the caller knows it, else read here)."""
    await check_references(session, tenant_id, checked)
    tpl = AimTemplate(
        id=new_tpl_id(), tenant_id=tenant_id, public=False, name=request["tpl_name"], card_id=checked.layout.card_id,
        use_id=request["use_id"], sub_type=request.get("sub_type"), scene=request.get("scene") or "",
        sms_example=request.get("sms_example") or "", sms_signs=list(request.get("sms_signs") or []),
        sms_template=request.get("sms_template") or "", request=request, pages=pages,
        params=[{"name": p["name"], "key": p["name"][2:-1], "example": p["example"]} for p in request.get("params") or []],
        tpl_state=1, audit_state=AUDIT_REVIEWING,
    )
    session.add(tpl)
    for maker, state in checked.factory_states.items():
        session.add(AimTemplateMaker(template_id=tpl.id, maker=maker, submitted=state == 1, state=MAKER_PENDING if state == 1 else MAKER_DISABLED))
    await audit(session, actor=actor, action="aim_template.create", object_type=OBJ_TEMPLATE, object_id=tpl.id, tenant_id=tenant_id,
                detail={"name": tpl.name, "card_id": tpl.card_id, "makers": list(checked.makers)})
    await review.submit(session, tenant_id=tenant_id, object_type=OBJ_TEMPLATE, object_id=tpl.id, actor=actor, rule=review.ANY,
                        parties=list(checked.makers), title=f"{tpl.name} ({tpl.card_id})",
                        payload={"tpl_id": tpl.id, "tpl_name": tpl.name, "card_id": tpl.card_id, "preview_path": PREVIEW_PATH.format(tpl_id=tpl.id),
                                 "params": tpl.params, "sms_example": tpl.sms_example}, auto_approve=auto_approve, hooks=hooks)
    return tpl


async def own_template(session: AsyncSession, tenant_id: str, tpl_id: str) -> AimTemplate:
    """The tenant's live template, or the refusal for a public one, or not-found."""
    tpl = await session.get(AimTemplate, tpl_id)
    if tpl is not None and tpl.public and tpl.deleted_at is None:
        raise KooError(TEMPLATE_PUBLIC, f"template {tpl_id} is a public template: it cannot be changed or deleted by a tenant")
    if tpl is None or tpl.tenant_id != tenant_id or tpl.deleted_at is not None:
        raise not_found(TEMPLATE_NOT_FOUND, "Smart-message template")
    return tpl


async def makers_of(session: AsyncSession, template_ids: list[str]) -> dict[str, list[AimTemplateMaker]]:
    out: dict[str, list[AimTemplateMaker]] = {t: [] for t in template_ids}
    if template_ids:
        rows = (await session.execute(select(AimTemplateMaker).where(AimTemplateMaker.template_id.in_(template_ids))
                                      .order_by(AimTemplateMaker.template_id, AimTemplateMaker.maker))).scalars()
        for row in rows:
            out[row.template_id].append(row)
    return out


@dataclass(frozen=True, slots=True)
class TemplateFilter:
    tpl_id: str | None = None
    tpl_name: str | None = None
    tpl_type: str | None = None  # public | private | None (both)
    makers: tuple[str, ...] = ()
    has_param: bool | None = None
    begin: datetime | None = None
    end: datetime | None = None
    audit_state: int | None = None
    tpl_state: int | None = None


async def list_templates(session: AsyncSession, tenant_id: str, f: TemplateFilter, offset: int, limit: int) -> tuple[list[AimTemplate], int]:
    own = AimTemplate.tenant_id == tenant_id
    public = AimTemplate.public.is_(True)
    scope = own if f.tpl_type == "private" else public if f.tpl_type == "public" else or_(own, public)
    stmt = where_given(select(AimTemplate).where(scope, AimTemplate.deleted_at.is_(None)), (AimTemplate.id, f.tpl_id), (AimTemplate.name, f.tpl_name),
                       (AimTemplate.audit_state, f.audit_state), (AimTemplate.tpl_state, f.tpl_state))
    if f.makers:
        enabled = select(AimTemplateMaker.template_id).where(AimTemplateMaker.maker.in_(f.makers), AimTemplateMaker.submitted.is_(True))
        stmt = stmt.where(AimTemplate.id.in_(enabled))
    if f.begin is not None and f.end is not None:
        stmt = stmt.where(AimTemplate.created_at.between(f.begin, f.end))
    if f.has_param is not None:  # json_array_length exists on SQLite and PostgreSQL alike
        count = func.coalesce(func.json_array_length(AimTemplate.params), 0)
        stmt = stmt.where(count > 0 if f.has_param else count == 0)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(AimTemplate.created_at.desc(), AimTemplate.id).offset(offset).limit(limit))).scalars().all()
    return list(rows), total


async def set_state(session: AsyncSession, tpl: AimTemplate, state: int, desc: str, actor: str) -> None:
    before = tpl.tpl_state
    tpl.tpl_state = state
    if state == 0:
        tpl.disable_desc, tpl.disable_time = desc or "disabled by the tenant", utcnow()
    else:
        tpl.disable_desc, tpl.disable_time = "", None
    await audit(session, actor=actor, action="aim_template.state", object_type=OBJ_TEMPLATE, object_id=tpl.id, tenant_id=tpl.tenant_id,
                detail={"from": before, "to": state, "disable_desc": tpl.disable_desc})


async def delete_template(session: AsyncSession, tpl: AimTemplate, actor: str) -> None:
    """Soft delete: links already made keep rendering; nothing new starts."""
    tpl.deleted_at = utcnow()
    tpl.tpl_state = 0
    await review.withdraw(session, OBJ_TEMPLATE, tpl.id, actor)
    await audit(session, actor=actor, action="aim_template.delete", object_type=OBJ_TEMPLATE, object_id=tpl.id, tenant_id=tpl.tenant_id,
                detail={"name": tpl.name, "audit_state": tpl.audit_state})


async def usable_template(session: AsyncSession, tenant_id: str, tpl_id: str) -> tuple[AimTemplate, list[str]] | None:
    """For resolve and send tasks (the delivery side): the template and the
    makers that activated it, when the tenant may start tasks with it:
    approved, enabled, not deleted, its own or public.  None otherwise."""
    tpl = await session.get(AimTemplate, tpl_id)
    if tpl is None or tpl.deleted_at is not None or not (tpl.public or tpl.tenant_id == tenant_id):
        return None
    if tpl.audit_state != AUDIT_APPROVED or tpl.tpl_state != 1:
        return None
    makers = [m.maker for m in (await makers_of(session, [tpl.id]))[tpl.id] if m.state == MAKER_ENABLED]
    return tpl, makers


def factory_info(makers: list[AimTemplateMaker]) -> list[dict[str, Any]]:
    return [{"factory_type": MAKER_WIRE[m.maker], "state": m.state, "version": m.version} for m in makers]


def status_payload(tpl: AimTemplate, makers: list[AimTemplateMaker]) -> dict[str, Any]:
    """The template-status callback (callbacks.md §4)."""
    out: dict[str, Any] = {"tpl_id": tpl.id, "tpl_state": tpl.tpl_state, "audit_state": tpl.audit_state}
    if tpl.audit_desc:
        out["audit_desc"] = tpl.audit_desc
    out["factory_info"] = [{"factory_type": MAKER_WIRE[m.maker], "state": m.state} for m in makers if m.submitted]
    return out


async def on_decision(session: AsyncSession, event: review.Decision) -> None:
    """A maker's decision on a template (review hook, tidings/aim/product.py)."""
    tpl = await session.get(AimTemplate, event.item.object_id)
    if tpl is None or tpl.deleted_at is not None:
        return
    maker = await session.get(AimTemplateMaker, (tpl.id, event.party))
    if maker is None:
        return
    maker.state = MAKER_ENABLED if event.decision == review.APPROVED else MAKER_DISABLED
    maker.reason = event.reason[:500]
    makers = (await makers_of(session, [tpl.id]))[tpl.id]
    push = tpl.audit_state == AUDIT_APPROVED  # a later per-maker change of an approved template
    if event.state == review.APPROVED and tpl.audit_state != AUDIT_APPROVED:
        tpl.audit_state, tpl.audit_desc = AUDIT_APPROVED, event.reason[:500] or "approved"
        push = True
    elif event.state == review.REJECTED:
        tpl.audit_state = AUDIT_REJECTED
        tpl.audit_desc = "; ".join(f"{m.maker}: {m.reason}" for m in makers if m.submitted)[:500]
        push = True
    await session.flush()
    if push and tpl.tenant_id:
        await enqueue_aim_template_status(session, tpl.tenant_id, status_payload(tpl, makers))



# --- materials ---------------------------------------------------------------------------------
async def quota_used(session: AsyncSession, tenant_id: str) -> int:
    """Bytes a tenant's materials take, the recycle bin included."""
    used = (await session.execute(select(func.coalesce(func.sum(AimMaterial.size), 0)).where(AimMaterial.tenant_id == tenant_id))).scalar_one()
    return int(used)


async def own_material(session: AsyncSession, tenant_id: str, material_id: str, *, resource_type: str | None = None) -> AimMaterial | None:
    stmt = select(AimMaterial).where(AimMaterial.id == material_id, AimMaterial.tenant_id == tenant_id, AimMaterial.deleted_at.is_(None))
    if resource_type:
        stmt = stmt.where(AimMaterial.resource_type == resource_type)
    return (await session.execute(stmt)).scalar_one_or_none()


async def own_resource(session: AsyncSession, tenant_id: str, aim_resource_id: str, resource_type: str) -> AimMaterial | None:
    stmt = select(AimMaterial).where(AimMaterial.aim_resource_id == aim_resource_id, AimMaterial.tenant_id == tenant_id,
                                     AimMaterial.resource_type == resource_type, AimMaterial.deleted_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_materials(session: AsyncSession, tenant_id: str, resource_type: str, *, file_name: str | None, material_id: str | None,
                         aim_resource_id: str | None, offset: int, limit: int) -> tuple[list[AimMaterial], int]:
    stmt = where_given(
        select(AimMaterial).where(AimMaterial.tenant_id == tenant_id, AimMaterial.resource_type == resource_type, AimMaterial.deleted_at.is_(None)),
        (AimMaterial.file_name, file_name or None), (AimMaterial.id, material_id or None), (AimMaterial.aim_resource_id, aim_resource_id or None),
    )
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(AimMaterial.created_at.desc(), AimMaterial.id).offset(offset).limit(limit))).scalars().all()
    return list(rows), total


async def thumbnails_of(session: AsyncSession, video_ids: list[str]) -> dict[str, list[AimMaterial]]:
    out: dict[str, list[AimMaterial]] = {v: [] for v in video_ids}
    if video_ids:
        rows = (await session.execute(select(AimMaterial).where(AimMaterial.video_id.in_(video_ids), AimMaterial.resource_type == "thumbnail",
                                                                AimMaterial.deleted_at.is_(None)).order_by(AimMaterial.created_at))).scalars()
        for row in rows:
            out[row.video_id or ""].append(row)
    return out


MATERIAL_IN_USE = "KM.80020020"


def referenced_ids(request: dict) -> set[str]:
    """The material ids (src_type 1) a stored create request references."""
    out: set[str] = set()
    for page in request.get("pages") or []:
        for item in page.get("contents") or []:
            if item.get("src_type") == 1:
                out.update(v for k in ("src", "cover", "oppo_background", "vivo_background") if (v := item.get(k)))
    return out


async def live_references(session: AsyncSession, tenant_ids: set[str]) -> dict[str, str]:
    """``aim_resource_id`` -> a live (not deleted) template of these tenants using it."""
    rows = await session.execute(select(AimTemplate.id, AimTemplate.request).where(AimTemplate.tenant_id.in_(tenant_ids), AimTemplate.deleted_at.is_(None)))
    return {rid: tpl_id for tpl_id, request in rows for rid in referenced_ids(request or {})}


async def recycle(session: AsyncSession, tenant_id: str, material_ids: list[str], actor: str) -> list[str]:
    """Move materials (and a video's covers) to the recycle bin; they still
    count.  Refused, for all of them, while a live template uses one: its
    card would lose the picture."""
    rows = list((await session.execute(select(AimMaterial).where(AimMaterial.tenant_id == tenant_id, AimMaterial.id.in_(material_ids),
                                                                 AimMaterial.deleted_at.is_(None)))).scalars())
    found = {m.id for m in rows}
    missing = [m for m in material_ids if m not in found]
    if missing:
        raise not_found("KM.80020016", f"Material {missing[0]}")
    videos = [m.id for m in rows if m.resource_type == "video"]
    live_covers = select(AimMaterial).where(AimMaterial.video_id.in_(videos), AimMaterial.deleted_at.is_(None))
    covers = list((await session.execute(live_covers)).scalars()) if videos else []
    used = await live_references(session, {tenant_id})
    for m in rows + covers:
        if m.aim_resource_id in used:
            raise KooError(MATERIAL_IN_USE, f"Invalid parameter material_ids: material {m.id} ({m.aim_resource_id}) is used by template "
                                            f"{used[m.aim_resource_id]}; delete that template first")
    now = utcnow()
    for m in rows + covers:
        m.deleted_at = now
    await audit(session, actor=actor, action="aim_material.recycle", object_type="aim_material", object_id=",".join(material_ids)[:64],
                tenant_id=tenant_id, detail={"material_ids": material_ids, "covers": [c.id for c in covers]})
    return material_ids


async def set_primary(session: AsyncSession, tenant_id: str, aim_resource_id: str, thumbnail_id: str, actor: str) -> None:
    video = await own_resource(session, tenant_id, aim_resource_id, "video")
    if video is None:
        raise not_found("KM.80020016", "Video material")
    thumbs = (await thumbnails_of(session, [video.id]))[video.id]
    chosen = next((t for t in thumbs if t.id == thumbnail_id), None)
    if chosen is None:
        raise not_found("KM.80020016", f"Thumbnail {thumbnail_id} of this video")
    for t in thumbs:
        t.is_primary = t.id == chosen.id
    await audit(session, actor=actor, action="aim_material.primary_thumbnail", object_type="aim_material", object_id=video.id,
                tenant_id=tenant_id, detail={"thumbnail_id": thumbnail_id})


async def idle_materials(session: AsyncSession, now: datetime, idle_days: int, limit: int = 500) -> list[AimMaterial]:
    """Materials to purge: not used for ``idle_days``, in the recycle bin or not
    (so what a tenant deletes stays in the bin, counted, until it is that old)."""
    cutoff = now - timedelta(days=idle_days)
    stmt = select(AimMaterial).where(AimMaterial.last_used_at < cutoff).order_by(AimMaterial.last_used_at).limit(limit)
    return list((await session.execute(stmt)).scalars())


def material_view(m: AimMaterial, base_url: str, thumbnail: AimMaterial | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id, "created_at": m.created_at.strftime("%Y-%m-%d %H:%M:%S.0"), "resource_type": m.resource_type, "file_name": m.file_name,
        "aim_resource_id": m.aim_resource_id, "obs_object_key": m.storage_key.rsplit("/", 1)[-1],
        "obs_file_url": material_url(base_url, m), "image_rate": m.image_rate, "description": m.description or None,
    }
    if m.resource_type == "video":
        out["thumbnail"] = thumbnail_view(thumbnail, base_url) if thumbnail else None
    else:
        out["thumbnail"] = None
    return out


def thumbnail_view(t: AimMaterial, base_url: str) -> dict[str, Any]:
    return {"id": t.id, "created_at": t.created_at.strftime("%Y-%m-%d %H:%M:%S.0"), "is_primary": int(t.is_primary), "resource_type": "image",
            "file_name": t.file_name, "aim_resource_id": t.aim_resource_id, "obs_object_key": t.storage_key.rsplit("/", 1)[-1],
            "obs_file_url": material_url(base_url, t), "image_rate": t.image_rate, "is_auto_gen": int(t.is_auto_gen),
            "description": t.description or None, "size": t.size}


MATERIAL_PATH = "/aim/materials/{aim_resource_id}"


def material_url(base_url: str, m: AimMaterial) -> str:
    """Where the console and the renderer fetch a material (served only to them)."""
    return base_url.rstrip("/") + MATERIAL_PATH.format(aim_resource_id=m.aim_resource_id)


async def material_paths(session: AsyncSession, tenant_id: str | None, resource_ids: set[str]) -> dict[str, str]:
    """``aim_resource_id`` -> the path that serves it, for the tenant's live
    materials among ``resource_ids`` (the renderer's resolver for ``srcType`` 1)."""
    if not resource_ids or tenant_id is None:
        return {}
    rows = await session.execute(select(AimMaterial.aim_resource_id).where(
        AimMaterial.tenant_id == tenant_id, AimMaterial.aim_resource_id.in_(resource_ids), AimMaterial.deleted_at.is_(None)))
    return {rid: MATERIAL_PATH.format(aim_resource_id=rid) for rid in rows.scalars()}


async def servable_material(session: AsyncSession, aim_resource_id: str) -> AimMaterial | None:
    stmt = select(AimMaterial).where(AimMaterial.aim_resource_id == aim_resource_id, AimMaterial.deleted_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


def template_view(tpl: AimTemplate, makers: list[AimTemplateMaker], base_url: str, box: SecretBox, *, only_status: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tpl_id": tpl.id, "tpl_name": tpl.name, "scene": tpl.scene, "tpl_state": tpl.tpl_state, "disable_desc": tpl.disable_desc,
        "disable_time": wire_z(tpl.disable_time) or "1970-01-01T00:00:00Z", "audit_state": tpl.audit_state, "audit_desc": tpl.audit_desc,
        "description": tpl.sms_example, "creation_time": wire_z(tpl.created_at), "update_time": wire_z(tpl.updated_at),
        "factory_info": factory_info(makers),
        "match_type": tpl.match_type, "card_id": tpl.card_id, "sub_type": tpl.sub_type, "preview_url": preview_url(base_url, box, tpl.id),
    }
    if not only_status:
        out["pages"] = tpl.pages
        out["params"] = [{"type": "string", "name": p["key"], "has_length": True, "fix_length": 0, "length_restrict": True,
                          "min_length": 1, "max_length": 100} for p in tpl.params]
    return out
