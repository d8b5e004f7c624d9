"""Sending smart messages: one link per recipient, the SMS template with the
link in its ``NEWTEXT`` variable, through the SMS product's acceptance and the
one pipeline as product ``aim``.

:func:`prepare` reads and decides (filing, template, SMS channel, links,
per-number verdicts) and writes nothing; the caller takes its rate tokens
(the API refuses with 429, a send flow waits); :func:`commit` writes the
resolve task and its links, the send task and the messages in one
transaction, re-checking there that the template is still usable (one
disabled meanwhile refuses the whole task).  ``create_aim_send_task`` and the
send flow (tidings/aim/flows.py) both go through here; a flow's fallback
recipients (``smart=False``) get the same text as a plain SMS (product
``sms``), their link opening the card page in a browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim import links, queries
from tidings.aim.codes import TEMPLATE_NOT_USABLE
from tidings.context import AppContext
from tidings.domain import send_status
from tidings.domain.templates import SendTemplate
from tidings.errors import KooError, invalid, not_found
from tidings.ids import uuid_id
from tidings.ratelimit import TenantLimiter
from tidings.sms import accept
from tidings.sms.codes import TEMPLATE_NOT_FOUND as SMS_TEMPLATE_NOT_FOUND
from tidings.sms.queries import load_send_templates
from tidings.store.models.aim_send import AimSendTask
from tidings.store.models.sms import SmsApp
from tidings.timeutil import utcnow

SEND_FILING = "aim.send_task"
# Smart messages a tenant may send per second (concepts.md §13: <= 1000/s), on top of
# the SMS parts bucket; a tenant's ``rate_aim_messages_per_second`` overrides it.
SMART_PER_SECOND = 1000.0
AIM, SMS = "aim", "sms"
LINK_VARIABLE = "NEWTEXT"
OPERATION = "aim-send"
TOGETHER = "the four sms_channel fields must belong together"


def take_smart(limiter: TenantLimiter, tenant_id: str, settings: dict, n: int) -> float:
    """``n`` smart messages (a send task's accepted numbers) from the tenant's
    bucket: 0.0 when they fit, else the seconds until they would."""
    rate = float(settings.get("rate_aim_messages_per_second") or SMART_PER_SECOND)
    return limiter.take_units(tenant_id, "aim", rate, n)


@dataclass(frozen=True, slots=True)
class SmsChannel:
    """``sms_channel``: the four must belong together."""

    sms_app_name: str
    sms_sign: str
    channel_number: str
    sms_tpl_id: str


@dataclass(frozen=True, slots=True)
class Spec:
    task_name: str
    tpl_id: str
    channel: SmsChannel
    days: int
    generation_type: str = "1"
    domain: str | None = None
    field: str = "resolve_task"  # where the recipients sit in the request, for error messages


@dataclass(slots=True)
class Recipient:
    cust_flag: str  # the mobile number as given
    dync_params: dict[str, str] | None = None
    custom_url: str | None = None
    custom_short_code: str | None = None
    sms_params: list[str] = field(default_factory=list)
    smart: bool = True  # False: a send flow's fallback, a plain SMS with the link


@dataclass(slots=True)
class Prepared:
    spec: Spec
    tenant_id: str
    task_id: str
    template: SendTemplate
    planned: links.Planned
    groups: list[accept.Group]
    plan: accept.Plan | None
    support_resolve_count: int
    flow_id: str | None

    def accepted(self, smart: bool) -> int:
        if self.plan is None:
            return 0
        product = AIM if smart else SMS
        return sum(1 for g, vs in zip(self.groups, self.plan.verdicts, strict=True) for v in vs if g.product == product and v.code == send_status.ACCEPTED)

    @property
    def parts(self) -> int:
        return self.plan.tentative_parts if self.plan is not None else 0

    def verdict_of(self) -> dict[int, accept.Verdict]:
        """Link row index -> the verdict of its message."""
        out: dict[int, accept.Verdict] = {}
        if self.plan is None:
            return out
        for g, vs in zip(self.groups, self.plan.verdicts, strict=True):
            out[int(g.field.rsplit("[", 1)[1].split("]")[0])] = vs[0]
        return out


def with_link(template: SendTemplate, sms_params: Sequence[str], url: str) -> list[str]:
    """The template's values in variable order: ``sms_params`` around the link."""
    slot = next(i for i, v in enumerate(template.variables) if v.type == LINK_VARIABLE)
    return [*sms_params[:slot], url, *sms_params[slot:]]


async def check_channel(session: AsyncSession, tenant_id: str, ch: SmsChannel) -> SendTemplate:
    """The SMS template of ``sms_channel`` once its application, signature and
    channel number are the template's own and it can carry a link."""
    t = (await load_send_templates(session, tenant_id, [ch.sms_tpl_id])).get(ch.sms_tpl_id)
    if t is None:
        raise not_found(SMS_TEMPLATE_NOT_FOUND, f"SMS template {ch.sms_tpl_id} (sms_channel.sms_tpl_id)")
    app_name = (await session.execute(_APP_NAME, {"id": t.app_id})).scalar_one()
    if app_name != ch.sms_app_name:
        raise invalid("sms_channel.sms_app_name", f"{ch.sms_app_name} is not the application of SMS template {t.template_id} ({app_name}); {TOGETHER}")
    if t.signature_name != ch.sms_sign:
        raise invalid("sms_channel.sms_sign", f"{ch.sms_sign} is not the signature of SMS template {t.template_id} ({t.signature_name}); {TOGETHER}")
    if t.channel_num != ch.channel_number:
        raise invalid("sms_channel.channel_number",
                      f"{ch.channel_number} is not the channel number of signature {t.signature_name} ({t.channel_num or 'none yet'}); {TOGETHER}")
    if sum(1 for v in t.variables if v.type == LINK_VARIABLE) != 1:
        raise invalid("sms_channel.sms_tpl_id", f"SMS template {t.template_id} must have exactly one NEWTEXT variable, which carries each recipient's aim_url")
    if not t.adopted:
        raise invalid("sms_channel.sms_tpl_id", f"SMS template {t.template_id} is not approved (Adopted)")
    return t


_APP_NAME = select(SmsApp.name).where(SmsApp.id == bindparam("id"))


def check_sms_params(t: SendTemplate, recipients: Sequence[Recipient], where: str) -> None:
    want = len(t.variables) - 1
    for i, r in enumerate(recipients):
        if len(r.sms_params) != want:
            raise invalid(f"{where}.params[{i}].sms_params", f"must have {want} values: the variables of SMS template {t.template_id} except its NEWTEXT link")


async def link_domain(ctx: AppContext, session: AsyncSession, tenant_id: str, spec: Spec) -> str:
    if spec.generation_type == "2":
        if not spec.domain:
            raise invalid(f"{spec.field}.domain", "is required when generation_type is 2")
        if not await links.domain_registered(session, tenant_id, spec.domain.lower(), links.CUSTOM):
            raise invalid(f"{spec.field}.domain", f"{spec.domain} is not a registered custom short-link domain")
        return spec.domain.lower()
    default = links.default_domain(ctx.settings.base_url, ctx.settings.extra)
    if spec.domain and spec.domain.lower() != default:
        if not await links.domain_registered(session, tenant_id, spec.domain.lower(), links.SHORT):
            raise invalid(f"{spec.field}.domain", f"{spec.domain} is not a registered short-link domain")
        return spec.domain.lower()
    return default


async def prepare(
    ctx: AppContext,
    tenant_id: str,
    settings: dict,
    spec: Spec,
    recipients: Sequence[Recipient],
    *,
    support_resolve_count: int = -1,
    flow_id: str | None = None,
) -> Prepared:
    """Everything decided before the write; raises the request's refusal."""
    async with ctx.db.read() as session:
        tpl = await queries.usable_for_tasks(session, tenant_id, spec.tpl_id, filing_area=SEND_FILING)
        t = await check_channel(session, tenant_id, spec.channel)
        check_sms_params(t, recipients, spec.field)
        domain = await link_domain(ctx, session, tenant_id, spec)
        params = [
            {"cust_flag": r.cust_flag, "dync_params": r.dync_params, "custom_url": r.custom_url, "custom_short_code": r.custom_short_code}
            for r in recipients
        ]
        facts = links.Facts(
            param_names=tpl.params,
            landing=await links.landing_domains(session, tenant_id, {links.host_of(r.custom_url) for r in recipients if r.custom_url}),
            taken=await links.taken_codes(session, domain, {r.custom_short_code for r in recipients if r.custom_short_code}),
        )
    req = links.Request(tpl_id=tpl.id, sms_signs=[spec.channel.sms_sign], code_type=links.INDIVIDUAL, generation_type=spec.generation_type,
                        domain=domain, resolving_times=1, days=spec.days, params=params, task_name=spec.task_name)
    planned = links.plan(req, facts, tenant_id=tenant_id, now=utcnow())
    groups = []
    for i, (r, row) in enumerate(zip(recipients, planned.links, strict=True)):
        if row["code"] is None:
            continue
        url = links.aim_url(row["domain"], row["code"])
        product = AIM if r.smart else SMS
        extra = {"aim_tpl_id": tpl.id, "aim_url": url} if r.smart else None
        groups.append(accept.Group(t.template_id, [r.cust_flag], with_link(t, r.sms_params, url), f"{spec.field}.params[{i}]", product, extra))
    plan = None
    if groups:
        plan = await accept.plan(ctx, tenant_id, settings, groups, spec.channel.channel_number, "sms_channel.channel_number",
                                 templates={t.template_id: t})
    return Prepared(spec, tenant_id, uuid_id(), t, planned, groups, plan, support_resolve_count, flow_id)


@dataclass(slots=True)
class Committed:
    task_id: str
    created_at: datetime
    send_count: int  # smart messages accepted
    sms_count: int  # plain fallback SMS accepted
    failed: list[dict]  # link rows that could not be made, as link_view shows them
    verdicts: dict[int, accept.Verdict]


async def commit(
    ctx: AppContext,
    settings: dict,
    p: Prepared,
    also: Callable[[AsyncSession, datetime], Awaitable[None]] | None = None,
) -> Committed:
    """The resolve task and links, the send task and the messages, in one
    transaction (``also`` adds the caller's rows: a flow's chunk)."""
    failed = [links.link_view(r, p.tenant_id) for r in p.planned.links if r["code"] is None]

    async def write(session: AsyncSession, task_id: str, now: datetime) -> None:
        tpl = await queries.task_template(session, p.spec.tpl_id)
        if tpl is None or not tpl.usable_by(p.tenant_id):
            why = "was disabled, deleted or withdrawn meanwhile: the send task is refused whole"
            raise KooError(TEMPLATE_NOT_USABLE, f"Smart-message template {p.spec.tpl_id} {why}")
        resolve_task_id = await links.mint(session, p.planned)
        send_count = p.accepted(True)  # after the frequency limits, which accept.commit applies first
        if send_count or p.flow_id is None:
            ch = p.spec.channel
            await session.execute(insert(AimSendTask.__table__).values(
                id=task_id, tenant_id=p.tenant_id, task_name=p.spec.task_name, tpl_id=p.spec.tpl_id, resolve_task_id=resolve_task_id,
                sms_app_name=ch.sms_app_name, sms_sign=ch.sms_sign, channel_number=ch.channel_number, sms_tpl_id=ch.sms_tpl_id,
                generation_type=p.spec.generation_type, domain=p.planned.task["domain"], expiration_days=p.spec.days,
                state="Success" if send_count else "Failed", submission_count=len(p.planned.links), send_count=send_count,
                support_resolve_count=p.support_resolve_count, failed_short_chains=failed or None, flow_id=p.flow_id, created_at=now))
        if also is not None:
            await also(session, now)

    if p.plan is None:  # no link could be made: the task is recorded as Failed, nothing is sent
        now = utcnow()
        async with ctx.db.write() as session:
            await write(session, p.task_id, now)
        return Committed(p.task_id, now, 0, 0, failed, {})

    created: dict[str, Any] = {}

    def respond(task_id: str, _plan: accept.Plan, now: datetime, _accepted: int) -> dict:
        created["at"] = now
        return {}

    await accept.commit(ctx, p.tenant_id, settings, p.plan, operation=OPERATION, task_name=p.spec.task_name, extend=None,
                        idempotency=None, respond=respond, task_id=p.task_id, also=write)
    return Committed(p.task_id, created["at"], p.accepted(True), p.accepted(False), failed, p.verdict_of())
