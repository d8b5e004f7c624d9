"""Accepting a send: from validated request groups to committed messages.

A request is a list of :class:`Group` (one for ``/v1/aim/sms/messages``, one
per ``sms_content`` entry for ``diff-messages``).  Request-level problems
(unknown template, suspended application, signature not approved, channel
number mismatch) raise :class:`KooError` before anything is written.  Then
every number gets its own verdict, in this order:

==========  =================================================================
``E200031`` the number is invalid (format, length, not a mobile, international
            not enabled for the tenant)
``E200041`` the same number twice in one group (same content)
``E200030`` the template is not approved (``Adopted``)
``E200028`` ``template_params`` do not fit the template's variables
``E200015`` the number is over its frequency limit (tidings.domain.frequency)
``000000``  accepted
==========  =================================================================

Refused numbers still get a ``msg_id`` and a ``rejected`` row, so the message
log can say why.  Accepted and refused rows, the task, the frequency counters
and the idempotency record are written in one transaction that commits before
the API answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tidings.channels.registry import RouteRequest, registry_of
from tidings.context import AppContext
from tidings.dispatch.config import DispatchConfig
from tidings.domain import frequency, sms_text
from tidings.domain.numbers import NumberError, normalize
from tidings.domain.send_status import ACCEPTED, DUPLICATE, NUMBER_INVALID, PARAMS_INVALID, TEMPLATE_NOT_ACTIVE, TOO_MANY
from tidings.domain.templates import SendTemplate, check_params, full_text, is_code_template, render
from tidings.errors import KooError, invalid, not_found
from tidings.ids import hex32
from tidings.sms.codes import APP_SUSPENDED_CODE, SIGNATURE_STATE, TEMPLATE_NOT_FOUND
from tidings.sms.queries import load_send_templates
from tidings.store import messages as store
from tidings.store.models.pipeline import QUEUED, REJECTED
from tidings.timeutil import utcnow, wire_z

IDEMPOTENCY_CONFLICT = "TD.00010409"
CHANNEL_MISMATCH = "KM.00000001"


@dataclass(slots=True)
class Group:
    template_id: str
    to: list[str]
    params: list[str]
    field: str  # "template_id" or "sms_content[2].template_id", for error messages
    # The product the messages are sent as (``messages.product``), and columns
    # that product adds to each row (smart messages: their template and link).
    product: str = "sms"
    extra: dict[str, Any] | None = None


@dataclass(slots=True)
class Verdict:
    to: str
    msg_id: str
    code: str
    reason: str = ""
    number: str | None = None
    parts: int = 0


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """One group of numbers with its template, checked and rendered."""

    group: Group
    template: SendTemplate
    params_error: str | None
    text: str
    parts: int
    kind: str  # the frequency-limit kind (code, notify, marketing)


@dataclass(slots=True)
class Plan:
    """Everything decided before the transaction."""

    channel_num: str
    groups: list[PlannedGroup] = field(default_factory=list)
    verdicts: list[list[Verdict]] = field(default_factory=list)

    @property
    def tentative_parts(self) -> int:
        return sum(v.parts for vs in self.verdicts for v in vs if v.code == ACCEPTED)


async def plan(ctx: AppContext, tenant_id: str, settings: dict, groups: list[Group], channel_num: str | None, channel_field: str,
               *, templates: dict[str, SendTemplate] | None = None) -> Plan:
    """``templates``: the groups' templates when the caller has just read them
    (load_send_templates), so they are not read again."""
    if templates is None:
        async with ctx.db.read() as session:
            templates = await load_send_templates(session, tenant_id, [g.template_id for g in groups])
    for g in groups:
        t = templates.get(g.template_id)
        if t is None:
            raise not_found(TEMPLATE_NOT_FOUND, f"Template {g.template_id} ({g.field})")
        if t.app_status == "SUSPENDED":
            raise KooError(APP_SUSPENDED_CODE, f"SMS application {t.app_id} of template {g.template_id} is suspended by operations")
        if not t.signature_approved or not t.channel_num:
            raise KooError(SIGNATURE_STATE, f"The signature {t.signature_name} of template {g.template_id} is not approved (no channel number yet)")
    # Every template's signature has a channel number (checked above).
    effective = channel_num or templates[groups[0].template_id].channel_num or ""
    for g in groups:
        t = templates[g.template_id]
        if t.channel_num != effective:
            where = f"the channel number of {g.field}'s signature is {t.channel_num}"
            raise invalid(channel_field, f"{effective} does not match: {where}", CHANNEL_MISMATCH)

    try:
        frequency.validate_settings(settings)
    except frequency.LimitsError as exc:
        # The operator's configuration, not the caller's request, is wrong.
        raise KooError("KM.90019003", f"Service exception: the account's frequency limit settings are invalid ({exc})", 500) from None
    international = bool(settings.get("international"))
    result = Plan(channel_num=effective)
    ids = iter(time_ordered_ids(sum(len(g.to) for g in groups)))
    for g in groups:
        t = templates[g.template_id]
        reason = check_params(t.variables, g.params)
        text, parts = "", 0
        if reason is None:
            text = full_text(t.signature_name, render(t.content, g.params))
            try:
                parts = sms_text.count_parts(text)[1]
            except ValueError as exc:
                reason = f"the rendered text is too long: {exc}"
        kind = frequency.kind_of(t.template_type, is_code_template(t))
        result.groups.append(PlannedGroup(g, t, reason, text, parts, kind))
        seen: set[str] = set()
        verdicts: list[Verdict] = []
        for raw in g.to:
            v = Verdict(to=raw, msg_id=next(ids), code=ACCEPTED, parts=parts)
            try:
                v.number = normalize(raw, international=international)
            except NumberError as exc:
                v.code, v.reason = NUMBER_INVALID, f"invalid number: {exc}"
            else:
                if v.number in seen:
                    v.code, v.reason = DUPLICATE, "the same number appears twice for the same content"
                elif not t.adopted:
                    v.code, v.reason = TEMPLATE_NOT_ACTIVE, f"template {t.template_id} is not approved"
                elif reason is not None:
                    v.code, v.reason = PARAMS_INVALID, reason
                seen.add(v.number)
            verdicts.append(v)
        result.verdicts.append(verdicts)
    return result


def time_ordered_ids(n: int) -> list[str]:
    """``n`` message ids in the UUIDv7 layout (RFC 9562): a 48-bit millisecond
    timestamp, then random bits.  They sort by creation, so the messages
    table's primary key grows at its end instead of at random pages."""
    ts = f"{int(time.time() * 1000):012x}"
    head = f"{ts[:8]}-{ts[8:]}-7"
    raw = os.urandom(10 * n).hex()
    out = []
    for i in range(0, 20 * n, 20):
        r = raw[i : i + 20]
        out.append(f"{head}{r[:3]}-{'89ab'[int(r[3], 16) & 3]}{r[4:7]}-{r[7:19]}")
    return out


def _validity(ctx: AppContext, channel_name: str, default: float, cache: dict[str, timedelta]) -> timedelta:
    hit = cache.get(channel_name)
    if hit is None:
        reg = registry_of(ctx)
        seconds = reg.get(channel_name).validity_seconds if reg.has(channel_name) else None
        hit = cache[channel_name] = timedelta(seconds=float(seconds or default))
    return hit


async def commit(
    ctx: AppContext,
    tenant_id: str,
    settings: dict,
    p: Plan,
    *,
    operation: str,
    task_name: str | None,
    extend: str | None,
    idempotency: tuple[str, str] | None,
    respond,
    task_id: str | None = None,
    also: Callable[[AsyncSession, str, datetime], Awaitable[None]] | None = None,
) -> dict:
    """Write the task, messages, counters and idempotency record in one
    transaction; returns the response body built by ``respond(task_id, verdicts, now)``.

    ``also(session, task_id, now)`` writes what the calling product keeps with
    the messages (smart messages: their links and send task) in the same
    transaction, before the messages."""
    now = utcnow()
    task_id = task_id or hex32()
    dconf = DispatchConfig.from_settings(ctx.settings.extra)
    registry = registry_of(ctx)
    validity_cache: dict[str, timedelta] = {}
    windows = frequency.Windows.at(time.time(), frequency.day_offset_seconds(settings))

    async with ctx.db.write() as session:
        await store.lock_tenant_sends(session, tenant_id)
        if idempotency is not None:
            prior = await store.idempotent_answer(session, tenant_id, idempotency[0])
            if prior is not None:
                return replay(prior, operation, idempotency[1])

        keys: list[tuple[str, str]] = []
        for pg, verdicts in zip(p.groups, p.verdicts, strict=True):
            scope = frequency.scope_key(pg.template.signature_id, pg.kind)
            keys.extend((scope, v.number) for v in verdicts if v.code == ACCEPTED and v.number is not None)
        counters = await store.load_counters(session, tenant_id, list(dict.fromkeys(keys)))
        changed: dict[tuple[str, str], frequency.Counter] = {}

        rows: list[dict[str, Any]] = []
        accepted = 0
        total = 0
        for pg, verdicts in zip(p.groups, p.verdicts, strict=True):
            g, t, text, parts, kind = pg.group, pg.template, pg.text, pg.parts, pg.kind
            scope = frequency.scope_key(t.signature_id, kind)
            limits = frequency.limits_for(settings, kind, t.signature_id)
            for v in verdicts:
                total += 1
                if v.code == ACCEPTED and v.number is not None and not limits.unlimited:
                    key = (scope, v.number)
                    after = frequency.admit(counters.get(key), limits, windows)
                    if after is None:
                        v.code, v.reason = TOO_MANY, f"{v.number} is over the {kind} frequency limit of this signature"
                    else:
                        counters[key] = changed[key] = after
                ok = v.code == ACCEPTED
                channel = ""
                if ok:
                    accepted += 1
                    channel = registry.default if registry.trivial else registry.route(RouteRequest(tenant_id, v.number or "", p.channel_num, g.product))
                rows.append(
                    {
                        "id": v.msg_id,
                        "tenant_id": tenant_id,
                        "task_id": task_id,
                        "product": g.product,
                        "app_id": t.app_id,
                        "signature_id": t.signature_id,
                        "signature": t.signature_name,
                        "template_id": t.template_id,
                        "channel": channel,
                        "channel_num": p.channel_num,
                        "number": v.number or v.to[:21],
                        "to": v.to[:21],
                        "text": text,
                        "parts": parts or 1,
                        "extend": extend,
                        "status": QUEUED if ok else REJECTED,
                        "status_code": None if ok else v.code,
                        "status_desc": None if ok else v.reason[:255],
                        "attempts": 0,
                        "next_attempt_at": now if ok else None,
                        "expires_at": now + _validity(ctx, channel, dconf.validity_seconds, validity_cache) if ok else None,
                        "created_at": now,
                        "submitted_at": None,
                        "reported_at": None,
                        "carrier_ids": None,
                        "part_reports": None,
                        "aim_tpl_id": None,
                        "aim_url": None,
                        **(g.extra or {}),
                    }
                )
        task = {
            "id": task_id,
            "tenant_id": tenant_id,
            "name": task_name or "Task_" + now.strftime("%Y%m%d%H%M%S"),
            "operation": operation,
            "channel_num": p.channel_num,
            "extend": extend,
            "total": total,
            "accepted": accepted,
            "created_at": now,
        }
        if also is not None:
            await also(session, task_id, now)
        await store.insert_accepted(session, task, rows)
        await store.save_counters(session, tenant_id, changed)
        body = respond(task_id, p, now, accepted)
        if idempotency is not None:
            await store.save_idempotent(session, tenant_id, idempotency[0], operation, idempotency[1], body, now)
    return body


def answered_number(v: Verdict) -> str:
    """``result[].to``: the number in E.164 with ``+`` (``+8613800138000`` for
    ``13800138000``, as openapi.json's example answers), whatever spelling was
    sent; a number that could not be read is echoed as sent."""
    return "+" + v.number if v.number else v.to


def response_body(task_id: str, p: Plan, now: datetime, accepted: int) -> dict:
    create_time = wire_z(now)
    result = [
        {"to": answered_number(v), "channel_num": p.channel_num, "msg_id": v.msg_id, "send_status": v.code, "create_time": create_time}
        for verdicts in p.verdicts
        for v in verdicts
    ]
    return {"task_id": task_id, "status": "Success" if accepted else "Failed", "result": result}


def replay(prior, operation: str, request_hash: str) -> dict:
    if prior.operation != operation or prior.request_hash != request_hash:
        raise KooError(
            IDEMPOTENCY_CONFLICT,
            "X-Idempotency-Key was already used for a different request; use a new key for a new send",
            409,
        )
    return prior.response
