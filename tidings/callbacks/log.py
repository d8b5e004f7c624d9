"""What the callbacks did, for tenants and the message log: deliveries per
subject (message id, uplink id ...: which requests carried a message's
receipts, where to, their state, and every attempt made), the recent attempts
and the backlog."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.store.models.callbacks import CallbackAttempt, CallbackOutbox, CallbackSubject, OutboxStatus


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    outcome: str  # delivered | retrying | failed
    http_status: int | None
    error: str | None
    started_at: datetime
    duration_ms: int


@dataclass(slots=True)
class Delivery:
    request_id: str
    kind: str
    url: str
    batch: bool
    status: str  # pending | delivered | failed
    next_attempt_at: datetime | None
    attempts: list[Attempt] = field(default_factory=list)


async def callback_attempts(session: AsyncSession, tenant_id: str, subject_ids: list[str]) -> dict[str, list[Delivery]]:
    """Deliveries of each subject (single events and batches), oldest first."""
    if not subject_ids:
        return {}
    o = CallbackOutbox
    singles = select(o.subject_id, o.request_id).where(o.tenant_id == tenant_id, o.subject_id.in_(subject_ids))
    batched = (
        select(CallbackSubject.subject_id, CallbackSubject.request_id)
        .join(o, o.request_id == CallbackSubject.request_id)
        .where(o.tenant_id == tenant_id, CallbackSubject.subject_id.in_(subject_ids))
    )
    pairs = (await session.execute(singles.union_all(batched))).all()
    by_request: dict[str, list[str]] = defaultdict(list)
    for subject, request_id in pairs:
        if subject is not None:  # always: the filter is on subject_id (the column is nullable)
            by_request[request_id].append(subject)
    if not by_request:
        return {}
    rows = (await session.execute(select(o).where(o.request_id.in_(list(by_request))).order_by(o.id))).scalars().all()
    attempts = (
        await session.execute(
            select(CallbackAttempt).where(CallbackAttempt.request_id.in_(list(by_request))).order_by(CallbackAttempt.id)
        )
    ).scalars().all()
    tried: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        tried[a.request_id].append(Attempt(a.attempt, a.outcome, a.http_status, a.error, a.started_at, a.duration_ms))
    out: dict[str, list[Delivery]] = defaultdict(list)
    for r in rows:
        d = Delivery(r.request_id, r.kind, r.url, r.batch, r.status, r.next_attempt_at if r.status == OutboxStatus.PENDING else None, tried[r.request_id])
        for subject in by_request[r.request_id]:
            out[subject].append(d)
    return dict(out)


async def recent_attempts(session: AsyncSession, tenant_id: str, *, outcome: str | None, request_id: str | None,
                          offset: int, limit: int) -> list[CallbackAttempt]:
    """The tenant's delivery attempts (one per HTTP request made), newest first."""
    q = select(CallbackAttempt).where(CallbackAttempt.tenant_id == tenant_id)
    if outcome:
        q = q.where(CallbackAttempt.outcome == outcome)
    if request_id:
        q = q.where(CallbackAttempt.request_id == request_id)
    return list((await session.execute(q.order_by(CallbackAttempt.id.desc()).limit(limit).offset(offset))).scalars().all())


async def backlog(session: AsyncSession, tenant_id: str) -> dict[str, int]:
    """Events waiting (``pending``) and given up (``failed``)."""
    counts = dict(
        (
            await session.execute(
                select(CallbackOutbox.status, func.count())
                .where(CallbackOutbox.tenant_id == tenant_id, CallbackOutbox.status.in_(("pending", "failed")))
                .group_by(CallbackOutbox.status)
            )
        ).all()
    )
    return {"pending": counts.get("pending", 0), "failed": counts.get("failed", 0)}
