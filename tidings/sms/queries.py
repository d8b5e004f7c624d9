"""Lookups of the SMS product: applications, signatures, templates and what
the sending pipeline and the uplink router read (contracts C1, C2).

Every lookup takes the caller's ``tenant_id``: another tenant's object is
answered exactly like a missing one (``not_found`` with the operation's code).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.domain.templates import SendTemplate, TemplateVariable
from tidings.errors import KooError, not_found
from tidings.sms.codes import APP_NOT_FOUND, APP_SUSPENDED_CODE, SIGNATURE_NOT_FOUND, TEMPLATE_NOT_FOUND
from tidings.store.filters import count_and_page, where_given
from tidings.store.models.sms import (
    APP_SUSPENDED,
    SIG_REVIEW_PASSED,
    TPL_ADOPTED,
    SmsApp,
    SmsSignature,
    SmsTemplate,
    SmsTemplateVariable,
)
from tidings.store.tenants import owned

# A creation-time filter: (from, to), both ends included.
Window = tuple[datetime, datetime]


# --- applications ----------------------------------------------------------------
async def get_app(session: AsyncSession, tenant_id: str, app_id: str) -> SmsApp:
    app = await owned(session, SmsApp, tenant_id, app_id)
    if app is None:
        raise not_found(APP_NOT_FOUND, "SMS application")
    return app


def require_active(app: SmsApp) -> None:
    """A suspended application refuses every change made under it (and sends)."""
    if app.status == APP_SUSPENDED:
        why = f": {app.suspend_reason}" if app.suspend_reason else ""
        raise KooError(APP_SUSPENDED_CODE, f"SMS application {app.id} is suspended by operations{why}")


async def app_name_taken(session: AsyncSession, tenant_id: str, name: str, except_id: str | None = None) -> bool:
    stmt = select(SmsApp.id).where(SmsApp.tenant_id == tenant_id, SmsApp.name == name)
    if except_id:
        stmt = stmt.where(SmsApp.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


# --- signatures ------------------------------------------------------------------
async def get_signature(session: AsyncSession, tenant_id: str, signature_id: str) -> SmsSignature:
    sig = await owned(session, SmsSignature, tenant_id, signature_id)
    if sig is None:
        raise not_found(SIGNATURE_NOT_FOUND, "SMS signature")
    return sig


async def signature_name_taken(session: AsyncSession, tenant_id: str, name: str, type_: str, except_id: str | None = None) -> bool:
    stmt = select(SmsSignature.id).where(SmsSignature.tenant_id == tenant_id, SmsSignature.name == name, SmsSignature.type == type_)
    if except_id:
        stmt = stmt.where(SmsSignature.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


# --- templates -----------------------------------------------------------------------
async def get_template(session: AsyncSession, tenant_id: str, template_id: str) -> SmsTemplate:
    tpl = await owned(session, SmsTemplate, tenant_id, template_id)
    if tpl is None:
        raise not_found(TEMPLATE_NOT_FOUND, "Template ID")
    return tpl


async def template_variables(session: AsyncSession, template_id: str) -> list[SmsTemplateVariable]:
    return list(
        (
            await session.execute(
                select(SmsTemplateVariable).where(SmsTemplateVariable.template_id == template_id).order_by(SmsTemplateVariable.variable_index)
            )
        ).scalars()
    )


async def templates_with_variables(session: AsyncSession, template_ids: list[str]) -> set[str]:
    if not template_ids:
        return set()
    rows = await session.execute(
        select(SmsTemplateVariable.template_id).where(SmsTemplateVariable.template_id.in_(template_ids)).distinct()
    )
    return set(rows.scalars())


async def replace_variables(session: AsyncSession, template_id: str, variables: list[tuple[int, str, str, int]]) -> None:
    await session.execute(delete(SmsTemplateVariable).where(SmsTemplateVariable.template_id == template_id))
    for index, type_, desc, length in variables:
        session.add(SmsTemplateVariable(template_id=template_id, variable_index=index, variable_type=type_, variable_desc=desc, variable_length=length))
    await session.flush()


async def template_name_taken(session: AsyncSession, signature_id: str, name: str, except_id: str | None = None) -> bool:
    stmt = select(SmsTemplate.id).where(SmsTemplate.signature_id == signature_id, SmsTemplate.name == name)
    if except_id:
        stmt = stmt.where(SmsTemplate.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


# --- C1: what the sending pipeline reads ---------------------------------------------
async def load_send_templates(session: AsyncSession, tenant_id: str, template_ids: list[str]) -> dict[str, SendTemplate]:
    """The tenant's templates among ``template_ids`` with everything a send
    needs; missing and foreign ids are simply absent."""
    ids = list(dict.fromkeys(template_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(SmsTemplate, SmsSignature.name, SmsSignature.status, SmsSignature.channel_num, SmsApp.status)
            .join(SmsSignature, SmsSignature.id == SmsTemplate.signature_id)
            .join(SmsApp, SmsApp.id == SmsTemplate.app_id)
            .where(SmsTemplate.tenant_id == tenant_id, SmsTemplate.id.in_(ids))
        )
    ).all()
    if not rows:
        return {}
    variables: dict[str, list[TemplateVariable]] = {}
    var_rows = (
        await session.execute(
            select(SmsTemplateVariable).where(SmsTemplateVariable.template_id.in_([r[0].id for r in rows])).order_by(SmsTemplateVariable.variable_index)
        )
    ).scalars()
    for v in var_rows:
        variables.setdefault(v.template_id, []).append(TemplateVariable(v.variable_index, v.variable_type, v.variable_length))
    out: dict[str, SendTemplate] = {}
    for tpl, sig_name, sig_status, channel_num, app_status in rows:
        out[tpl.id] = SendTemplate(
            template_id=tpl.id,
            tenant_id=tpl.tenant_id,
            template_type=tpl.type,
            content=tpl.content,
            variables=tuple(variables.get(tpl.id, ())),
            adopted=tpl.flow_status == TPL_ADOPTED,
            signature_id=tpl.signature_id,
            signature_name=sig_name,
            signature_approved=sig_status == SIG_REVIEW_PASSED,
            channel_num=channel_num,
            app_id=tpl.app_id,
            app_status=app_status,
        )
    return out


async def app_for_channel_number(session: AsyncSession, channel_num: str) -> tuple[str, str, str | None] | None:
    """(tenant_id, app_id, up_link_addr) of the signature holding the longest
    assigned number that prefixes ``channel_num`` (number + extension routes too)."""
    prefixes = [channel_num[:i] for i in range(1, min(len(channel_num), 21) + 1)]
    row = (
        await session.execute(
            select(SmsSignature.tenant_id, SmsSignature.app_id, SmsApp.up_link_addr)
            .join(SmsApp, SmsApp.id == SmsSignature.app_id)
            .where(SmsSignature.channel_num.in_(prefixes))
            .order_by(func.length(SmsSignature.channel_num).desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


# --- the list operations -------------------------------------------------------------
async def list_apps(session: AsyncSession, tenant_id: str, *, name: str | None, status: str | None, window: Window | None,
                    offset: int, limit: int) -> tuple[list[SmsApp], int]:
    stmt = where_given(select(SmsApp).where(SmsApp.tenant_id == tenant_id), (SmsApp.name, name), (SmsApp.status, status))
    if window:
        stmt = stmt.where(SmsApp.created_at.between(*window))
    rows, total = await count_and_page(session, stmt, (SmsApp.created_at.desc(), SmsApp.id), offset, limit)
    return [r[0] for r in rows], total


async def list_signatures(session: AsyncSession, tenant_id: str, *, app_name: str | None, signature_id: str | None, name: str | None,
                          type_: str | None, status: str | None, window: Window | None, offset: int, limit: int,
                          ) -> tuple[list[tuple[SmsSignature, str]], int]:
    """Signatures with their application's name, newest first."""
    filters = ((SmsApp.name, app_name), (SmsSignature.id, signature_id), (SmsSignature.name, name), (SmsSignature.type, type_),
               (SmsSignature.status, status))
    return await _with_app_name(session, SmsSignature, tenant_id, filters, window, offset, limit)


async def list_templates(session: AsyncSession, tenant_id: str, *, app_name: str | None, flow_status: str | None, template_id: str | None,
                         name: str | None, type_: str | None, window: Window | None, offset: int, limit: int,
                         ) -> tuple[list[tuple[SmsTemplate, str]], int]:
    """Templates with their application's name, newest first."""
    filters = ((SmsApp.name, app_name), (SmsTemplate.flow_status, flow_status), (SmsTemplate.id, template_id), (SmsTemplate.name, name),
               (SmsTemplate.type, type_))
    return await _with_app_name(session, SmsTemplate, tenant_id, filters, window, offset, limit)


async def _with_app_name(session: AsyncSession, model: type[SmsSignature] | type[SmsTemplate], tenant_id: str, filters: tuple,
                         window: Window | None, offset: int, limit: int) -> tuple[list, int]:
    """One page of the tenant's ``model`` rows (signatures, templates) with their application's name."""
    stmt = select(model, SmsApp.name).join(SmsApp, SmsApp.id == model.app_id).where(model.tenant_id == tenant_id)
    stmt = where_given(stmt, *filters)
    if window:
        stmt = stmt.where(model.created_at.between(*window))
    rows, total = await count_and_page(session, stmt, (model.created_at.desc(), model.id), offset, limit)
    return [(obj, app) for obj, app in rows], total
