"""The outbox and the delivery service in-process, against a migrated
database (SQLite and PostgreSQL) and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import backend_params, require_pg
from tests.support.callback_db import migrated_ctx, new_tenant
from tests.support.receiver import Receiver
from tests.support.wait import wait_until_async
from tidings.callbacks import log as callback_log
from tidings.callbacks import outbox, registrations, signing
from tidings.callbacks.delivery import CallbackDelivery
from tidings.callbacks.policy import CallbackSettings
from tidings.sms.receipts import UPLINK_KIND
from tidings.store.models.callbacks import CallbackAttempt, CallbackOutbox, CallbackSubject

pytestmark = pytest.mark.heavy

FAST = dict(
    first_delay=0.1,
    min_delay=0.05,
    max_delay=0.4,
    connect_timeout=0.5,
    total_timeout=1.0,
    poll_interval=0.05,
    give_up_after=3600,
)


@pytest.fixture(params=backend_params())
def backend(request) -> str:
    if request.param == "postgresql":
        require_pg()  # here, outside the event loop: it probes with asyncio.run
    return request.param


@contextlib.asynccontextmanager
async def running(ctx, **policy):
    svc = CallbackDelivery(ctx, policy=CallbackSettings(**{**FAST, **policy}))
    stop = asyncio.Event()
    task = asyncio.create_task(svc.run(stop))
    try:
        yield svc
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def receipt(n: int, **extra) -> dict:
    item = {
        "task_id": "task-1",
        "cust_flag": f"1380013{n:04d}",
        "msg_id": f"msg-{n}",
        "tpl_id": "",
        "sms_sign": "Tidings",
        "aim_code": "",
        "aim_url": "",
        "send_time": "2026-01-01T08:00:00",
        "receive_time": "2026-01-01T08:00:02",
        "send_status": "DELIVRD",
        "send_status_desc": "delivered",
        "total": "1",
        "sequence": "1",
    }
    item.update(extra)
    return item


async def register(ctx, tenant_id: str, url_type: int, url: str) -> None:
    async with ctx.db.write() as s:
        await registrations.register(s, tenant_id, url_type, url)


async def count(ctx, *where) -> int:
    async with ctx.db.read() as s:
        return await s.scalar(select(func.count()).select_from(CallbackOutbox).where(*where))


async def test_nothing_is_written_without_a_registration(backend):
    async with migrated_ctx(backend) as ctx:
        tid = await new_tenant(ctx, "t-none")
        async with ctx.db.write() as s:
            assert await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(1)]) == 0
        assert await count(ctx) == 0


async def test_fan_out_one_row_per_event_and_batches_of_at_most_100(backend):
    async with migrated_ctx(backend) as ctx:
        tid = await new_tenant(ctx, "t-fan")
        other = await new_tenant(ctx, "t-other")
        await register(ctx, tid, 0, "http://127.0.0.1:9/single")
        await register(ctx, tid, 2, "http://127.0.0.1:9/batch")
        async with ctx.db.write() as s:
            written = await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(i) for i in range(250)])
            # Another tenant's registrations are not this tenant's.
            assert await outbox.enqueue_aim_receipts(s, other, "sms", [receipt(1)]) == 0
        assert written == 250 + 3
        async with ctx.db.read() as s:
            batches = (await s.execute(select(CallbackOutbox.events).where(CallbackOutbox.batch.is_(True)))).scalars().all()
            subjects = await s.scalar(select(func.count()).select_from(CallbackSubject))
        assert sorted(batches) == [50, 100, 100]
        assert subjects == 250
        assert await count(ctx, CallbackOutbox.batch.is_(False)) == 250


async def test_a_rolled_back_transaction_leaves_no_event(backend):
    async with migrated_ctx(backend) as ctx:
        tid = await new_tenant(ctx, "t-rb")
        await register(ctx, tid, 0, "http://127.0.0.1:9/single")
        with pytest.raises(RuntimeError):
            async with ctx.db.write() as s:
                await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(1)])
                raise RuntimeError("the state change failed")
        assert await count(ctx) == 0


async def test_receipts_arrive_in_the_aim_envelope_signed_with_the_event_id(backend):
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx):
        with Receiver() as rx:
            tid = await new_tenant(ctx, "t-env")
            await register(ctx, tid, 0, rx.url("/single"))
            await register(ctx, tid, 2, rx.url("/batch"))
            items = [receipt(i, extend="order-7") for i in range(3)]
            async with ctx.db.write() as s:
                await outbox.enqueue_aim_receipts(s, tid, "sms", items)
                secret = await registrations.secret(s, ctx.box, tid)
            got = await asyncio.to_thread(rx.wait_for, lambda reqs: len(reqs) >= 4)
            singles = [r for r in got if r.path == "/single"]
            (batch,) = [r for r in got if r.path == "/batch"]
            assert len(singles) == 3

            for req in got:
                env = req.json()
                assert set(env) == {"request_id", "domain_id", "callback_type", "body", "retry"}
                assert env["domain_id"] == tid and env["callback_type"] == "sms" and env["retry"] is False
                assert isinstance(env["body"], str)
                assert req.header("Content-Type") == "application/json"
                assert req.header("X-Tidings-Event-Id") == env["request_id"]
                assert signing.verify(secret, req.body, req.header("X-Tidings-Signature"))
                assert not signing.verify("tds_wrong", req.body, req.header("X-Tidings-Signature"))

            assert sorted(json.loads(r.json()["body"])["msg_id"] for r in singles) == ["msg-0", "msg-1", "msg-2"]
            assert json.loads(singles[0].json()["body"])["extend"] == "order-7"
            assert json.loads(batch.json()["body"]) == items  # an array, in order, wire names kept
            assert len({r.json()["request_id"] for r in got}) == 4

        async def all_delivered():
            return await count(ctx, CallbackOutbox.status == "delivered") == 4

        await wait_until_async(all_delivered)
        # The message log sees both deliveries of a message, single and batched.
        async with ctx.db.read() as s:
            seen = await callback_log.callback_attempts(s, tid, ["msg-1"])
            assert await callback_log.callback_attempts(s, "someone-else", ["msg-1"]) == {}
        assert sorted((d.batch, d.status) for d in seen["msg-1"]) == [(False, "delivered"), (True, "delivered")]
        assert all([a.outcome for a in d.attempts] == ["delivered"] for d in seen["msg-1"])


async def one_receipt_to(ctx, rx: Receiver, path: str) -> str:
    """A tenant with a url_type 0 registration at ``path`` and one receipt enqueued for it."""
    tid = await new_tenant(ctx, f"t-{uuid.uuid4().hex[:8]}")
    await register(ctx, tid, 0, rx.url(path))
    async with ctx.db.write() as s:
        await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(1)])
    return tid


async def has_rows(ctx, n: int, *where) -> bool:
    return await count(ctx, *where) == n


async def test_a_receiver_that_was_down_gets_everything_with_retry_set(backend):
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx):
        rx = Receiver()
        try:
            tid = await new_tenant(ctx, "t-down")
            await register(ctx, tid, 0, rx.url("/single"))
            await register(ctx, tid, 2, rx.url("/batch"))
            rx.down()
            # Events keep piling up while the receiver is down.
            for wave in range(5):
                async with ctx.db.write() as s:
                    await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(wave * 40 + i) for i in range(40)])
                await asyncio.sleep(0.2)

            async def some_attempts_failed():
                async with ctx.db.read() as s:
                    return await s.scalar(select(func.count()).select_from(CallbackAttempt).where(CallbackAttempt.outcome == "retrying")) > 0

            await wait_until_async(some_attempts_failed)
            assert await count(ctx, CallbackOutbox.status == "delivered") == 0
            rx.up()
            got = await asyncio.to_thread(rx.wait_for, lambda reqs: {json.loads(r.json()["body"])["msg_id"] for r in reqs if r.path == "/single"}
                                          >= {f"msg-{i}" for i in range(200)}
                             and sum(len(json.loads(r.json()["body"])) for r in reqs if r.path == "/batch") >= 200)
            singles = [r for r in got if r.path == "/single"]
            batched = [r for r in got if r.path == "/batch"]
            # Nothing lost: every event at each destination.
            assert {json.loads(r.json()["body"])["msg_id"] for r in singles} == {f"msg-{i}" for i in range(200)}
            ids = [item["msg_id"] for r in {r.json()["request_id"]: r for r in batched}.values() for item in json.loads(r.json()["body"])]
            assert sorted(ids) == sorted(f"msg-{i}" for i in range(200))
            # Redeliveries say so, and duplicates (if any) are recognisable by their id.
            assert any(r.json()["retry"] for r in got)
            for r in got:
                assert r.json()["retry"] == (int(r.header("X-Tidings-Attempt")) > 1)
            await wait_until_async(lambda: _all_delivered(ctx))
        finally:
            rx.close()


async def _all_delivered(ctx) -> bool:
    return await count(ctx, CallbackOutbox.status != "delivered") == 0


async def test_a_hanging_receiver_gets_at_most_the_concurrency_cap(backend):
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx, per_url_concurrency=3, total_timeout=1.5):
        with Receiver() as rx:
            tid = await new_tenant(ctx, "t-hang")
            await register(ctx, tid, 0, rx.url("/slow"))
            rx.hang()
            async with ctx.db.write() as s:
                await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(i) for i in range(30)])
            await wait_until_async(lambda: len(rx.requests) >= 3)
            await asyncio.sleep(0.5)
            # 30 events due, but only the capped number of requests in flight.
            assert len(rx.requests) == 3
            rx.up()
            got = await asyncio.to_thread(rx.wait_for, lambda reqs: len({r.json()["request_id"] for r in reqs}) >= 30)
            assert len({json.loads(r.json()["body"])["msg_id"] for r in got}) == 30


async def test_a_slow_receivers_rows_are_not_taken_over_while_in_flight(backend):
    """Two deliverers on one database stand for two worker processes.  The
    receiver takes four leases to answer; the lease is renewed while the
    request is in flight, so the second deliverer never sends the event too."""
    policy = dict(lease_seconds=1.2, total_timeout=8.0)
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx, **policy), running(ctx, **policy):
        with Receiver() as rx:
            rx.slow(4.8)
            await one_receipt_to(ctx, rx, "/slow")
            await wait_until_async(lambda: has_rows(ctx, 1, CallbackOutbox.status == "delivered"))
            await asyncio.sleep(1.5)  # a takeover would have shown by now
            assert len(rx.requests) == 1
            async with ctx.db.read() as s:
                assert (await s.execute(select(CallbackOutbox.attempts))).scalar_one() == 1


async def test_an_error_answer_is_retried_per_event_and_given_up_in_the_end(backend):
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx, give_up_after=1.5):
        with Receiver() as rx:
            rx.respond(500)
            await one_receipt_to(ctx, rx, "/err")
            await wait_until_async(lambda: has_rows(ctx, 1, CallbackOutbox.status == "failed"))
            assert len(rx.requests) >= 2  # retried before giving up
            async with ctx.db.read() as s:
                row = (await s.execute(select(CallbackOutbox))).scalar_one()
                outcomes = (await s.execute(select(CallbackAttempt.outcome).order_by(CallbackAttempt.id))).scalars().all()
            assert row.last_error == "HTTP 500"
            assert outcomes[-1] == "failed" and set(outcomes[:-1]) == {"retrying"}


async def test_uplink_is_form_encoded(backend):
    async with migrated_ctx(backend, allow_private_callbacks=True) as ctx, running(ctx):
        with Receiver() as rx:
            tid = await new_tenant(ctx, "t-up")
            form = {"smsMsgId": str(uuid.uuid4()), "from": "+8613800138000", "to": "10690001", "body": "好的, thanks", "createTime": "2026-01-01T08:00:00Z"}
            async with ctx.db.write() as s:
                await outbox.enqueue_uplink(s, tid, UPLINK_KIND, rx.url("/mo"), form, form["smsMsgId"])
            (req,) = await asyncio.to_thread(rx.wait_for, lambda reqs: len(reqs) >= 1)
            assert req.header("Content-Type") == "application/x-www-form-urlencoded"
            assert req.form() == form


async def test_private_destinations_are_refused_at_delivery_time(backend):
    async with migrated_ctx(backend, allow_private_callbacks=False) as ctx, running(ctx, give_up_after=1.0):
        with Receiver() as rx:
            tid = await new_tenant(ctx, "t-priv")
            # Registered while allowed (or rebinding since): delivery checks again.
            await register(ctx, tid, 0, rx.url("/internal"))
            async with ctx.db.write() as s:
                await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(1)])

            async def given_up():
                return await count(ctx, CallbackOutbox.status == "failed") == 1

            await wait_until_async(given_up)
            assert rx.requests == []
            async with ctx.db.read() as s:
                row = (await s.execute(select(CallbackOutbox))).scalar_one()
            assert "private" in row.last_error


async def test_replacing_a_registration_moves_the_backlog(backend):
    async with migrated_ctx(backend) as ctx:
        tid = await new_tenant(ctx, "t-move")
        await register(ctx, tid, 0, "http://old.example/receipts")
        async with ctx.db.write() as s:
            await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(i) for i in range(3)])
        await register(ctx, tid, 0, "http://new.example/receipts")
        async with ctx.db.read() as s:
            urls = set((await s.execute(select(CallbackOutbox.url))).scalars())
            regs = await registrations.list_registrations(s, tid)
        assert urls == {"http://new.example/receipts"}
        assert [(r.url_type, r.url) for r in regs] == [(0, "http://new.example/receipts")]


async def test_old_delivered_events_and_attempts_are_pruned_pending_ones_kept(backend):
    from datetime import timedelta

    from sqlalchemy import update

    from tidings.timeutil import utcnow

    async with migrated_ctx(backend) as ctx:
        tid = await new_tenant(ctx, "t-prune")
        await register(ctx, tid, 0, "http://127.0.0.1:9/single")
        await register(ctx, tid, 2, "http://127.0.0.1:9/batch")
        for part in ([0, 1], [2, 3, 4, 5]):  # rows: s0 s1 B(0,1) s2 s3 s4 s5 B(2..5)
            async with ctx.db.write() as s:
                await outbox.enqueue_aim_receipts(s, tid, "sms", [receipt(i) for i in part])
        old = utcnow() - timedelta(days=8)
        async with ctx.db.write() as s:
            ids = (await s.execute(select(CallbackOutbox.id).order_by(CallbackOutbox.id))).scalars().all()
            # Oldest first: s0 s1 B(0,1) old and delivered, s2 old but pending (kept), the rest recent.
            await s.execute(update(CallbackOutbox).where(CallbackOutbox.id.in_(ids[:4])).values(created_at=old))
            await s.execute(update(CallbackOutbox).where(CallbackOutbox.id.in_(ids[:3] + ids[4:])).values(status="delivered"))
            s.add_all(
                CallbackAttempt(tenant_id=tid, request_id="r", kind="aim.sms", url="u", attempt=1, outcome="delivered", started_at=at)
                for at in (old, old, old, utcnow())
            )
        batch_request = (await _rows(ctx))[-1].request_id
        await CallbackDelivery(ctx, policy=CallbackSettings())._prune(chunk=2)
        left = await _rows(ctx)
        assert [r.id for r in left] == ids[3:]
        async with ctx.db.read() as s:
            assert await s.scalar(select(func.count()).select_from(CallbackAttempt)) == 1
            kept_subjects = set((await s.execute(select(CallbackSubject.request_id))).scalars())
        assert kept_subjects == {batch_request}  # the old batch's subjects went with it


async def _rows(ctx):
    async with ctx.db.read() as s:
        return (await s.execute(select(CallbackOutbox).order_by(CallbackOutbox.id))).scalars().all()
