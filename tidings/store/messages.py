"""Queries of the message pipeline: accepting, claiming, recording, reports,
the virtual phone's inbox (contract C4), the signature-delete guard (C2) and
the message log.

Everything on the hot path is a Core statement over a batch: one multi-row
INSERT per accepted request, one SELECT per claimed batch, one UPDATE
(``WHERE id IN`` when every row changes alike, executemany otherwise) per
recorded batch.  The ORM is used only for the log's single-row reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.domain.frequency import Counter
from tidings.store.dialect import affected, built_once, chunks, dialect_insert, executemany, is_postgres, one_of
from tidings.store.models.pipeline import (
    EXPIRED,
    IN_FLIGHT,
    QUEUED,
    SUBMITTED,
    SUBMITTING,
    UNKNOWN,
    FrequencyCounter,
    IdempotencyKey,
    Message,
    MessageStatus,
    ReceiptHolder,
    SendTask,
    Uplink,
)
from tidings.store.tenants import owned
from tidings.timeutil import utcnow

M = Message.__table__
CHUNK = 500  # ids per IN (...) list: far below every bind-parameter limit
LIST = 5000  # ids per one_of(...) (one bound parameter, whatever the count)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    return chunks(items, size)


# --- accepting ---------------------------------------------------------------------
async def insert_accepted(session: AsyncSession, task: dict, messages: list[dict]) -> None:
    await session.execute(SendTask.__table__.insert().values(task))
    # executemany: one cached statement (the drivers batch it), instead of
    # compiling a 500-row VALUES list per request.
    await executemany(session, _INSERT, messages)


_INSERT = M.insert()


async def lock_tenant_sends(session: AsyncSession, tenant_id: str) -> None:
    """PostgreSQL: serialize one tenant's accept transactions so the
    frequency counters are read and written without a race (SQLite's single
    writer already does)."""
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("tidings.send:" + tenant_id))))


async def load_counters(session: AsyncSession, tenant_id: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Counter]:
    if not keys:
        return {}
    t = FrequencyCounter.__table__
    out: dict[tuple[str, str], Counter] = {}
    by_scope: dict[str, list[str]] = {}
    for scope, number in keys:
        by_scope.setdefault(scope, []).append(number)
    for scope, numbers in by_scope.items():
        for chunk in _chunks(numbers, LIST):
            rows = await session.execute(
                select(t.c.number, t.c.minute_window, t.c.minute_count, t.c.hour_window, t.c.hour_count, t.c.day_window, t.c.day_count).where(
                    t.c.tenant_id == tenant_id, t.c.scope == scope, one_of(session, t.c.number, chunk)
                )
            )
            for r in rows:
                out[(scope, r[0])] = Counter(r[1], r[2], r[3], r[4], r[5], r[6])
    return out


async def save_counters(session: AsyncSession, tenant_id: str, counters: dict[tuple[str, str], Counter]) -> None:
    if not counters:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "scope": scope,
            "number": number,
            "minute_window": c.minute_window,
            "minute_count": c.minute_count,
            "hour_window": c.hour_window,
            "hour_count": c.hour_count,
            "day_window": c.day_window,
            "day_count": c.day_count,
        }
        for (scope, number), c in counters.items()
    ]
    await executemany(session, built_once(session, "save_counters", _counters_upsert), rows)


def _counters_upsert(session: AsyncSession) -> Any:
    stmt = dialect_insert(session, FrequencyCounter.__table__)
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["tenant_id", "scope", "number"],
        set_={k: getattr(ex, k) for k in ("minute_window", "minute_count", "hour_window", "hour_count", "day_window", "day_count")},
    )


async def prune_counters(session: AsyncSession, before_day_window: int) -> int:
    t = FrequencyCounter.__table__
    return await affected(session, t.delete().where(t.c.day_window < before_day_window))


async def idempotent_answer(session: AsyncSession, tenant_id: str, key: str) -> IdempotencyKey | None:
    return (
        await session.execute(select(IdempotencyKey).where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key))
    ).scalar_one_or_none()


async def save_idempotent(session: AsyncSession, tenant_id: str, key: str, operation: str, request_hash: str, response: dict, now: datetime) -> None:
    await session.execute(
        IdempotencyKey.__table__.insert().values(
            tenant_id=tenant_id, key=key, operation=operation, request_hash=request_hash, response=response, created_at=now
        )
    )


async def prune_idempotency(session: AsyncSession, before: datetime) -> int:
    t = IdempotencyKey.__table__
    return await affected(session, t.delete().where(t.c.created_at < before))


# --- dispatching ---------------------------------------------------------------------
CLAIM_COLUMNS = (
    M.c.id,
    M.c.tenant_id,
    M.c.task_id,
    M.c.product,
    M.c.channel_num,
    M.c.number,
    M.c.to,
    M.c.text,
    M.c.parts,
    M.c.attempts,
    M.c.expires_at,
    M.c.signature,
    M.c.extend,
    M.c.created_at,
    M.c.submitted_at,
    M.c.status,
    M.c.aim_tpl_id,
    M.c.aim_url,
)


async def claim_due(session: AsyncSession, channel: str, now: datetime, limit: int, statuses: tuple[str, ...] = (QUEUED,)) -> list[Any]:
    """Due messages of ``channel``, oldest first.  On PostgreSQL the rows are
    locked (``FOR UPDATE SKIP LOCKED``) so concurrent workers take disjoint
    batches; on SQLite the caller holds the single write lock."""
    stmt = (
        select(*CLAIM_COLUMNS)
        .where(M.c.status.in_(statuses), M.c.channel == channel, M.c.next_attempt_at <= now)
        .order_by(M.c.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).all())


async def orphaned_queued(session: AsyncSession, known_channels: list[str], limit: int = 5000) -> list[Any]:
    """Queued messages routed to a channel this process does not run (removed,
    or disabled before a restart): nobody would ever claim them."""
    stmt = (
        select(M.c.id, M.c.tenant_id, M.c.number, M.c.channel_num, M.c.product, M.c.channel)
        .where(M.c.status == QUEUED, M.c.channel.not_in(known_channels))
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).all())


@dataclass(frozen=True, slots=True)
class Move:
    """A queued message given to another channel."""

    id: str
    channel: str


async def move_queued(session: AsyncSession, moves: Sequence[Move]) -> None:
    """Give queued messages another channel.  Only messages still queued move
    (a report or another worker may have settled one meanwhile)."""
    if moves:
        stmt = update(M).where(M.c.id == bindparam("b_id"), M.c.status == QUEUED).values(channel=bindparam("b_channel"))
        await session.execute(stmt, [{"b_id": m.id, "b_channel": m.channel} for m in moves])


async def mark_submitting(session: AsyncSession, ids: list[str], lease_until: datetime) -> None:
    for chunk in _chunks(ids, LIST):
        await session.execute(update(M).where(one_of(session, M.c.id, chunk)).values(status=SUBMITTING, next_attempt_at=lease_until))


async def mark_submitted_alike(session: AsyncSession, ids: list[str], now: datetime) -> None:
    """The common case: every message of the batch accepted, carrier ids not
    needed (the channel's reports name our ids).  One UPDATE for all."""
    for chunk in _chunks(sorted(ids), LIST):
        await session.execute(
            update(M)
            .where(one_of(session, M.c.id, chunk))
            .values(status=SUBMITTED, submitted_at=now, attempts=M.c.attempts + 1, next_attempt_at=M.c.expires_at, status_code=None, status_desc=None)
        )


# Constants rendered into the SQL: executemany() cannot expand an IN list.
_MOVABLE = or_(*(M.c.status == literal_column(f"'{s}'") for s in (QUEUED, SUBMITTING, UNKNOWN)))

_RECORD = (
    update(M)
    .where(M.c.id == bindparam("b_id"))
    .values(
        # A report may have finalized the message while the submit was in
        # flight (fast carriers): then only the bookkeeping columns change.
        status=case((_MOVABLE, bindparam("b_status")), else_=M.c.status),
        next_attempt_at=case((_MOVABLE, bindparam("b_next")), else_=M.c.next_attempt_at),
        status_code=case((_MOVABLE, bindparam("b_code")), else_=M.c.status_code),
        status_desc=case((_MOVABLE, bindparam("b_desc")), else_=M.c.status_desc),
        attempts=bindparam("b_attempts"),
        submitted_at=func.coalesce(M.c.submitted_at, bindparam("b_submitted")),
        reported_at=func.coalesce(M.c.reported_at, bindparam("b_reported")),
        carrier_ids=func.coalesce(bindparam("b_carrier", type_=M.c.carrier_ids.type), M.c.carrier_ids),
    )
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message's submit (or of its expiry before one)."""

    id: str
    status: MessageStatus
    next_attempt_at: datetime | None
    code: str | None
    desc: str | None
    attempts: int
    submitted_at: datetime | None = None
    reported_at: datetime | None = None
    carrier_ids: list[str] | None = None


async def record_outcomes(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    if outcomes:
        # In id order, the order the report intake locks them (load_for_reports):
        # on PostgreSQL a receipt can arrive while its submit is being recorded,
        # and two transactions locking the same rows in different orders deadlock.
        await executemany(session, _RECORD, [
            {"b_id": o.id, "b_status": o.status, "b_next": o.next_attempt_at, "b_code": o.code, "b_desc": (o.desc or "")[:255] or None,
             "b_attempts": o.attempts, "b_submitted": o.submitted_at, "b_reported": o.reported_at, "b_carrier": o.carrier_ids}
            for o in sorted(outcomes, key=attrgetter("id"))
        ])


_EXPIRE = (
    update(M)
    .where(M.c.id == bindparam("b_id"), M.c.status == SUBMITTED)
    .values(status=EXPIRED, status_code=bindparam("b_code"), status_desc=bindparam("b_desc"), reported_at=bindparam("b_reported"),
            next_attempt_at=None)
)


async def expire_submitted(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Submitted messages unreported past their validity (record_outcomes only
    moves messages out of queued/submitting/unknown; this, out of submitted)."""
    if outcomes:
        await session.execute(_EXPIRE, [{"b_id": o.id, "b_code": o.code, "b_desc": o.desc, "b_reported": o.reported_at} for o in outcomes])


async def due_expiries(session: AsyncSession, channel: str, now: datetime, limit: int) -> list[Any]:
    """Submitted messages still unreported past their validity (a submitted
    message's ``next_attempt_at`` is its expiry time)."""
    stmt = (
        select(*CLAIM_COLUMNS, M.c.part_reports)
        .where(M.c.status == SUBMITTED, M.c.channel == channel, M.c.next_attempt_at <= now)
        .order_by(M.c.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).all())


async def expired_leases(session: AsyncSession, channel: str, now: datetime, limit: int = 5000) -> list[str]:
    stmt = select(M.c.id).where(M.c.status == SUBMITTING, M.c.channel == channel, M.c.next_attempt_at <= now).limit(limit)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return [r[0] for r in await session.execute(stmt)]


async def mark_unknown(session: AsyncSession, ids: list[str], now: datetime, desc: str) -> None:
    for chunk in _chunks(ids, LIST):
        await session.execute(
            update(M)
            .where(one_of(session, M.c.id, chunk), M.c.status == SUBMITTING)
            .values(status=UNKNOWN, status_code="UNKNOWN", status_desc=desc, next_attempt_at=now)
        )


async def submitted_unreported(session: AsyncSession, channel: str, after_id: str, limit: int) -> list[Any]:
    """Submitted, unreported messages of ``channel`` in id order (paged by
    ``after_id``), for re-arming an in-process carrier's receipts."""
    stmt = (
        select(M.c.id, M.c.number, M.c.parts, M.c.submitted_at, M.c.part_reports)
        .where(M.c.status == SUBMITTED, M.c.channel == channel, M.c.id > after_id)
        .order_by(M.c.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


# --- receipt holders (tidings/dispatch/holders.py) ---------------------------------------
H = ReceiptHolder.__table__


async def renew_holder(session: AsyncSession, holder_id: str, channel: str, lease_until: datetime, process: str) -> None:
    ins = dialect_insert(session, H)
    await session.execute(
        ins.values(id=holder_id, channel=channel, lease_until=lease_until, started_at=utcnow(), process=process)
        .on_conflict_do_update(index_elements=["id"], set_={"lease_until": ins.excluded.lease_until})
    )


async def drop_holders(session: AsyncSession, channel: str, before: datetime | None, keep: str) -> list[str]:
    """Delete the holders of ``channel`` whose lease ended before ``before``
    (every other holder when None) and return their ids.  A DELETE, so of two
    workers noticing the same dead holder only one gets it."""
    stmt = H.delete().where(H.c.channel == channel, H.c.id != keep)
    if before is not None:
        stmt = stmt.where(H.c.lease_until < before)
    return [r[0] for r in await session.execute(stmt.returning(H.c.id))]


# --- reports -------------------------------------------------------------------------
REPORT_COLUMNS = (
    M.c.id,
    M.c.tenant_id,
    M.c.task_id,
    M.c.product,
    M.c.to,
    M.c.signature,
    M.c.extend,
    M.c.parts,
    M.c.status,
    M.c.created_at,
    M.c.submitted_at,
    # Not carrier_ids: no receipt or meter reads them, and on SMPP every row
    # has a JSON list that would be decoded for nothing.
    M.c.part_reports,
    M.c.next_attempt_at,
    M.c.aim_tpl_id,
    M.c.aim_url,
)


async def load_for_reports(session: AsyncSession, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # Sorted, so concurrent report batches on PostgreSQL lock rows in one order.
    for chunk in _chunks(sorted(ids), LIST):
        stmt = select(*REPORT_COLUMNS).where(one_of(session, M.c.id, chunk)).order_by(M.c.id)
        if is_postgres(session):
            stmt = stmt.with_for_update()
        for row in await session.execute(stmt):
            out[row.id] = row
    return out


_REPORT = (
    update(M)
    .where(M.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        status_code=bindparam("b_code"),
        status_desc=bindparam("b_desc"),
        reported_at=bindparam("b_reported"),
        part_reports=bindparam("b_parts", type_=M.c.part_reports.type),
        next_attempt_at=bindparam("b_next"),
        submitted_at=func.coalesce(M.c.submitted_at, bindparam("b_reported")),
    )
)


async def finalize_alike(session: AsyncSession, ids: list[str], status: str, code: str, desc: str, reported: datetime, part_reports: list) -> None:
    """Single-part messages that got the same report: one UPDATE for all."""
    for chunk in _chunks(ids, LIST):
        await session.execute(
            update(M)
            .where(one_of(session, M.c.id, chunk))
            .values(
                status=status,
                status_code=code,
                status_desc=desc,
                reported_at=reported,
                part_reports=part_reports,
                next_attempt_at=None,
                submitted_at=func.coalesce(M.c.submitted_at, reported),
            )
        )


@dataclass(frozen=True, slots=True)
class ReportUpdate:
    """A multi-part message's reports so far; final when every part is in."""

    id: str
    status: str
    code: str | None
    desc: str | None
    reported_at: datetime | None
    part_reports: list[dict[str, Any]]
    next_attempt_at: datetime | None


async def record_reports(session: AsyncSession, updates: Sequence[ReportUpdate]) -> None:
    if updates:
        await executemany(session, _REPORT, [
            {"b_id": u.id, "b_status": u.status, "b_code": u.code, "b_desc": u.desc, "b_reported": u.reported_at, "b_parts": u.part_reports,
             "b_next": u.next_attempt_at}
            for u in updates
        ])


# --- uplinks -------------------------------------------------------------------------
async def insert_uplinks(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(Uplink.__table__.insert(), rows)


async def list_uplinks(session: AsyncSession, tenant_id: str, limit: int = 50) -> list[Uplink]:
    return list(
        (await session.execute(select(Uplink).where(Uplink.tenant_id == tenant_id).order_by(Uplink.received_at.desc()).limit(limit))).scalars()
    )


# --- C4: the virtual phone -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InboxItem:
    msg_id: str
    source: str  # channel number (sender port)
    signature: str
    text: str  # full text as the handset shows it
    received_at: datetime
    status: str  # DELIVRD / failure code / pending


async def inbox(session: AsyncSession, number: str, channel: str, limit: int = 100) -> list[InboxItem]:
    """What handset ``number`` (E.164 digits) received over ``channel`` (the
    sandbox carrier's, for the virtual phone), newest first: every message
    handed to that channel for it, of any tenant."""
    rows = await session.execute(
        select(M.c.id, M.c.channel_num, M.c.signature, M.c.text, M.c.submitted_at, M.c.reported_at, M.c.status, M.c.status_code)
        .where(M.c.number == number, M.c.channel == channel, M.c.submitted_at.is_not(None))
        .order_by(M.c.created_at.desc())
        .limit(limit)
    )
    out = []
    for mid, source, signature, text, submitted_at, reported_at, status, code in rows:
        shown = "pending" if status in (SUBMITTED, SUBMITTING, QUEUED, UNKNOWN) else (code or status)
        out.append(InboxItem(mid, source, signature, text, reported_at or submitted_at, shown))
    return out


async def replies_from(session: AsyncSession, number: str, channel: str, limit: int = 100) -> list[Uplink]:
    """What the handset ``number`` sent over ``channel`` (the virtual phone's own replies), newest first."""
    stmt = select(Uplink).where(Uplink.source == number, Uplink.channel == channel).order_by(Uplink.received_at.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


# --- C2: signature deletion guard (asked by tidings.sms.lifecycle) -----------------------------------------------------------
async def in_flight_for_signature(session: AsyncSession, tenant_id: str, signature_id: str) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).select_from(M).where(M.c.status.in_(IN_FLIGHT), M.c.tenant_id == tenant_id, M.c.signature_id == signature_id)
            )
        ).scalar_one()
    )


# --- the message log -------------------------------------------------------------------------
@dataclass(slots=True)
class LogFilter:
    number: str | None = None  # E.164 digits
    task_id: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_messages(session: AsyncSession, tenant_id: str, f: LogFilter, offset: int, limit: int) -> tuple[list[Message], int]:
    """A tenant's messages, newest first, and how many match."""
    cond = [Message.tenant_id == tenant_id]
    if f.number:
        cond.append(Message.number == f.number)
    if f.task_id:
        cond.append(Message.task_id == f.task_id)
    if f.status:
        cond.append(Message.status == f.status)
    if f.since:
        cond.append(Message.created_at >= f.since)
    if f.until:
        cond.append(Message.created_at < f.until)
    where = and_(*cond)
    total = int((await session.execute(select(func.count()).select_from(Message).where(where))).scalar_one())
    rows = (
        await session.execute(select(Message).where(where).order_by(Message.created_at.desc(), Message.id.desc()).offset(offset).limit(limit))
    ).scalars()
    return list(rows), total


async def get_message(session: AsyncSession, tenant_id: str, msg_id: str) -> Message | None:
    return await owned(session, Message, tenant_id, msg_id)


async def get_task(session: AsyncSession, tenant_id: str, task_id: str) -> SendTask | None:
    return await owned(session, SendTask, tenant_id, task_id)


async def status_counts(session: AsyncSession, tenant_id: str | None = None) -> dict[str, int]:
    stmt = select(M.c.status, func.count()).group_by(M.c.status)
    if tenant_id:
        stmt = stmt.where(M.c.tenant_id == tenant_id)
    return {s: int(n) for s, n in await session.execute(stmt)}

