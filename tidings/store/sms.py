"""Queries for SMS configuration: applications, files, signatures, templates,
the channel-number pool, the review hooks that move signatures and templates
through their states, and what the sending pipeline reads (contracts C1, C2).

Every lookup takes the caller's ``tenant_id``: another tenant's object is
answered exactly like a missing one (``not_found`` with the operation's code).

Signature life (concepts.md §3)::

    PENDING_REVIEW --approve--> PROCESSING --number assigned--> REVIEW_PASSED
          |                         (stays PROCESSING while the pool is empty;
          |                          adding a range assigns the waiting ones)
          +--reject--> REVIEW_NOT_PASS --update--> PENDING_REVIEW

``TO_BE_ACTIVATED`` / ``PENDING_ACTIVATE`` are accepted as list filters but
never entered: Tidings' channel setup needs no separate activation step.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import review
from tidings.errors import KooError, not_found
from tidings.domain.templates import SendTemplate, TemplateVariable
from tidings.store.models.sms import (
    APP_LAUNCHED,
    APP_SUSPENDED,
    SIG_PENDING_REVIEW,
    SIG_PROCESSING,
    SIG_REVIEW_NOT_PASS,
    SIG_REVIEW_PASSED,
    TPL_ADOPTED,
    TPL_REJECT,
    TPL_REVIEWING,
    ChannelNumber,
    ChannelRange,
    SmsApp,
    SmsSignature,
    SmsTemplate,
    SmsTemplateVariable,
    StoredFile,
)
from tidings.store.tenants import audit, owned
from tidings.timeutil import utcnow

# --- error codes (docs/errors.md) ----------------------------------------------
TEMPLATE_NOT_FOUND = "KM.00001080"  # upstream's "Template ID does not exist"
SIGNATURE_EMPTY = "KM.00001075"  # upstream's "SMS signature is empty"
SIGNATURE_NAME_LENGTH = "KM.00001076"  # upstream's signature length error
APP_NOT_FOUND = "KM.00001101"
APP_SUSPENDED_CODE = "KM.00001102"
APP_NAME_TAKEN = "KM.00001103"
SIGNATURE_NOT_FOUND = "KM.00001111"
SIGNATURE_STATE = "KM.00001112"
SIGNATURE_NAME_TAKEN = "KM.00001113"
SIGNATURE_BUSY = "KM.00001114"
FILE_NOT_FOUND = "KM.00001121"
FILE_TYPE = "KM.00001122"
FILE_TOO_LARGE = "KM.00001123"
FILE_EMPTY = "KM.00001124"
TEMPLATE_STATE = "KM.00001131"
TEMPLATE_NAME_TAKEN = "KM.00001132"
TEMPLATE_DEFINITION = "KM.00001133"
TEMPLATE_OPT_OUT = "KM.00001134"
TEMPLATE_TYPE = "KM.00001135"

OBJ_SIGNATURE = "sms_signature"
OBJ_TEMPLATE = "sms_template"

# Used when the operator configured no range at all, so the embedded demo works.
DEFAULT_RANGE = ("106900010001", "106900019999")


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


# --- files -------------------------------------------------------------------------
async def get_file(session: AsyncSession, tenant_id: str, file_id: str, field: str = "file_id") -> StoredFile:
    row = await owned(session, StoredFile, tenant_id, file_id)
    if row is None:
        raise KooError(FILE_NOT_FOUND, f"Invalid parameter {field}: file {file_id} does not exist")
    return row


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


# C2: each returns how many messages of (tenant_id, signature_id) are still
# queued or in flight; the pipeline appends its counter.
BEFORE_SIGNATURE_DELETE: list[Callable[[AsyncSession, str, str], Awaitable[int]]] = []


async def delete_signature(session: AsyncSession, sig: SmsSignature, actor: str) -> dict:
    """Delete a signature with its templates and free its channel number, in
    the caller's transaction.  Refused while messages using it are queued."""
    for count_queued in BEFORE_SIGNATURE_DELETE:
        queued = await count_queued(session, sig.tenant_id, sig.id)
        if queued > 0:
            raise KooError(SIGNATURE_BUSY, f"SMS signature {sig.id} still has {queued} queued messages; delete it after they are sent")
    template_ids = list((await session.execute(select(SmsTemplate.id).where(SmsTemplate.signature_id == sig.id))).scalars())
    for tid in template_ids:
        await review.withdraw(session, OBJ_TEMPLATE, tid, actor)
    if template_ids:
        await session.execute(delete(SmsTemplateVariable).where(SmsTemplateVariable.template_id.in_(template_ids)))
        await session.execute(delete(SmsTemplate).where(SmsTemplate.id.in_(template_ids)))
    freed = sig.channel_num
    if freed:
        await session.execute(update(ChannelNumber).where(ChannelNumber.signature_id == sig.id).values(signature_id=None, freed_at=utcnow()))
    await review.withdraw(session, OBJ_SIGNATURE, sig.id, actor)
    await audit(session, actor=actor, action="sms_signature.delete", object_type=OBJ_SIGNATURE, object_id=sig.id, tenant_id=sig.tenant_id,
                detail={"name": sig.name, "status": sig.status, "channel_num": freed, "templates_deleted": template_ids})
    await session.delete(sig)
    await session.flush()
    return {"templates_deleted": len(template_ids), "channel_num_freed": freed}


# --- expedite (催审), for signatures and templates alike ---------------------------------
async def urge(session: AsyncSession, obj: SmsSignature | SmsTemplate, object_type: str, *, under_review: bool,
               refusal: KooError, actor: str, desc: str) -> None:
    """Expedite ``obj``'s open review and mirror the urge fields onto it; ``refusal``
    when it is not under review."""
    item = await review.item_for(session, object_type, obj.id, obj.tenant_id)
    if item is None or not under_review:
        raise refusal
    await review.expedite(session, item, actor=actor, desc=desc)
    obj.urge_status, obj.urge_time, obj.urge_desc = item.urge_status, item.urge_time, item.urge_desc


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


# --- channel-number pool -------------------------------------------------------------
class PoolError(ValueError):
    pass


def _check_range(first: str, last: str) -> None:
    if not (first.isdigit() and last.isdigit()):
        raise PoolError("first and last must be digit strings")
    if len(first) != len(last):
        raise PoolError("first and last must have the same number of digits")
    if not 3 <= len(first) <= 21:
        raise PoolError("channel numbers have 3 to 21 digits")
    if int(first) > int(last):
        raise PoolError("first must not be greater than last")


async def add_range(session: AsyncSession, first: str, last: str, actor: str, note: str = "") -> ChannelRange:
    """Add numbers to the pool, then give numbers to signatures waiting in PROCESSING."""
    _check_range(first, last)
    for other in (await session.execute(select(ChannelRange))).scalars():
        if len(other.first) == len(first) and int(first) <= int(other.last) and int(other.first) <= int(last):
            raise PoolError(f"overlaps range {other.first}-{other.last}")
    rng = ChannelRange(first=first, last=last, next_value=first, note=note)
    session.add(rng)
    await session.flush()
    await audit(session, actor=actor, action="sms_channel_range.add", object_type="sms_channel_range", object_id=str(rng.id),
                detail={"first": first, "last": last, "note": note})
    await assign_waiting(session, actor)
    return rng


async def pool_summary(session: AsyncSession) -> list[dict]:
    out = []
    for rng in (await session.execute(select(ChannelRange).order_by(ChannelRange.id))).scalars():
        size = int(rng.last) - int(rng.first) + 1
        used = (await session.execute(select(func.count()).where(ChannelNumber.range_id == rng.id, ChannelNumber.signature_id.is_not(None)))).scalar_one()
        touched = max(0, int(rng.next_value) - int(rng.first)) if int(rng.next_value) <= int(rng.last) + 1 else size
        freed = (await session.execute(select(func.count()).where(ChannelNumber.range_id == rng.id, ChannelNumber.signature_id.is_(None)))).scalar_one()
        out.append({"range_id": rng.id, "first": rng.first, "last": rng.last, "size": size, "assigned": used,
                    "free": size - touched + freed, "note": rng.note})
    return out


async def _ensure_default_range(session: AsyncSession) -> None:
    if (await session.execute(select(ChannelRange.id).limit(1))).first() is None:
        await add_range_raw(session, *DEFAULT_RANGE, note="default pool (no range configured)")


async def add_range_raw(session: AsyncSession, first: str, last: str, note: str) -> ChannelRange:
    rng = ChannelRange(first=first, last=last, next_value=first, note=note)
    session.add(rng)
    await session.flush()
    await audit(session, actor="system", action="sms_channel_range.add", object_type="sms_channel_range", object_id=str(rng.id),
                detail={"first": first, "last": last, "note": note})
    return rng


async def allocate_number(session: AsyncSession, tenant_id: str, signature_id: str) -> str | None:
    """A number for an approved signature: never-used numbers first (range
    order), then the longest-freed one.  None when the pool is exhausted."""
    await _ensure_default_range(session)
    now = utcnow()
    ranges = (await session.execute(select(ChannelRange).order_by(ChannelRange.id).with_for_update())).scalars().all()
    for rng in ranges:
        width = len(rng.first)
        while int(rng.next_value) <= int(rng.last):
            candidate = rng.next_value
            rng.next_value = str(int(candidate) + 1).zfill(width)
            if await session.get(ChannelNumber, candidate) is None:
                session.add(ChannelNumber(number=candidate, range_id=rng.id, tenant_id=tenant_id, signature_id=signature_id, assigned_at=now))
                await session.flush()
                return candidate
    reuse = (
        await session.execute(
            select(ChannelNumber).where(ChannelNumber.signature_id.is_(None)).order_by(ChannelNumber.freed_at, ChannelNumber.number).limit(1).with_for_update()
        )
    ).scalar_one_or_none()
    if reuse is None:
        return None
    reuse.tenant_id, reuse.signature_id, reuse.assigned_at, reuse.freed_at = tenant_id, signature_id, now, None
    await session.flush()
    return reuse.number


async def _provision(session: AsyncSession, sig: SmsSignature, actor: str) -> None:
    number = await allocate_number(session, sig.tenant_id, sig.id)
    if number is None:
        return  # stays PROCESSING until the operator adds numbers
    sig.channel_num = number
    sig.status = SIG_REVIEW_PASSED
    await audit(session, actor=actor, action="sms_signature.channel_assigned", object_type=OBJ_SIGNATURE, object_id=sig.id,
                tenant_id=sig.tenant_id, detail={"channel_num": number})


async def assign_waiting(session: AsyncSession, actor: str) -> int:
    waiting = (await session.execute(select(SmsSignature).where(SmsSignature.status == SIG_PROCESSING).order_by(SmsSignature.updated_at))).scalars().all()
    done = 0
    for sig in waiting:
        await _provision(session, sig, actor)
        done += sig.status == SIG_REVIEW_PASSED
    return done


# --- review hooks --------------------------------------------------------------------
async def _on_signature_decision(session: AsyncSession, event: review.Decision) -> None:
    sig = await session.get(SmsSignature, event.item.object_id)
    if sig is None or sig.status != SIG_PENDING_REVIEW:
        return
    if event.state == review.APPROVED:
        sig.status = SIG_PROCESSING
        sig.review_desc = event.reason[:500]
        await session.flush()
        await _provision(session, sig, event.actor)
    elif event.state == review.REJECTED:
        sig.status = SIG_REVIEW_NOT_PASS
        sig.review_desc = event.reason[:500]


async def _on_template_decision(session: AsyncSession, event: review.Decision) -> None:
    tpl = await session.get(SmsTemplate, event.item.object_id)
    if tpl is None or tpl.flow_status != TPL_REVIEWING:
        return
    if event.state == review.APPROVED:
        tpl.flow_status = TPL_ADOPTED
        tpl.review_desc = event.reason[:500]
    elif event.state == review.REJECTED:
        tpl.flow_status = TPL_REJECT
        tpl.review_desc = event.reason[:500]


review.on_decision(OBJ_SIGNATURE, _on_signature_decision)
review.on_decision(OBJ_TEMPLATE, _on_template_decision)


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


# --- operator actions on applications ---------------------------------------------
async def app_any_tenant(session: AsyncSession, app_id: str) -> SmsApp | None:
    return await session.get(SmsApp, app_id)


async def set_app_suspended(session: AsyncSession, app: SmsApp, suspended: bool, actor: str, reason: str = "") -> SmsApp:
    before = app.status
    app.status = APP_SUSPENDED if suspended else APP_LAUNCHED
    app.suspend_reason = reason[:255] if suspended else ""
    await audit(session, actor=actor, action="sms_app.suspend" if suspended else "sms_app.resume", object_type="sms_app", object_id=app.id,
                tenant_id=app.tenant_id, reason=reason, detail={"from": before, "to": app.status})
    await session.flush()
    return app
