"""Report intake and the dispatcher's record lock message rows on PostgreSQL
without deadlocking each other, and an intake chosen as a deadlock's victim
stores its reports anyway (an SMSC that gets an error may never redeliver)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import select

from tests.conftest import require_pg
from tests.support.harness import create_pg_database, drop_pg_database
from tests.support.wait import wait_until_async
from tidings.channels.base import DeliveryReport
from tidings.config import Settings
from tidings.context import AppContext
from tidings.dispatch.intake import Intake
from tidings.store import messages as store
from tidings.store.migrate import upgrade
from tidings.store.models.pipeline import DELIVERED, SUBMITTED, SUBMITTING, Message
from tidings.timeutil import utcnow

IDS = ["m-1", "m-2", "m-3"]


@pytest.fixture
def pg_url():
    require_pg()  # row locks and deadlocks: PostgreSQL only (SQLite has one writer)
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture
async def ctx(tmp_path, pg_url):
    url = pg_url
    context = AppContext.build(Settings(data_dir=tmp_path, database_url=url))
    async with context.db.write() as session:
        now = utcnow()
        session.add_all([
            Message(id=mid, tenant_id="t1", task_id="task", product="sms", channel="smsc", channel_num="106900010001", number="8613800138000",
                    to="13800138000", text="【示例】hello", parts=1, status=SUBMITTING, attempts=0, next_attempt_at=now, created_at=now)
            for mid in IDS
        ])
    yield context
    await context.db.dispose()


def _dsn(ctx: AppContext) -> str:
    return ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _waiting_on_a_lock(conn: asyncpg.Connection) -> bool:
    n = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    return bool(n)


def _submitted(mid: str) -> store.Outcome:
    return store.Outcome(mid, SUBMITTED, None, None, None, 1, submitted_at=utcnow(), carrier_ids=["c-" + mid])


async def test_recording_submits_locks_rows_in_id_order(ctx):
    """The intake locks its rows in id order; a record that took them in
    another order could hold m-3 while waiting for m-1 that an intake holds
    while waiting for m-3."""
    holder = await asyncpg.connect(_dsn(ctx))
    probe = await asyncpg.connect(_dsn(ctx))
    try:
        hold = holder.transaction()
        await hold.start()
        await holder.execute("SELECT id FROM messages WHERE id = 'm-1' FOR UPDATE")

        async def record() -> None:
            async with ctx.db.write() as session:
                await store.record_outcomes(session, [_submitted(m) for m in reversed(IDS)])

        recording = asyncio.create_task(record())
        await wait_until_async(lambda: _waiting_on_a_lock(probe))
        # Waiting for m-1, the record holds none of the later rows.
        async with probe.transaction():
            locked = await probe.fetch("SELECT id FROM messages WHERE id IN ('m-2', 'm-3') FOR UPDATE NOWAIT")
        assert sorted(r["id"] for r in locked) == ["m-2", "m-3"]
        await hold.rollback()
        await asyncio.wait_for(recording, 10)
    finally:
        await holder.close()
        await probe.close()
    async with ctx.db.read() as session:
        assert set((await session.execute(select(Message.status))).scalars()) == {SUBMITTED}


async def test_an_intake_chosen_as_deadlock_victim_stores_its_reports_anyway(ctx):
    other = await asyncpg.connect(_dsn(ctx))
    try:
        tx = other.transaction()
        await tx.start()
        # This side waits long before checking for a deadlock, so the intake
        # (1 s, the default) is the one PostgreSQL rolls back.
        await other.execute("SET LOCAL deadlock_timeout = '20s'")
        await other.execute("SELECT id FROM messages WHERE id = 'm-3' FOR UPDATE")
        intake = Intake(ctx)
        done_at = utcnow()
        storing = asyncio.create_task(intake.on_reports([DeliveryReport(m, "c-" + m, "DELIVRD", "stat:DELIVRD", done_at, "smsc") for m in IDS]))
        probe = await asyncpg.connect(_dsn(ctx))
        try:
            await wait_until_async(lambda: _waiting_on_a_lock(probe))  # the intake holds m-1, m-2 and waits for m-3
        finally:
            await probe.close()
        # m-1 while the intake holds it and waits for m-3: a cycle.
        await other.execute("SELECT id FROM messages WHERE id = 'm-1' FOR UPDATE")
        await tx.commit()
        await asyncio.wait_for(storing, 20)
    finally:
        await other.close()
    async with ctx.db.read() as session:
        assert set((await session.execute(select(Message.status))).scalars()) == {DELIVERED}
    assert intake.stored == len(IDS)
