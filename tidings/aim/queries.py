"""The smart-message product's SQL: lookups by tenant (another tenant's
template or material answers exactly like a missing one; public templates are
everyone's to list and use, nobody's to change), the lists, the quota, what
the sweeper and the renderer read, and what the delivery side reads
(:func:`task_template`, :func:`usable_for_tasks`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim.codes import TEMPLATE_NOT_FOUND, TEMPLATE_NOT_USABLE, TEMPLATE_PUBLIC
from tidings.aim.views import MATERIAL_PATH
from tidings.domain.filing import APPROVED as FILING_APPROVED
from tidings.errors import KooError, not_found
from tidings.filing import require_filing
from tidings.store.filters import where_given
from tidings.store.models.aim import (
    AUDIT_APPROVED,
    MAKER_ENABLED,
    AimMaterial,
    AimTemplate,
    AimTemplateMaker,
)
from tidings.store.models.review import Filing


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


# --- what resolve and send tasks read of their template, in one statement ----------------------------
@dataclass(frozen=True, slots=True)
class TaskTemplate:
    """The few columns of a template a resolve or send task needs (not its
    stored request or pages), the makers where it is active and, when asked,
    the state of the tenant's filing for an area."""

    id: str
    tenant_id: str | None
    public: bool
    deleted: bool
    audit_state: int
    tpl_state: int
    params: tuple[str, ...]  # the bare parameter names (``name`` for ``${name}``): the keys of dync_params
    makers: frozenset[str]  # active there (MAKER_ENABLED)
    filing: str | None = None  # None: no filing row (or none asked for)

    def visible_to(self, tenant_id: str) -> bool:
        return self.public or self.tenant_id == tenant_id

    def usable_by(self, tenant_id: str) -> bool:
        """Whether the tenant may start resolve or send tasks with it (and its links still parse): approved, enabled, not deleted, own or public."""
        return not self.deleted and self.visible_to(tenant_id) and self.audit_state == AUDIT_APPROVED and self.tpl_state == 1


def param_names(params: list | None) -> tuple[str, ...]:
    """A template's declared parameters as ``dync_params`` keys."""
    return tuple(p.get("key") or p["name"][2:-1] for p in params or [] if isinstance(p, dict) and p.get("name"))


_T = AimTemplate.__table__.c
_M = AimTemplateMaker.__table__.c


def _task_template_query(filing_area: bool):
    cols: list[Any] = [_T.id, _T.tenant_id, _T.public, _T.deleted_at, _T.audit_state, _T.tpl_state, _T.params, _M.maker, _M.state]
    if filing_area:
        cols.append(select(Filing.state).where(Filing.tenant_id == bindparam("tenant_id"), Filing.area == bindparam("area"))
                    .scalar_subquery().label("filing"))
    joined = AimTemplate.__table__.outerjoin(AimTemplateMaker.__table__, _M.template_id == _T.id)
    return select(*cols).select_from(joined).where(_T.id == bindparam("tpl_id"))


_TASK_TEMPLATE = _task_template_query(False)
_TASK_TEMPLATE_FILING = _task_template_query(True)


async def task_template(session: AsyncSession, tpl_id: str, *, tenant_id: str = "", filing_area: str | None = None) -> TaskTemplate | None:
    """The template with its active makers (and the tenant's filing state for
    ``filing_area``), one statement; None when there is no such template."""
    if filing_area:
        rows = (await session.execute(_TASK_TEMPLATE_FILING, {"tpl_id": tpl_id, "tenant_id": tenant_id, "area": filing_area})).all()
    else:
        rows = (await session.execute(_TASK_TEMPLATE, {"tpl_id": tpl_id})).all()
    if not rows:
        return None
    r = rows[0]
    return TaskTemplate(id=r.id, tenant_id=r.tenant_id, public=bool(r.public), deleted=r.deleted_at is not None, audit_state=r.audit_state,
                        tpl_state=r.tpl_state, params=param_names(r.params), makers=frozenset(x.maker for x in rows if x.state == MAKER_ENABLED),
                        filing=r.filing if filing_area else None)


async def usable_for_tasks(session: AsyncSession, tenant_id: str, tpl_id: str, *, filing_area: str | None = None) -> TaskTemplate:
    """The template a resolve or send task may start with (approved, enabled,
    not deleted; own or public), or the refusal naming why not.  With
    ``filing_area`` the tenant's filing of that area must be approved first
    (checked before the template, as :func:`tidings.filing.require_filing`)."""
    tpl = await task_template(session, tpl_id, tenant_id=tenant_id, filing_area=filing_area)
    if filing_area and (tpl is None or tpl.filing != FILING_APPROVED):
        await require_filing(session, tenant_id, filing_area)  # raises the refusal that names the filing's state
    if tpl is None or not tpl.visible_to(tenant_id) or (tpl.deleted and not tpl.public):
        raise not_found(TEMPLATE_NOT_FOUND, f"Smart-message template {tpl_id}")
    if not tpl.usable_by(tenant_id):
        why = "deleted" if tpl.deleted else ("disabled" if tpl.tpl_state != 1 else "not approved by any maker")
        raise KooError(TEMPLATE_NOT_USABLE, f"Smart-message template {tpl_id} is {why}: it cannot start resolve or send tasks")
    return tpl
