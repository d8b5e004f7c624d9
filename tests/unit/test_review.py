"""The review mechanism in all its shapes, against a real (SQLite) database:
single decision, per maker (usable once any maker approves), per carrier
(each with its own state), expedite ordering, hooks in the same transaction,
auto-approve, resubmission rounds, and the audit trail."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tidings import review
from tidings.review import rules
from tidings.store.db import Database
from tidings.store.migrate import upgrade
from tidings.store.models.core import AuditEvent
from tidings.store.models.review import ReviewDecision
from tidings.store.tenants import create_tenant

SEEN: list[tuple[str, str, str, str]] = []


async def _record(session, event: review.Decision) -> None:
    SEEN.append((event.item.object_id, event.party, event.decision, event.state))


async def _explode(session, event: review.Decision) -> None:
    raise RuntimeError("the product failed to apply the decision")


# Passed to every call that can decide, as start-up passes the installed products' hooks.
HOOKS: review.DecisionHooks = {"test_object": [_record], "test_fragile": [_explode]}


@pytest.fixture
async def db(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'review.db'}"
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
    database = Database(url)
    yield database
    await database.dispose()


async def _tenant(db: Database, auto: bool = False) -> str:
    async with db.write() as s:
        return (await create_tenant(s, f"t{auto}", settings={"auto_approve": auto})).id


async def _submit(db, tenant_id, object_id, rule=rules.SINGLE, parties=None, object_type="test_object"):
    async with db.write() as s:
        item = await review.submit(s, tenant_id=tenant_id, object_type=object_type, object_id=object_id, actor="tester", rule=rule, parties=parties,
                                   hooks=HOOKS)
        return item.id


async def _decide(db, item_id, decision, party=None, reason="", actor="op"):
    async with db.write() as s:
        item = await review.get_item(s, item_id)
        return await review.decide(s, item, party=party, decision=decision, actor=actor, reason=reason, hooks=HOOKS)


def test_outcome_rules():
    P, A, R = rules.PENDING, rules.APPROVED, rules.REJECTED
    assert rules.outcome(rules.SINGLE, {"operator": A}) == A
    assert rules.outcome(rules.ANY, {"HUAWEI": P, "XIAOMI": A}) == A
    assert rules.outcome(rules.ANY, {"HUAWEI": R, "XIAOMI": P}) == P
    assert rules.outcome(rules.ANY, {"HUAWEI": R, "XIAOMI": R}) == R
    assert rules.outcome(rules.EACH, {"cmcc": A, "cucc": P, "ctcc": A}) == P
    assert rules.outcome(rules.EACH, {"cmcc": A, "cucc": R, "ctcc": A}) == rules.PARTIAL
    assert rules.outcome(rules.EACH, {"cmcc": A, "cucc": A, "ctcc": A}) == A
    assert rules.usable_for(rules.EACH, {"cmcc": A, "cucc": P, "ctcc": R}, "cmcc")
    assert not rules.usable_for(rules.EACH, {"cmcc": A, "cucc": P, "ctcc": R}, "ctcc")
    with pytest.raises(ValueError):
        rules.check_parties(rules.SINGLE, ["a", "b"])
    with pytest.raises(ValueError):
        rules.check_parties(rules.EACH, ["cmcc", "cmcc"])


async def test_single_decision_runs_the_hook_and_audits(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "obj-1")
    event = await _decide(db, item_id, "rejected", reason="blurry scan")
    assert (event.state, event.previous_state, event.changed) == ("rejected", "pending", True)
    assert SEEN[-1] == ("obj-1", "operator", "rejected", "rejected")
    with pytest.raises(review.ReviewError) as exc:
        await _decide(db, item_id, "approved")
    assert exc.value.code == review.ALREADY_DECIDED
    async with db.read() as s:
        audits = (await s.execute(select(AuditEvent).where(AuditEvent.object_id == "obj-1").order_by(AuditEvent.id))).scalars().all()
    assert [(a.action, a.actor, a.reason) for a in audits] == [("review.submit", "tester", ""), ("review.rejected", "op", "blurry scan")]


async def test_rejection_needs_a_reason(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "obj-r")
    with pytest.raises(review.ReviewError):
        await _decide(db, item_id, "rejected", reason="  ")


async def test_resubmission_opens_a_new_round_and_keeps_history(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "obj-2")
    await _decide(db, item_id, "rejected", reason="no")
    again = await _submit(db, tid, "obj-2")
    assert again == item_id
    await _decide(db, item_id, "approved")
    async with db.read() as s:
        item = await review.get_item(s, item_id)
        rows = (await s.execute(select(ReviewDecision).where(ReviewDecision.item_id == item_id).order_by(ReviewDecision.id))).scalars().all()
    assert (item.round, item.state) == (2, "approved")
    assert [(r.round, r.decision) for r in rows] == [(1, "submitted"), (1, "rejected"), (2, "submitted"), (2, "approved")]


async def test_per_maker_usable_once_any_maker_approves(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "card-1", rule=rules.ANY, parties=list(rules.MAKERS))
    with pytest.raises(review.ReviewError) as exc:
        await _decide(db, item_id, "approved")  # several parties: the party must be named
    assert exc.value.code == review.UNKNOWN_PARTY
    first = await _decide(db, item_id, "rejected", party="OPPO", reason="layout")
    assert first.state == "pending"
    second = await _decide(db, item_id, "approved", party="HUAWEI")
    assert (second.state, second.changed) == ("approved", True)
    third = await _decide(db, item_id, "approved", party="XIAOMI")
    assert (third.state, third.changed) == ("approved", False)  # later makers still reach the hook
    assert SEEN[-1] == ("card-1", "XIAOMI", "approved", "approved")
    async with db.read() as s:
        item = await review.get_item(s, item_id)
    assert item.party_states["OPPO"] == "rejected" and item.party_states["VIVO"] == "pending"
    with pytest.raises(review.ReviewError):
        await _decide(db, item_id, "approved", party="NOKIA")


async def test_per_carrier_each_has_its_own_state(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "video-1", rule=rules.EACH, parties=list(rules.CARRIERS))
    assert (await _decide(db, item_id, "approved", party="cmcc")).state == "pending"
    assert (await _decide(db, item_id, "rejected", party="cucc", reason="frame 3")).state == "pending"
    last = await _decide(db, item_id, "approved", party="ctcc")
    assert last.state == "partial"
    async with db.read() as s:
        item = await review.get_item(s, item_id)
    assert item.party_states == {"cmcc": "approved", "cucc": "rejected", "ctcc": "approved"}
    assert rules.usable_for(item.rule, item.party_states, "cmcc") and not rules.usable_for(item.rule, item.party_states, "cucc")


async def test_expedite_moves_an_item_ahead_once(db):
    tid = await _tenant(db)
    a = await _submit(db, tid, "q-a")
    b = await _submit(db, tid, "q-b")
    async with db.read() as s:
        items, total = await review.queue(s, tenant_id=tid)
    assert [i.id for i in items] == [a, b] and total == 2
    async with db.write() as s:
        item = await review.expedite(s, await review.get_item(s, b), actor="tenant/admin", desc="launch tomorrow")
        assert (item.urge_status, item.urge_desc, item.priority) == ("URGED", "launch tomorrow", review.URGE_PRIORITY)
    async with db.read() as s:
        items, _ = await review.queue(s, tenant_id=tid)
    assert [i.id for i in items] == [b, a]
    async with db.write() as s:
        with pytest.raises(review.ReviewError) as exc:
            await review.expedite(s, await review.get_item(s, b), actor="tenant/admin")
    assert exc.value.code == review.ALREADY_URGED
    await _decide(db, a, "approved")
    async with db.write() as s:
        with pytest.raises(review.ReviewError) as exc:
            await review.expedite(s, await review.get_item(s, a), actor="tenant/admin")
    assert exc.value.code == review.NOT_PENDING


async def test_auto_approve_decides_every_party_as_auto(db):
    tid = await _tenant(db, auto=True)
    item_id = await _submit(db, tid, "auto-1", rule=rules.EACH, parties=list(rules.CARRIERS))
    async with db.read() as s:
        item = await review.get_item(s, item_id)
        rows = (await s.execute(select(AuditEvent).where(AuditEvent.object_id == "auto-1", AuditEvent.action == "review.approved"))).scalars().all()
    assert item.state == "approved"
    assert sorted(r.detail["party"] for r in rows) == sorted(rules.CARRIERS) and {r.actor for r in rows} == {"auto"}


async def test_a_failing_hook_rolls_the_decision_back(db):
    tid = await _tenant(db)
    item_id = await _submit(db, tid, "frag-1", object_type="test_fragile")
    with pytest.raises(RuntimeError):
        await _decide(db, item_id, "approved")
    async with db.read() as s:
        item = await review.get_item(s, item_id)
        audits = (await s.execute(select(AuditEvent).where(AuditEvent.object_id == "frag-1", AuditEvent.action == "review.approved"))).scalars().all()
    assert item.state == "pending" and audits == []


def _fields(item) -> dict:
    return {k: getattr(item, k) for k in ("tenant_id", "object_type", "title", "rule", "parties", "party_states", "state", "round", "priority",
                                          "urge_status", "urge_time", "urge_desc", "payload", "decided_at")}


async def test_submit_new_writes_what_submit_writes(db):
    """submit_new (an object created in the same transaction: one INSERT per
    table) leaves the item, decision and audit trail submit leaves, with the
    object's own rows written alongside."""
    tid = await _tenant(db)
    parties = ["HUAWEI", "XIAOMI"]
    async with db.write() as s:
        old = await review.submit(s, tenant_id=tid, object_type="test_object", object_id="same-1", actor="tester", rule=rules.ANY,
                                  parties=parties, title="t", payload={"k": [1, "二"]}, hooks=HOOKS)
        own = {"tenant_id": tid, "actor": "tester", "action": "test_object.create", "object_type": "test_object", "object_id": "same-2"}
        new_id = await review.submit_new(s, tenant_id=tid, object_type="test_object", object_id="same-2", actor="tester", rule=rules.ANY,
                                         parties=parties, title="t", payload={"k": [1, "二"]}, hooks=HOOKS, rows=[(AuditEvent.__table__, [own])])
    async with db.read() as s:
        a, b = await review.get_item(s, old.id), await review.get_item(s, new_id)
        assert _fields(a) == _fields(b) and b.submitted_at is not None
        decisions = [(d.round, d.party, d.decision, d.actor) for d in await review.history(s, new_id)]
        assert decisions == [(1, "*", "submitted", "tester")]
        trail = (await s.execute(select(AuditEvent).where(AuditEvent.object_id == "same-2").order_by(AuditEvent.id))).scalars().all()
    assert [(e.action, e.reason, e.detail) for e in trail] == [("test_object.create", "", {}),
                                                               ("review.submit", "", {"round": 1, "rule": "any", "parties": parties})]
    assert all(e.at is not None for e in trail)


async def test_submit_new_auto_approves_and_refuses_a_second_item(db):
    tid = await _tenant(db, auto=True)
    async with db.write() as s:
        item_id = await review.submit_new(s, tenant_id=tid, object_type="test_object", object_id="new-auto", actor="t", rule=rules.EACH,
                                          parties=list(rules.CARRIERS), hooks=HOOKS)
    async with db.read() as s:
        assert (await review.get_item(s, item_id)).state == "approved"
    assert sorted(p for o, p, _, _ in SEEN if o == "new-auto") == sorted(rules.CARRIERS)
    # Only for a new object: an item already there is a constraint error, not a second item.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with db.write() as s:
            await review.submit_new(s, tenant_id=tid, object_type="test_object", object_id="new-auto", actor="t", hooks=HOOKS)
