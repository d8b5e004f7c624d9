"""The one review mechanism every product reuses.

A product submits an object for review (``submit``) inside its own write
transaction; operators decide per party (``decide``); a tenant may expedite a
pending item (``expedite``, 催审), which raises its priority in the queue.
When a decision lands, the owning product's hook for the object's kind runs
**in the same transaction**, so the product's object status and its status
callbacks commit together with the decision or not at all.

The hooks are passed in, never registered: every call that can decide
(``decide``, and ``submit`` for auto-approve) takes ``hooks``, the
``AppContext.review_hooks`` that start-up merged from the installed products
(``tidings.installed``).  So the CLI, the API and the tests decide alike.

Auto-approve: a tenant whose ``settings["auto_approve"]`` is true gets every
party's approval at submit time, by actor ``auto`` (audited like any decision).
Every submission, decision and expedite lands in the audit trail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.errors import KooError
from tidings.ids import uuid_id
from tidings.review.rules import (
    ANY,
    APPROVED,
    CARRIERS,
    EACH,
    MAKERS,
    OPERATOR,
    PENDING,
    REJECTED,
    SINGLE,
    check_parties,
    outcome,
)
from tidings.store.dialect import insert_rows
from tidings.store.filters import where_given
from tidings.store.models.core import AuditEvent, Tenant
from tidings.store.models.review import ReviewDecision, ReviewItem
from tidings.store.tenants import audit, audit_row
from tidings.tenant_settings import SHARED
from tidings.timeutil import utcnow

__all__ = [
    "ANY", "APPROVED", "CARRIERS", "EACH", "MAKERS", "OPERATOR", "PENDING", "REJECTED", "SINGLE",
    "Decision", "DecisionHook", "DecisionHooks", "LinksHook", "ReviewError", "submit", "submit_new", "decide", "expedite", "withdraw",
    "item_for", "get_item", "queue",
]

AUTO_ACTOR = "auto"
URGED = "URGED"
URGE_PRIORITY = 10

# Review errors answer in KooMessage's format wherever they surface.
NOT_FOUND = "KM.00001160"
NOT_PENDING = "KM.00001161"
ALREADY_DECIDED = "KM.00001162"
UNKNOWN_PARTY = "KM.00001163"
ALREADY_URGED = "KM.00001164"


class ReviewError(KooError):
    pass


@dataclass(frozen=True, slots=True)
class Decision:
    """What a hook is told: one party's decision and the outcome after it."""

    item: ReviewItem
    party: str
    decision: str  # approved | rejected
    actor: str
    reason: str
    previous_state: str  # overall state before this decision
    state: str  # overall state after it

    @property
    def changed(self) -> bool:
        return self.previous_state != self.state


DecisionHook = Callable[[AsyncSession, Decision], Awaitable[None]]
# Review kind (``ReviewItem.object_type``) -> the hooks that run on its decisions.
DecisionHooks = Mapping[str, Sequence[DecisionHook]]
# What an operator looks at to decide (e.g. the rendered card): (ctx, item) ->
# {name: url}, computed when an item is shown, since links may carry tokens.
LinksHook = Callable[[Any, ReviewItem], dict[str, str]]


async def item_for(session: AsyncSession, object_type: str, object_id: str, tenant_id: str | None = None) -> ReviewItem | None:
    stmt = select(ReviewItem).where(ReviewItem.object_type == object_type, ReviewItem.object_id == object_id)
    if tenant_id is not None:
        stmt = stmt.where(ReviewItem.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _auto_approves(session: AsyncSession, tenant_id: str, given: bool | None) -> bool:
    """``given``, else the tenant's auto-approve setting."""
    if given is not None:
        return given
    settings = (await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))).scalar_one_or_none()
    return bool(SHARED.readable(settings).get("auto_approve"))


async def _approve_all(session: AsyncSession, item: ReviewItem, parties: list[str], hooks: DecisionHooks) -> None:
    for party in parties:
        await decide(session, item, party=party, decision=APPROVED, actor=AUTO_ACTOR, reason="auto-approve setting", hooks=hooks)


async def submit(
    session: AsyncSession,
    *,
    tenant_id: str,
    object_type: str,
    object_id: str,
    actor: str,
    rule: str = SINGLE,
    parties: list[str] | None = None,
    title: str = "",
    payload: dict | None = None,
    auto_approve: bool | None = None,
    hooks: DecisionHooks,
) -> ReviewItem:
    """Put an object (back) in the queue: a new item, or a new round of the
    existing one with every party pending again.  With auto-approve (the
    tenant's setting unless given) every party approves at once, running
    ``hooks`` like any decision."""
    parties = list(parties or [OPERATOR])
    check_parties(rule, parties)
    item = await item_for(session, object_type, object_id)
    now = utcnow()
    if item is None:
        item = ReviewItem(tenant_id=tenant_id, object_type=object_type, object_id=object_id, round=1)
        session.add(item)
    else:
        item.round += 1
    item.rule = rule
    item.parties = parties
    item.party_states = {p: PENDING for p in parties}
    item.state = PENDING
    item.title = title[:255]
    item.payload = payload or {}
    item.priority = 0
    item.urge_status, item.urge_time, item.urge_desc = "NO", None, ""
    item.submitted_at = now
    item.decided_at = None
    await session.flush()
    session.add(ReviewDecision(item_id=item.id, round=item.round, party="*", decision="submitted", actor=actor, at=now))
    await audit(session, actor=actor, action="review.submit", object_type=object_type, object_id=object_id, tenant_id=tenant_id,
                detail={"round": item.round, "rule": rule, "parties": parties})
    if await _auto_approves(session, tenant_id, auto_approve):
        await _approve_all(session, item, parties, hooks)
    return item


async def submit_new(
    session: AsyncSession,
    *,
    tenant_id: str,
    object_type: str,
    object_id: str,
    actor: str,
    rule: str = SINGLE,
    parties: list[str] | None = None,
    title: str = "",
    payload: dict | None = None,
    auto_approve: bool | None = None,
    hooks: DecisionHooks,
    rows: Sequence[tuple[Table, Sequence[dict[str, Any]]]] = (),
) -> str:
    """:func:`submit` for an object created in this very transaction, so
    without an item yet: no lookup, no ORM flush.  The object's own ``rows``
    (batches for :func:`tidings.store.dialect.insert_rows`, in the order the
    foreign keys need) and the review's item, its first decision and audit
    event are written together, one INSERT per table (audit events of the
    object and of the submission in one).  Auto-approve as in :func:`submit`.
    Returns the item's id."""
    parties = list(parties or [OPERATOR])
    check_parties(rule, parties)
    now = utcnow()
    item_id = uuid_id()
    item = {"id": item_id, "tenant_id": tenant_id, "object_type": object_type, "object_id": object_id, "title": title[:255], "rule": rule,
            "parties": parties, "party_states": {p: PENDING for p in parties}, "state": PENDING, "round": 1, "priority": 0, "urge_status": "NO",
            "urge_time": None, "urge_desc": "", "payload": payload or {}, "submitted_at": now, "decided_at": None}
    decision = {"item_id": item_id, "round": 1, "party": "*", "decision": "submitted", "actor": actor, "reason": "", "at": now}
    event = audit_row(actor=actor, action="review.submit", object_type=object_type, object_id=object_id, tenant_id=tenant_id,
                      detail={"round": 1, "rule": rule, "parties": parties}, at=now)
    batches: dict[Table, list[dict[str, Any]]] = {}
    for table, table_rows in rows:
        batches.setdefault(table, []).extend(table_rows)
    batches.setdefault(ReviewItem.__table__, []).append(item)
    batches.setdefault(ReviewDecision.__table__, []).append(decision)
    batches.setdefault(AuditEvent.__table__, []).append(event)
    await insert_rows(session, *batches.items())
    if await _auto_approves(session, tenant_id, auto_approve):
        stored = await session.get(ReviewItem, item_id)
        assert stored is not None
        await _approve_all(session, stored, parties, hooks)
    return item_id


async def decide(
    session: AsyncSession, item: ReviewItem, *, party: str | None, decision: str, actor: str, reason: str = "", hooks: DecisionHooks
) -> Decision:
    """Record one party's decision, derive the outcome, run the hooks for the item's kind."""
    if decision not in (APPROVED, REJECTED):
        raise ReviewError("KM.00000001", "Invalid parameter decision: must be approved or rejected")
    if party is None:
        if len(item.parties) != 1:
            raise ReviewError(UNKNOWN_PARTY, f"this review has several parties ({', '.join(item.parties)}): name the party")
        party = item.parties[0]
    states = dict(item.party_states)
    if party not in states:
        raise ReviewError(UNKNOWN_PARTY, f"party {party!r} is not a reviewer of this item (parties: {', '.join(item.parties)})")
    if states[party] != PENDING:
        raise ReviewError(ALREADY_DECIDED, f"party {party} already decided ({states[party]}) in round {item.round}")
    if decision == REJECTED and not reason.strip():
        raise ReviewError("KM.90016414", "a rejection needs a reason (it is shown to the tenant as review_desc)")
    now = utcnow()
    previous = item.state
    states[party] = decision
    item.party_states = states  # reassign: JSON columns track assignment, not mutation
    item.state = outcome(item.rule, states)
    if item.state != PENDING:
        item.decided_at = now
    session.add(ReviewDecision(item_id=item.id, round=item.round, party=party, decision=decision, actor=actor, reason=reason, at=now))
    await audit(session, actor=actor, action=f"review.{decision}", object_type=item.object_type, object_id=item.object_id,
                tenant_id=item.tenant_id, reason=reason, detail={"party": party, "round": item.round, "state": item.state})
    event = Decision(item=item, party=party, decision=decision, actor=actor, reason=reason, previous_state=previous, state=item.state)
    for hook in hooks.get(item.object_type, ()):
        await hook(session, event)
    await session.flush()
    return event


async def expedite(session: AsyncSession, item: ReviewItem, *, actor: str, desc: str = "") -> ReviewItem:
    """催审: raise a pending item's priority and record the urge fields (once per round)."""
    if item.state != PENDING:
        raise ReviewError(NOT_PENDING, f"the review is not pending (state {item.state}); only pending reviews can be expedited")
    if item.urge_status == URGED:
        raise ReviewError(ALREADY_URGED, f"the review was already expedited at {item.urge_time:%Y-%m-%dT%H:%M:%S}")
    now = utcnow()
    item.priority = max(item.priority, URGE_PRIORITY)
    item.urge_status, item.urge_time, item.urge_desc = URGED, now, desc[:64]
    session.add(ReviewDecision(item_id=item.id, round=item.round, party="*", decision="expedited", actor=actor, reason=desc, at=now))
    await audit(session, actor=actor, action="review.expedite", object_type=item.object_type, object_id=item.object_id,
                tenant_id=item.tenant_id, reason=desc)
    await session.flush()
    return item


async def get_item(session: AsyncSession, review_id: str) -> ReviewItem:
    item = await session.get(ReviewItem, review_id)
    if item is None:
        raise ReviewError(NOT_FOUND, f"review {review_id} does not exist")
    return item


async def withdraw(session: AsyncSession, object_type: str, object_id: str, actor: str) -> None:
    """The object is gone: drop its item from the queue (the audit trail stays)."""
    item = await item_for(session, object_type, object_id)
    if item is not None:
        await audit(session, actor=actor, action="review.withdraw", object_type=object_type, object_id=object_id, tenant_id=item.tenant_id)
        await session.delete(item)


async def queue(
    session: AsyncSession,
    *,
    state: str | None = PENDING,
    object_type: str | None = None,
    tenant_id: str | None = None,
    object_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[ReviewItem], int]:
    """The operator's queue: most urgent first, then oldest first."""
    stmt = where_given(
        select(ReviewItem),
        (ReviewItem.state, state),
        (ReviewItem.object_type, object_type),
        (ReviewItem.tenant_id, tenant_id),
        (ReviewItem.object_id, object_id),
    )
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (
        await session.execute(stmt.order_by(ReviewItem.priority.desc(), ReviewItem.submitted_at, ReviewItem.id).offset(offset).limit(limit))
    ).scalars().all()
    return list(rows), total


async def history(session: AsyncSession, item_id: str) -> list[ReviewDecision]:
    return list(
        (await session.execute(select(ReviewDecision).where(ReviewDecision.item_id == item_id).order_by(ReviewDecision.id))).scalars().all()
    )


def describe(item: ReviewItem, decisions: list[ReviewDecision] | None = None) -> dict:
    """The operator's view of an item (admin API and CLI)."""
    from tidings.timeutil import wire_z

    out = {
        "review_id": item.id,
        "tenant_id": item.tenant_id,
        "object_type": item.object_type,
        "object_id": item.object_id,
        "title": item.title,
        "rule": item.rule,
        "parties": list(item.parties),
        "party_states": dict(item.party_states),
        "state": item.state,
        "round": item.round,
        "priority": item.priority,
        "urge_status": item.urge_status,
        "urge_time": wire_z(item.urge_time) or None,
        "urge_desc": item.urge_desc,
        "submitted_at": wire_z(item.submitted_at),
        "decided_at": wire_z(item.decided_at) or None,
        "payload": item.payload,
    }
    if decisions is not None:
        out["history"] = [
            {"round": d.round, "party": d.party, "decision": d.decision, "actor": d.actor, "reason": d.reason, "at": wire_z(d.at)}
            for d in decisions
        ]
    return out
