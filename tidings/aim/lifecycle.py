"""How smart-message templates and materials change: create (with its
review per maker), enable/disable, soft delete, the review-decision hook with
the template-status callback, the recycle bin and the primary video cover.

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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import review
from tidings.aim.codes import MATERIAL_IN_USE, MATERIAL_NOT_FOUND, OBJ_TEMPLATE
from tidings.aim.layouts import MAKER_WIRE
from tidings.aim.queries import live_references, makers_of, own_resource, thumbnails_of
from tidings.aim.rules import Checked, MaterialFacts, check_material
from tidings.aim.views import PREVIEW_PATH
from tidings.callbacks.outbox import enqueue_aim_template_status
from tidings.errors import KooError, not_found
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
from tidings.store.models.core import AuditEvent
from tidings.store.tenants import audit, audit_row
from tidings.timeutil import utcnow


def new_tpl_id() -> str:
    """A random 9-digit ``tpl_id`` (upstream's shape, e.g. 600000001).  Not
    checked first: the primary key refuses the rare collision and the caller
    retries (one statement less per create)."""
    return str(10**8 + secrets.randbelow(9 * 10**8))


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


async def create_template(session: AsyncSession, *, tenant_id: str, actor: str, request: dict, checked: Checked, pages: str,
                          auto_approve: bool | None = None, hooks: review.DecisionHooks) -> str:
    """Store a checked template and open its review (``auto_approve``: the
    tenant's setting when the caller knows it, else read here); its ``tpl_id``.

    The template, its makers, its review item and first decision and the two
    audit events are new rows written as one INSERT per table
    (:func:`review.submit_new`): 5 statements and no ORM flush, where the
    unit of work took 8 with a lookup (docs/performance.md)."""
    await check_references(session, tenant_id, checked)
    now = utcnow()
    tpl_id = new_tpl_id()
    name, card_id = request["tpl_name"], checked.layout.card_id
    params = [{"name": p["name"], "key": p["name"][2:-1], "example": p["example"]} for p in request.get("params") or []]
    sms_example = request.get("sms_example") or ""
    template = {"id": tpl_id, "tenant_id": tenant_id, "public": False, "name": name, "card_id": card_id, "use_id": request["use_id"],
                "sub_type": request.get("sub_type"), "scene": request.get("scene") or "", "sms_example": sms_example,
                "sms_signs": list(request.get("sms_signs") or []), "sms_template": request.get("sms_template") or "", "request": request,
                "pages": pages, "params": params, "tpl_state": 1, "audit_state": AUDIT_REVIEWING, "created_at": now, "updated_at": now}
    makers = [{"template_id": tpl_id, "maker": maker, "submitted": state == 1, "state": MAKER_PENDING if state == 1 else MAKER_DISABLED,
               "updated_at": now} for maker, state in checked.factory_states.items()]
    event = audit_row(actor=actor, action="aim_template.create", object_type=OBJ_TEMPLATE, object_id=tpl_id, tenant_id=tenant_id,
                      detail={"name": name, "card_id": card_id, "makers": list(checked.makers)}, at=now)
    await review.submit_new(session, tenant_id=tenant_id, object_type=OBJ_TEMPLATE, object_id=tpl_id, actor=actor, rule=review.ANY,
                            parties=list(checked.makers), title=f"{name} ({card_id})",
                            payload={"tpl_id": tpl_id, "tpl_name": name, "card_id": card_id, "preview_path": PREVIEW_PATH.format(tpl_id=tpl_id),
                                     "params": params, "sms_example": sms_example},
                            auto_approve=auto_approve, hooks=hooks,
                            rows=[(AimTemplate.__table__, [template]), (AimTemplateMaker.__table__, makers), (AuditEvent.__table__, [event])])
    return tpl_id


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


async def recycle(session: AsyncSession, tenant_id: str, material_ids: list[str], actor: str) -> list[str]:
    """Move materials (and a video's covers) to the recycle bin; they still
    count.  Refused, for all of them, while a live template uses one: its
    card would lose the picture."""
    rows = list((await session.execute(select(AimMaterial).where(AimMaterial.tenant_id == tenant_id, AimMaterial.id.in_(material_ids),
                                                                 AimMaterial.deleted_at.is_(None)))).scalars())
    found = {m.id for m in rows}
    missing = [m for m in material_ids if m not in found]
    if missing:
        raise not_found(MATERIAL_NOT_FOUND, f"Material {missing[0]}")
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
        raise not_found(MATERIAL_NOT_FOUND, "Video material")
    thumbs = (await thumbnails_of(session, [video.id]))[video.id]
    chosen = next((t for t in thumbs if t.id == thumbnail_id), None)
    if chosen is None:
        raise not_found(MATERIAL_NOT_FOUND, f"Thumbnail {thumbnail_id} of this video")
    for t in thumbs:
        t.is_primary = t.id == chosen.id
    await audit(session, actor=actor, action="aim_material.primary_thumbnail", object_type="aim_material", object_id=video.id,
                tenant_id=tenant_id, detail={"thumbnail_id": thumbnail_id})
