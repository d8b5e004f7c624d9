"""The smart-message product's SQL: lookups by tenant (another tenant's
template or material answers exactly like a missing one; public templates are
everyone's to list and use, nobody's to change), the lists, the quota, what
the sweeper and the renderer read, and what the delivery side reads
(:func:`usable_template`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim.codes import TEMPLATE_NOT_FOUND, TEMPLATE_PUBLIC
from tidings.aim.views import MATERIAL_PATH
from tidings.errors import KooError, not_found
from tidings.store.filters import where_given
from tidings.store.models.aim import (
    AUDIT_APPROVED,
    MAKER_ENABLED,
    AimMaterial,
    AimTemplate,
    AimTemplateMaker,
)


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


async def idle_materials(session: AsyncSession, now: datetime, idle_days: int, limit: int = 500) -> list[AimMaterial]:
    """Materials to purge: not used for ``idle_days``, in the recycle bin or not
    (so what a tenant deletes stays in the bin, counted, until it is that old)."""
    cutoff = now - timedelta(days=idle_days)
    stmt = select(AimMaterial).where(AimMaterial.last_used_at < cutoff).order_by(AimMaterial.last_used_at).limit(limit)
    return list((await session.execute(stmt)).scalars())


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
