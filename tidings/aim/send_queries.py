"""What the send queries read: send tasks, per-number send details (the
``aim`` messages only; plain SMS stay in the message log) and the daily or
monthly send reports.  Windows: ``begin_time`` and ``end_time`` both or
neither, at most a year back; ``offset + limit`` past 10,000 answers an empty
page (upstream's rule)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.errors import invalid
from tidings.store.models.aim import AimLink, AimParse, AimTemplate
from tidings.store.models.aim_send import AimSendTask
from tidings.store.models.pipeline import DELIVERED, EXPIRED, FAILED, REJECTED, Message
from tidings.timeutil import parse_wire, utcnow, wire_z

MAX_WINDOW = 10_000
LOOKBACK = timedelta(days=366)
M = Message.__table__
T = AimSendTask.__table__

Window = tuple[datetime, datetime] | None


def window(begin_time: str | None, end_time: str | None, *, default_days: int | None) -> Window:
    """Both or neither; neither is the last ``default_days`` (None: no window)."""
    try:
        begin, end = parse_wire(begin_time), parse_wire(end_time)
    except ValueError:
        raise invalid("begin_time" if begin_time else "end_time", "must look like 2019-10-12T07:20:50Z") from None
    now = utcnow()
    if begin is None or end is None:
        return (now - timedelta(days=default_days), now) if default_days else None
    if begin > end:
        raise invalid("begin_time", "must not be after end_time")
    return max(begin, now - LOOKBACK), end


def _beyond(offset: int, limit: int) -> bool:
    return offset + limit > MAX_WINDOW


@dataclass(frozen=True, slots=True)
class TaskFilter:
    task_id: str | None
    task_name: str | None
    tpl_id: str | None
    tpl_name: str | None
    window: Window
    state: str | None


async def list_tasks(session: AsyncSession, tenant_id: str, f: TaskFilter, offset: int, limit: int) -> tuple[list[dict], int]:
    conds = [T.c.tenant_id == tenant_id]
    if f.task_id:
        conds.append(T.c.id == f.task_id)
    if f.task_name:
        conds.append(T.c.task_name == f.task_name)
    if f.tpl_id:
        conds.append(T.c.tpl_id == f.tpl_id)
    if f.tpl_name:
        conds.append(T.c.tpl_id.in_(select(AimTemplate.id).where(AimTemplate.name == f.tpl_name)))
    if f.state:
        conds.append(T.c.state == f.state)
    if f.window and not f.task_id:
        conds.append(T.c.created_at.between(*f.window))
    where = and_(*conds)
    total = int((await session.execute(select(func.count()).select_from(T).where(where))).scalar_one())
    if _beyond(offset, limit):
        return [], total
    tasks = (await session.execute(select(T).where(where).order_by(T.c.created_at.desc(), T.c.id.desc()).offset(offset).limit(limit))).all()
    ids = [t.id for t in tasks]
    delivered = await _delivered(session, ids)
    resolved = await _resolved(session, [t.resolve_task_id for t in tasks])
    return [
        {
            "task_name": t.task_name,
            "sms_channel": {"sms_sign": t.sms_sign, "sms_tpl_id": t.sms_tpl_id, "channel_number": t.channel_number, "sms_app_name": t.sms_app_name},
            "resolve_task": {"tpl_id": t.tpl_id, "resolve_times": 1, "aim_code_type": "individual", "domain": t.domain, "expiration_time": t.expiration_days},
            "task_id": t.id,
            "task_state": t.state,
            "creation_time": wire_z(t.created_at),
            "submission_count": t.submission_count,
            "send_count": t.send_count,
            "resolve_count": resolved.get(t.resolve_task_id, 0),
            "support_resolve_count": t.support_resolve_count,
            "failed_short_chains": t.failed_short_chains or None,
            "success_number": delivered.get(t.id, 0),
        }
        for t in tasks
    ], total


async def _delivered(session: AsyncSession, task_ids: list[str]) -> dict[str, int]:
    if not task_ids:
        return {}
    rows = await session.execute(
        select(M.c.task_id, func.count()).where(M.c.task_id.in_(task_ids), M.c.product == "aim", M.c.status == DELIVERED).group_by(M.c.task_id)
    )
    return {k: int(n) for k, n in rows}


async def _resolved(session: AsyncSession, resolve_task_ids: list[str]) -> dict[str, int]:
    if not resolve_task_ids:
        return {}
    rows = await session.execute(
        select(AimLink.task_id, func.count()).where(AimLink.task_id.in_(resolve_task_ids), AimLink.resolved_times > 0).group_by(AimLink.task_id)
    )
    return {k: int(n) for k, n in rows}


@dataclass(frozen=True, slots=True)
class DetailFilter:
    task_id: str | None
    tpl_id: str | None
    sms_sign: str | None
    cust_flag: str | None
    window: Window


def send_status(status: str) -> str:
    """The send-details query's simplified status (the callback carries the carrier's code)."""
    if status == DELIVERED:
        return "success"
    if status in (FAILED, EXPIRED, REJECTED):
        return "fail"
    return "sending"


async def list_details(session: AsyncSession, tenant_id: str, f: DetailFilter, offset: int, limit: int) -> tuple[list[dict], int]:
    conds = [M.c.tenant_id == tenant_id, M.c.product == "aim"]
    if f.task_id:
        conds.append(M.c.task_id == f.task_id)
    if f.tpl_id:
        conds.append(M.c.aim_tpl_id == f.tpl_id)
    if f.sms_sign:
        conds.append(M.c.signature == f.sms_sign)
    if f.cust_flag:
        conds.append(M.c.to == f.cust_flag)
    if f.window:
        conds.append(M.c.created_at.between(*f.window))
    where = and_(*conds)
    total = int((await session.execute(select(func.count()).select_from(M).where(where))).scalar_one())
    if _beyond(offset, limit):
        return [], total
    rows = (
        await session.execute(
            select(M.c.id, M.c.task_id, M.c.aim_tpl_id, M.c.to, M.c.status, M.c.status_code, M.c.created_at, M.c.submitted_at, M.c.reported_at,
                   T.c.task_name, AimTemplate.name)
            .join(T, T.c.id == M.c.task_id)
            .join(AimTemplate, AimTemplate.id == M.c.aim_tpl_id, isouter=True)
            .where(where)
            .order_by(M.c.created_at.desc(), M.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [
        {
            "msg_id": r.id,
            "task_id": r.task_id,
            "task_name": r.task_name,
            "tpl_id": r.aim_tpl_id,
            "tpl_name": r.name or "",
            "cust_flag": r.to,
            "send_account": r.to,
            "send_status": send_status(r.status),
            "send_time": wire_z(r.submitted_at or r.created_at),
            "receive_time": wire_z(r.reported_at),
            "result_code": r.status_code or "",
        }
        for r in rows
    ], total


async def reports(
    session: AsyncSession, tenant_id: str, *, monthly: bool, window: Window, tpl_id: str | None, tpl_name: str | None, offset: int, limit: int
) -> tuple[list[dict], int]:
    """Per template and day (``2022-07-15``) or month (``2022-07``), UTC, newest first.

    ``submission_count`` and ``send_count`` from the send tasks created then,
    ``support_resolve_count`` only from send flows (API tasks are -1, as
    upstream excludes them), ``send_success_count`` their delivered smart
    messages, ``resolve_success_count`` the successful parses that day."""
    assert window is not None
    cut = 7 if monthly else 10
    conds = [T.c.tenant_id == tenant_id, T.c.created_at.between(*window)]
    if tpl_id:
        conds.append(T.c.tpl_id == tpl_id)
    if tpl_name:
        conds.append(T.c.tpl_id.in_(select(AimTemplate.id).where(AimTemplate.name == tpl_name)))
    tasks = (await session.execute(select(T.c.id, T.c.tpl_id, T.c.created_at, T.c.submission_count, T.c.send_count, T.c.support_resolve_count)
                                   .where(and_(*conds)))).all()
    delivered = await _delivered_in(session, [t.id for t in tasks])
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for t in tasks:
        row = acc[(t.created_at.isoformat()[:cut], t.tpl_id)]
        row[0] += t.submission_count
        row[1] += max(t.support_resolve_count, 0)
        row[2] += t.send_count
        row[3] += delivered.get(t.id, 0)
    pconds = [AimParse.tenant_id == tenant_id, AimParse.status == 0, AimParse.at.between(*window)]
    if tpl_id:
        pconds.append(AimParse.tpl_id == tpl_id)
    if tpl_name:
        pconds.append(AimParse.tpl_id.in_(select(AimTemplate.id).where(AimTemplate.name == tpl_name)))
    for day, tpl, n in await session.execute(select(AimParse.day, AimParse.tpl_id, func.count()).where(*pconds).group_by(AimParse.day, AimParse.tpl_id)):
        acc[(day[:cut], tpl)][4] += int(n)
    keys = sorted(acc, key=lambda k: (k[0], k[1]), reverse=True)
    total = len(keys)
    if _beyond(offset, limit):
        return [], total
    page = keys[offset : offset + limit]
    names = dict((await session.execute(select(AimTemplate.id, AimTemplate.name).where(AimTemplate.id.in_({k[1] for k in page})))).all()) if page else {}
    return [
        {"report_time": k[0], "tpl_id": k[1], "tpl_name": names.get(k[1], ""), "submission_count": acc[k][0], "support_resolve_count": acc[k][1],
         "send_count": acc[k][2], "send_success_count": acc[k][3], "resolve_success_count": acc[k][4]}
        for k in page
    ], total


async def _delivered_in(session: AsyncSession, task_ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(task_ids), 1000):
        out.update(await _delivered(session, task_ids[i : i + 1000]))
    return out
