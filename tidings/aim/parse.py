"""A parse: a handset resolving a short link to draw the card (not a page view).

Who parses: the virtual phone of a capable number, showing a received SMS
that carries a link (tidings/web/phone.py), and a real handset gateway through
``POST /admin/v1/aim/resolves`` (tidings/aim/api/links.py).  Opening the card
page in a browser is an exposure, never a parse.

A parse succeeds only when, in this order: the link exists and has not
expired; the carrying SMS used one of the task's ``sms_signs``; the link is
under its ``resolving_times`` (an individual link: once); the template is
still usable and active at the handset's maker (an incapable handset never
parses).  Success writes, in one transaction: the resolve detail (an
``aim_parses`` row and the link's count), one ``shortchain`` receipt through
the callback outbox (callbacks.md §3.2) and one ``aim.parse`` meter event.
A failure is recorded (the row and the link's ``failed_times``) and is never
pushed or metered.

``(link, source)`` is unique: ``source`` is the carrying message's id, so the
same SMS shown again (a reload, the phone's refresh) answers the first
outcome and is never a second parse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim import links, queries
from tidings.callbacks.outbox import enqueue_aim_receipts
from tidings.ids import uuid_id
from tidings.meters.stream import MeterEvent, record
from tidings.store.dialect import affected
from tidings.store.models.aim import AimLink, AimParse, AimResolveTask
from tidings.timeutil import utcnow

METRIC = "aim.parse"
PRODUCT = "aim"

OK = 0
NOT_FOUND, EXPIRED, WRONG_SIGN, EXHAUSTED, INCAPABLE, TEMPLATE_INACTIVE = 1, 2, 3, 4, 5, 6
DESCRIBE = {
    OK: "success",
    NOT_FOUND: "unknown short link",
    EXPIRED: "the link has expired",
    WRONG_SIGN: "the carrying SMS did not use one of the task's sms_signs",
    EXHAUSTED: "the link reached its resolving_times",
    INCAPABLE: "the handset cannot show cards",
    TEMPLATE_INACTIVE: "the template is not active at the handset's maker",
}


@dataclass(frozen=True, slots=True)
class Handset:
    """Who resolves: the number (E.164 digits, or '' when the gateway keeps it),
    its maker (None: incapable), the signature of the carrying SMS and the
    carrying message's id."""

    number: str
    maker: str | None
    sms_sign: str
    source: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    describe: str
    link: AimLink | None
    parse_id: str | None = None
    repeated: bool = False  # the same message shown again: nothing new was written

    @property
    def ok(self) -> bool:
        return self.status == OK


def shortchain(link: AimLink, task_id: str) -> dict:
    """The ShortChainCallback (callbacks.md §3.2), wire names and types."""
    assert link.code is not None
    return {"task_id": task_id, "cust_flag": link.cust_flag, "tpl_id": link.tpl_id, "aim_url": links.aim_url(link.domain, link.code),
            "aim_code": link.code, "status": OK, "describe": DESCRIBE[OK]}


def verdict(link: AimLink, sms_signs: list[str], handset: Handset, active: frozenset[str], now: datetime, spent: bool = False) -> int:
    """The pure rule, in the module docstring's order (``sms_signs``: the link's
    task's; ``spent``: the link is at its ``resolving_times``)."""
    if link.expires_at <= now:
        return EXPIRED
    if handset.sms_sign.strip("【】[] ") not in sms_signs:
        return WRONG_SIGN
    if spent:
        return EXHAUSTED
    if handset.maker is None:
        return INCAPABLE
    if handset.maker not in active:
        return TEMPLATE_INACTIVE
    return OK


async def find_link(session: AsyncSession, code: str, domain: str | None = None) -> AimLink | None:
    """The live link behind ``code`` (on ``domain`` when given, else any domain)."""
    q = select(AimLink).where(AimLink.code == code)
    if domain:
        q = q.where(AimLink.domain == domain.lower())
    return (await session.execute(q.limit(1))).scalar_one_or_none()


KEEP_SECONDS = 5.0
_kept: dict[tuple[str, str], tuple[AimLink, float]] = {}


def kept(domain: str, code: str, now: float) -> AimLink | None:
    """A link :func:`kept_link` found in the last :data:`KEEP_SECONDS`."""
    hit = _kept.get((domain, code))
    return hit[0] if hit is not None and now - hit[1] < KEEP_SECONDS else None


async def kept_link(session: AsyncSession, code: str, domain: str) -> AimLink | None:
    """The code on ``domain``, else on any domain, kept for :data:`KEEP_SECONDS`
    once found.  What the card page and a parse read of a kept link (code,
    domain, tenant, template, task, the recipient's values, custom_url,
    expiry) never changes after it is minted; its counters are never read from
    it (a parse counts in the UPDATE itself and reads them fresh when it
    needs them)."""
    domain = domain.lower()
    now = time.monotonic()
    link = kept(domain, code, now)
    if link is None:
        link = await find_link(session, code, domain) or await find_link(session, code)
        if link is not None:
            if len(_kept) > 100_000:
                _kept.clear()
            _kept[domain, code] = (link, now)
    return link


_signs: dict[str, list[str]] = {}


async def task_signs(session: AsyncSession, task_id: str) -> list[str]:
    """The ``sms_signs`` of a resolve task, kept once read: a task never
    changes after it is made (and its links go with it)."""
    signs = _signs.get(task_id)
    if signs is None:
        signs = (await session.execute(select(AimResolveTask.sms_signs).where(AimResolveTask.id == task_id))).scalar_one()
        if len(_signs) >= 100_000:
            _signs.clear()
        _signs[task_id] = signs
    return signs


async def active_makers(session: AsyncSession, tenant_id: str, tpl_id: str) -> frozenset[str]:
    """The makers a link's template is active at, in one statement
    (:func:`tidings.aim.queries.task_template`): none when the tenant may no
    longer use it (:meth:`~tidings.aim.queries.TaskTemplate.usable_by`, the rule
    resolve and send tasks start by).  Read on every parse, never kept: a
    template disabled a moment ago stops its links now."""
    tpl = await queries.task_template(session, tpl_id)
    return tpl.makers if tpl is not None and tpl.usable_by(tenant_id) else frozenset()


_P, _L = AimParse.__table__.c, AimLink.__table__.c


async def parse(session: AsyncSession, link: AimLink, handset: Handset, now: datetime | None = None) -> Outcome:
    """Resolve ``link`` for ``handset`` inside the caller's write transaction.

    ``link`` may be a kept one (:func:`kept_link`): its counters are not read
    from it.  A success is counted by the conditional UPDATE (the link is
    spent when it counts nothing); a failure after the signature check reads
    the counters, since a spent link fails as spent before the handset is
    looked at."""
    now = now or utcnow()
    source = handset.source[:64]
    earlier = (await session.execute(select(_P.id, _P.status).where(_P.link_id == link.id, _P.source == source))).first()
    if earlier is not None:
        return Outcome(earlier.status, DESCRIBE.get(earlier.status, ""), link, earlier.id, repeated=True)
    signs = await task_signs(session, link.task_id)
    status = verdict(link, signs, handset, frozenset(), now)
    if status == TEMPLATE_INACTIVE:  # a capable handset: is the template active at its maker?
        status = verdict(link, signs, handset, await active_makers(session, link.tenant_id, link.tpl_id), now)
    if status == OK:
        # Counted only while under resolving_times, in the statement itself:
        # two handsets racing for a link's last resolve cannot both win.
        # (Core statements on the table: no ORM bulk-update bookkeeping per parse.)
        won = await affected(session, update(AimLink.__table__).where(_L.id == link.id, _L.resolved_times < _L.resolving_times)
                             .values(resolved_times=_L.resolved_times + 1, resolved_at=now))
        status = OK if won else EXHAUSTED
    elif status in (INCAPABLE, TEMPLATE_INACTIVE):
        counts = (await session.execute(select(_L.resolved_times, _L.resolving_times).where(_L.id == link.id))).one()
        if counts.resolved_times >= counts.resolving_times:
            status = EXHAUSTED
    parse_id = uuid_id()
    await session.execute(insert(AimParse.__table__).values(
        id=parse_id, link_id=link.id, tenant_id=link.tenant_id, tpl_id=link.tpl_id, source=source, mobile=handset.number[:40],
        maker=handset.maker or "", sms_sign=handset.sms_sign[:64], status=status, describe=DESCRIBE[status], day=now.strftime("%Y-%m-%d"), at=now))
    if status == OK:
        await enqueue_aim_receipts(session, link.tenant_id, "shortchain", [shortchain(link, link.task_id)])
        await record(session, [MeterEvent(link.tenant_id, PRODUCT, METRIC, 1, parse_id, now)])
    else:
        await session.execute(update(AimLink.__table__).where(_L.id == link.id).values(failed_times=_L.failed_times + 1))
    return Outcome(status, DESCRIBE[status], link, parse_id)
