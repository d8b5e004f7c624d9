"""The message log as tenants and operators see it (``/tidings/v1/messages``
and ``tidings messages``): one view, shared by the API and the CLI."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks.log import callback_attempts
from tidings.store import messages as store
from tidings.store.models.pipeline import Message
from tidings.timeutil import wire_z


def summary(m: Message) -> dict:
    return {
        "msg_id": m.id,
        "task_id": m.task_id,
        # What the number got: a plain SMS (``sms``) or a smart message (``aim``, with its card template and link).
        "product": m.product,
        "aim_tpl_id": m.aim_tpl_id,
        "aim_url": m.aim_url,
        "to": m.to,
        "number": m.number,
        "channel_num": m.channel_num,
        "signature": m.signature,
        "template_id": m.template_id,
        "status": m.status,
        "status_code": m.status_code,
        "status_desc": m.status_desc,
        "parts": m.parts,
        "attempts": m.attempts,
        "channel": m.channel,
        "extend": m.extend,
        "create_time": wire_z(m.created_at),
        "submit_time": wire_z(m.submitted_at) or None,
        "report_time": wire_z(m.reported_at) or None,
    }


async def callbacks(session: AsyncSession, tenant_id: str, msg_id: str) -> list[dict]:
    """The callback deliveries that carried the message's receipts, each with every attempt."""
    found = (await callback_attempts(session, tenant_id, [msg_id])).get(msg_id, [])
    return [
        {
            "request_id": d.request_id,
            "kind": d.kind,
            "url": d.url,
            "batch": d.batch,
            "status": d.status,
            "next_attempt_time": wire_z(d.next_attempt_at) or None,
            "attempts": [
                {
                    "attempt": a.attempt,
                    "outcome": a.outcome,
                    "http_status": a.http_status,
                    "error": a.error,
                    "start_time": wire_z(a.started_at),
                    "duration_ms": a.duration_ms,
                }
                for a in d.attempts
            ],
        }
        for d in found
    ]


async def details(session: AsyncSession, tenant_id: str, msg_id: str) -> dict | None:
    """One message with its text, parts, attempts, times, per-part reports and
    callbacks; None when the tenant has no such message."""
    m = await store.get_message(session, tenant_id, msg_id)
    if m is None:
        return None
    out = summary(m)
    out.update(
        text=m.text,
        app_id=m.app_id,
        signature_id=m.signature_id,
        expire_time=wire_z(m.expires_at) or None,
        next_attempt_time=wire_z(m.next_attempt_at) or None,
        carrier_ids=m.carrier_ids or [],
        part_reports=m.part_reports or [],
        callbacks=await callbacks(session, tenant_id, msg_id),
    )
    return out
