"""The sandbox's receipt lease in-process (tidings/dispatch/holders.py): a
holder that stops renewing is taken over by exactly one survivor, which
re-arms the channel's submitted, unreported messages; a clean stop ends the
lease at once.  (tests/api/test_crash.py kills a real worker on PostgreSQL.)"""

from __future__ import annotations

import pytest

from tests.conftest import backend_params, require_pg
from tests.support.callback_db import migrated_ctx
from tests.support.wait import wait_until_async
from tidings.channels.sandbox.carrier import SandboxCarrier
from tidings.dispatch.config import DispatchConfig
from tidings.dispatch.holders import ReceiptHolding
from tidings.store.models.pipeline import DELIVERED, SUBMITTED, Message
from tidings.timeutil import utcnow

# SHORT must outlast the few ticks between `dead`'s last renewal and the
# "still alive" check: 0.3 s did not at load 23 (two pytest-xdist workers).
SHORT, LONG = DispatchConfig(holder_lease_seconds=2), DispatchConfig(holder_lease_seconds=30)


@pytest.fixture(params=backend_params())
def backend(request) -> str:
    if request.param == "postgresql":
        require_pg()  # here, outside the event loop: it probes with asyncio.run
    return request.param


def _message(mid: str, status: str) -> Message:
    now = utcnow()
    return Message(id=mid, tenant_id="t1", task_id="task", product="sms", channel="sandbox", channel_num="106900010001",
                   number="8613800138000", to="13800138000", text="【示例】hello", parts=2, status=status, attempts=1,
                   next_attempt_at=now, created_at=now, submitted_at=now,
                   part_reports=[{"seq": 1, "status": "DELIVRD", "desc": "", "at": now.isoformat()}] if mid == "half" else None)


def holding(ctx, config: DispatchConfig = LONG) -> ReceiptHolding:
    return ReceiptHolding(ctx, SandboxCarrier(), config)


async def test_a_survivor_takes_a_dead_holders_receipts_over(backend: str):
    async with migrated_ctx(backend) as ctx:
        async with ctx.db.write() as session:
            session.add_all([_message("m1", SUBMITTED), _message("half", SUBMITTED), _message("done", DELIVERED)])
        dead, one, other = holding(ctx, SHORT), holding(ctx), holding(ctx)
        await dead.tick(first=True)
        assert dead.channel.pending_receipts() == 3  # at start: both parts of m1, the unreported part of "half"
        await one.tick()
        await other.tick()
        assert one.taken_over == other.taken_over == 0  # the holder is alive

        # `dead` stops renewing; whoever ticks after its lease ran out takes it over, once.
        await wait_until_async(lambda: one.tick(), 10, interval=0.05, what="a takeover")
        await other.tick()
        assert (one.taken_over, other.taken_over) == (1, 0)
        assert one.channel.pending_receipts() == 3 and other.channel.pending_receipts() == 0

        # A clean stop ends the lease at once: the next tick of a survivor takes over.
        await other.release()
        assert await one.tick() == 2 and one.taken_over == 2
