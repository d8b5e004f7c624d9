"""Exposures and clicks of cards, and the template reports built from them.

Both the card page (``/s/{code}``) and the virtual phone send batched
beacons (``POST /s/{code}/events``, tidings/aim/static/beacon.js): an
``expose`` when a card is shown, a ``click`` per click with its component
(``button#3``: the component's type and its place on the card).  The visitor
is the handset: its number on the virtual phone, the first-party cookie in a
browser; UV counts distinct visitors per template and day.

``list_aim_template_reports`` reads these rows and the successful parses at
query time: a report is as fresh as the last beacon (upstream publishes a day
at 16:00 the next day).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, distinct, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.store.models.aim import AimEvent, AimParse
from tidings.timeutil import utcnow

EXPOSE, CLICK = "expose", "click"
MAX_EVENTS = 50  # per beacon
_COMPONENT = re.compile(r"[A-Za-z]{1,24}#\d{1,3}(:[A-Z_]{1,20})?")


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    component: str = ""


def clean(raw: object) -> list[Event]:
    """The beacon's events that make sense (unknown kinds and odd component
    names are dropped, not stored): at most :data:`MAX_EVENTS`."""
    out: list[Event] = []
    if not isinstance(raw, list):
        return out
    for item in raw[:MAX_EVENTS]:
        if not isinstance(item, dict):
            continue
        kind = item.get("kind")
        component = str(item.get("component") or "")
        if kind == EXPOSE:
            out.append(Event(EXPOSE))
        elif kind == CLICK and _COMPONENT.fullmatch(component):
            out.append(Event(CLICK, component))
    return out


async def store(session: AsyncSession, *, tenant_id: str, tpl_id: str, link_id: str, maker: str, visitor: str,
                events: Sequence[Event], now: datetime | None = None) -> int:
    now = now or utcnow()
    day = now.strftime("%Y-%m-%d")
    rows = [{"tenant_id": tenant_id, "tpl_id": tpl_id, "link_id": link_id, "kind": e.kind, "maker": maker, "visitor": visitor[:64],
             "component": e.component, "day": day, "at": now} for e in events]
    if rows:
        await session.execute(insert(AimEvent.__table__), rows)
    return len(rows)


# --- reports ------------------------------------------------------------------------------------------
MAX_DAYS = 90


@dataclass(slots=True)
class Row:
    tpl_id: str
    day: str
    expose_pv: int = 0
    expose_uv: int = 0
    click_pv: int = 0
    click_uv: int = 0
    resolves: int = 0


def days_between(begin: datetime, end: datetime) -> tuple[str, str]:
    return begin.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


async def report(session: AsyncSession, tenant_id: str, tpl_ids: Sequence[str], begin: datetime, end: datetime,
                 makers: Sequence[str] | None) -> list[Row]:
    """One row per template and day with any exposure, click or parse,
    ordered by template then day; ``makers`` (upper case) narrows to handsets
    of those makers (a browser of unknown maker then counts nowhere)."""
    first, last = days_between(begin, end)
    E, P = AimEvent.__table__.c, AimParse.__table__.c
    ev_conds = [E.tenant_id == tenant_id, E.tpl_id.in_(tpl_ids), E.day >= first, E.day <= last, E.at >= begin, E.at <= end]
    pa_conds = [P.tenant_id == tenant_id, P.tpl_id.in_(tpl_ids), P.day >= first, P.day <= last, P.at >= begin, P.at <= end, P.status == 0]
    if makers:
        ev_conds.append(E.maker.in_(makers))
        pa_conds.append(P.maker.in_(makers))
    rows: dict[tuple[str, str], Row] = {}
    q = (select(E.tpl_id, E.day, E.kind, func.count(), func.count(distinct(E.visitor)))
         .where(and_(*ev_conds)).group_by(E.tpl_id, E.day, E.kind))
    for tpl, day, kind, pv, uv in (await session.execute(q)).all():
        row = rows.setdefault((tpl, day), Row(tpl, day))
        if kind == EXPOSE:
            row.expose_pv, row.expose_uv = pv, uv
        elif kind == CLICK:
            row.click_pv, row.click_uv = pv, uv
    q = select(P.tpl_id, P.day, func.count()).where(and_(*pa_conds)).group_by(P.tpl_id, P.day)
    for tpl, day, n in (await session.execute(q)).all():
        rows.setdefault((tpl, day), Row(tpl, day)).resolves = n
    return [rows[k] for k in sorted(rows)]


def row_view(row: Row) -> dict:
    start = datetime.strptime(row.day, "%Y-%m-%d")
    end = start + timedelta(days=1) - timedelta(seconds=1)
    return {"tpl_id": row.tpl_id, "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resolving_times": row.resolves, "expose_pv": row.expose_pv, "expose_uv": row.expose_uv,
            "click_pv": row.click_pv, "click_uv": row.click_uv}
