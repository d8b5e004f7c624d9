"""Public templates in the database: installing the shipped library, and the
operator's add, update, retire and restore (admin API and ``tidings aim public``).

A public template is an ``aim_templates`` row with ``public`` set and no
tenant, approved (``audit_state`` 2) and enabled at each of its makers, so
every tenant lists it and may use it like an approved template of its own
(:meth:`tidings.aim.queries.TaskTemplate.usable_by`); a tenant's state change or delete
is refused (:func:`tidings.aim.queries.own_template`).  Retiring is the soft
delete: lists and new tasks no longer see it, cards behind links already made
keep rendering.

The shipped library is installed at start-up, once per ``tpl_id``: a row the
operator changed or retired is left as it is (``restore`` brings the shipped
version back).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from tidings.aim import codes, lifecycle
from tidings.aim.public import LibraryError, PublicTemplate, check, library
from tidings.aim.requests import CreateTemplate
from tidings.context import AppContext
from tidings.errors import INVALID_PARAMETER, KooError, not_found
from tidings.store.models.aim import AUDIT_APPROVED, MAKER_DISABLED, MAKER_ENABLED, AimTemplate, AimTemplateMaker
from tidings.store.tenants import audit
from tidings.timeutil import utcnow

log = logging.getLogger("tidings.aim.public")

OBJ = "aim_public_template"


def _missing(tpl_id: str) -> KooError:
    return not_found(codes.TEMPLATE_NOT_FOUND, f"Public template {tpl_id}")


def _fields(req: CreateTemplate, body: dict[str, Any], pages: str) -> dict[str, Any]:
    return {
        "name": req.tpl_name, "card_id": req.card_id, "use_id": req.use_id, "sub_type": req.sub_type, "scene": req.scene or "",
        "sms_example": req.sms_example or "", "sms_signs": list(req.sms_signs or []), "sms_template": req.sms_template or "",
        "request": body, "pages": pages,
        "params": [{"name": p.name, "key": p.name[2:-1], "example": p.example} for p in req.params or []],
        "tpl_state": 1, "disable_desc": "", "disable_time": None, "audit_state": AUDIT_APPROVED, "audit_desc": "public template",
        "deleted_at": None,
    }  # fmt: skip


async def _write(session, tpl_id: str, req: CreateTemplate, body: dict[str, Any], pages: str) -> AimTemplate:
    row = await session.get(AimTemplate, tpl_id)
    if row is not None and not row.public:
        raise _missing(tpl_id)  # a tenant's template id is no public template
    if row is None:
        row = AimTemplate(id=tpl_id, tenant_id=None, public=True, **_fields(req, body, pages))
        session.add(row)
    else:
        for key, value in _fields(req, body, pages).items():
            setattr(row, key, value)
    await session.flush()
    chosen = {f.factory_type.upper() for f in req.factorys or [] if f.state == 1}
    await session.execute(delete(AimTemplateMaker).where(AimTemplateMaker.template_id == tpl_id))
    for factory in req.factorys or []:
        maker = factory.factory_type.upper()
        session.add(AimTemplateMaker(template_id=tpl_id, maker=maker, submitted=maker in chosen,
                                     state=MAKER_ENABLED if maker in chosen else MAKER_DISABLED))  # fmt: skip
    await session.flush()
    return row


async def install_library(ctx: AppContext) -> list[str]:
    """Insert the shipped public templates that have no row yet (idempotent;
    several processes starting at once are fine).  Returns the ids inserted."""
    async with ctx.db.read() as session:
        present = set((await session.execute(select(AimTemplate.id).where(AimTemplate.id.in_(list(library()))))).scalars())
    added = []
    for tpl in library().values():
        if tpl.tpl_id in present:
            continue
        try:
            async with ctx.db.write() as session:
                await _write(session, tpl.tpl_id, tpl.request, tpl.body, tpl.pages)
                await audit(session, actor="system", action="aim_public.install", object_type=OBJ, object_id=tpl.tpl_id,
                            detail={"scenario": tpl.scenario})  # fmt: skip
            added.append(tpl.tpl_id)
        except IntegrityError:  # another process installed it first
            continue
    if added:
        log.info("installed %d public templates: %s", len(added), ", ".join(added))
    return added


def _checked(body: dict[str, Any]) -> tuple[CreateTemplate, str]:
    try:
        return check(body)
    except LibraryError as exc:
        raise KooError(INVALID_PARAMETER, str(exc)) from None


async def add(ctx: AppContext, body: dict[str, Any], *, actor: str) -> AimTemplate:
    req, pages = _checked(body)
    async with ctx.db.write() as session:
        tpl_id = lifecycle.new_tpl_id()
        while await session.get(AimTemplate, tpl_id) is not None:  # rare: an operator's add, checked first
            tpl_id = lifecycle.new_tpl_id()
        row = await _write(session, tpl_id, req, body, pages)
        await audit(session, actor=actor, action="aim_public.add", object_type=OBJ, object_id=row.id, detail={"name": row.name})
        return row


async def update(ctx: AppContext, tpl_id: str, body: dict[str, Any], *, actor: str) -> AimTemplate:
    req, pages = _checked(body)
    async with ctx.db.write() as session:
        row = await session.get(AimTemplate, tpl_id)
        if row is None or not row.public:
            raise _missing(tpl_id)
        row = await _write(session, tpl_id, req, body, pages)
        await audit(session, actor=actor, action="aim_public.update", object_type=OBJ, object_id=tpl_id, detail={"name": row.name})
        return row


async def retire(ctx: AppContext, tpl_id: str, *, actor: str) -> AimTemplate:
    async with ctx.db.write() as session:
        row = await session.get(AimTemplate, tpl_id)
        if row is None or not row.public:
            raise _missing(tpl_id)
        if row.deleted_at is None:
            row.deleted_at = utcnow()
            row.tpl_state = 0
            row.disable_desc, row.disable_time = "retired by the operator", row.deleted_at
        await audit(session, actor=actor, action="aim_public.retire", object_type=OBJ, object_id=tpl_id, detail={"name": row.name})
        return row


async def restore(ctx: AppContext, tpl_id: str, *, actor: str) -> AimTemplate:
    """Bring a public template back: the shipped version for a library id,
    the last stored version (un-retired) for one an operator added."""
    shipped: PublicTemplate | None = library().get(tpl_id)
    async with ctx.db.write() as session:
        row = await session.get(AimTemplate, tpl_id)
        if shipped is not None:
            row = await _write(session, tpl_id, shipped.request, shipped.body, shipped.pages)
        elif row is None or not row.public:
            raise _missing(tpl_id)
        else:
            req, pages = _checked(row.request)
            row = await _write(session, tpl_id, req, row.request, pages)
        await audit(session, actor=actor, action="aim_public.restore", object_type=OBJ, object_id=tpl_id, detail={"shipped": shipped is not None})
        return row


async def list_public(ctx: AppContext, *, retired: bool = False) -> list[AimTemplate]:
    async with ctx.db.read() as session:
        stmt = select(AimTemplate).where(AimTemplate.public.is_(True))
        if not retired:
            stmt = stmt.where(AimTemplate.deleted_at.is_(None))
        return list((await session.execute(stmt.order_by(AimTemplate.id))).scalars())


def view(row: AimTemplate, preview: str) -> dict[str, Any]:
    shipped = library().get(row.id)
    return {
        "tpl_id": row.id, "tpl_name": row.name, "card_id": row.card_id, "scenario": shipped.scenario if shipped else "",
        "shipped": shipped is not None, "retired": row.deleted_at is not None,
        "updated_at": row.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if row.updated_at else None,
        "preview_url": preview, "request": row.request,
    }  # fmt: skip
