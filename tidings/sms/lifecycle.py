"""How SMS signatures, templates and applications change state: the review
decisions, expedite (催审), the deletion guard and suspension.

Signature life (concepts.md §3)::

    PENDING_REVIEW --approve--> PROCESSING --number assigned--> REVIEW_PASSED
          |                         (stays PROCESSING while the pool is empty;
          |                          adding a range assigns the waiting ones)
          +--reject--> REVIEW_NOT_PASS --update--> PENDING_REVIEW

``TO_BE_ACTIVATED`` / ``PENDING_ACTIVATE`` are accepted as list filters but
never entered: Tidings' channel setup needs no separate activation step.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import review
from tidings.errors import KooError
from tidings.sms.codes import APP_UNKNOWN_TO_OPERATOR, OBJ_SIGNATURE, OBJ_TEMPLATE, SIGNATURE_BUSY
from tidings.sms.pool import provision
from tidings.store import messages
from tidings.store.models.sms import (
    APP_LAUNCHED,
    APP_SUSPENDED,
    SIG_PENDING_REVIEW,
    SIG_PROCESSING,
    SIG_REVIEW_NOT_PASS,
    TPL_ADOPTED,
    TPL_REJECT,
    TPL_REVIEWING,
    ChannelNumber,
    SmsApp,
    SmsSignature,
    SmsTemplate,
    SmsTemplateVariable,
)
from tidings.store.tenants import audit
from tidings.timeutil import utcnow


async def delete_signature(session: AsyncSession, sig: SmsSignature, actor: str) -> dict:
    """Delete a signature with its templates and free its channel number, in
    the caller's transaction.  Refused while messages using it are queued."""
    queued = await messages.in_flight_for_signature(session, sig.tenant_id, sig.id)
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


# --- review hooks --------------------------------------------------------------------
async def on_signature_decision(session: AsyncSession, event: review.Decision) -> None:
    sig = await session.get(SmsSignature, event.item.object_id)
    if sig is None or sig.status != SIG_PENDING_REVIEW:
        return
    if event.state == review.APPROVED:
        sig.status = SIG_PROCESSING
        sig.review_desc = event.reason[:500]
        await session.flush()
        await provision(session, sig, event.actor)
    elif event.state == review.REJECTED:
        sig.status = SIG_REVIEW_NOT_PASS
        sig.review_desc = event.reason[:500]


async def on_template_decision(session: AsyncSession, event: review.Decision) -> None:
    tpl = await session.get(SmsTemplate, event.item.object_id)
    if tpl is None or tpl.flow_status != TPL_REVIEWING:
        return
    if event.state == review.APPROVED:
        tpl.flow_status = TPL_ADOPTED
        tpl.review_desc = event.reason[:500]
    elif event.state == review.REJECTED:
        tpl.flow_status = TPL_REJECT
        tpl.review_desc = event.reason[:500]


async def set_app_suspended(session: AsyncSession, app_id: str, suspended: bool, actor: str, reason: str = "") -> SmsApp:
    """The operator suspends (or resumes) any tenant's application."""
    app = await session.get(SmsApp, app_id)
    if app is None:
        raise KooError(APP_UNKNOWN_TO_OPERATOR, "SMS application does not exist")
    before = app.status
    app.status = APP_SUSPENDED if suspended else APP_LAUNCHED
    app.suspend_reason = reason[:255] if suspended else ""
    await audit(session, actor=actor, action="sms_app.suspend" if suspended else "sms_app.resume", object_type="sms_app", object_id=app.id,
                tenant_id=app.tenant_id, reason=reason, detail={"from": before, "to": app.status})
    await session.flush()
    return app
