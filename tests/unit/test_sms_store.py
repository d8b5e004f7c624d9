"""SMS configuration queries against a real (SQLite) database: the channel
pool (exhaustion, waiting signatures, reuse after delete), what the pipeline
reads (C1) and the delete guard (C2)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from tidings import review
from tidings.errors import KooError
from tidings.installed import load_products, review_hooks
from tidings.sms import codes, lifecycle, pool, queries
from tidings.store.db import Database
from tidings.store.migrate import upgrade
from tidings.store.models.pipeline import DELIVERED, QUEUED, Message
from tidings.store.models.sms import SmsApp, SmsSignature, SmsTemplate
from tidings.store.tenants import create_tenant
from tidings.timeutil import utcnow

HOOKS = review_hooks(load_products())


@pytest.fixture
async def db(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'sms.db'}"
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    yield database
    await database.dispose()


async def _setup(db, name="t"):
    async with db.write() as s:
        tenant = await create_tenant(s, name)
        app = SmsApp(tenant_id=tenant.id, name="app", up_link_addr="https://example.com/mo")
        s.add(app)
        await s.flush()
        return tenant.id, app.id


async def _signature(db, tenant_id, app_id, name):
    async with db.write() as s:
        sig = SmsSignature(tenant_id=tenant_id, app_id=app_id, name=name, type="NOTIFY_TYPE", file_id="f", signature_source=0, is_involved_third="no")
        s.add(sig)
        await s.flush()
        await review.submit(s, tenant_id=tenant_id, object_type=codes.OBJ_SIGNATURE, object_id=sig.id, actor="t", hooks=HOOKS)
        return sig.id


async def _approve(db, sig_id):
    async with db.write() as s:
        item = await review.item_for(s, codes.OBJ_SIGNATURE, sig_id)
        await review.decide(s, item, party=None, decision="approved", actor="op", hooks=HOOKS)
        return await s.get(SmsSignature, sig_id)


async def test_pool_exhaustion_waiting_and_reuse(db):
    tenant_id, app_id = await _setup(db)
    async with db.write() as s:
        await pool.add_range(s, "5550", "5550", "op")
    a = await _signature(db, tenant_id, app_id, "甲")
    b = await _signature(db, tenant_id, app_id, "乙")
    sig_a = await _approve(db, a)
    assert (sig_a.status, sig_a.channel_num) == ("REVIEW_PASSED", "5550")
    sig_b = await _approve(db, b)
    assert (sig_b.status, sig_b.channel_num) == ("PROCESSING", None)  # the pool is empty

    async with db.write() as s:
        await pool.add_range(s, "5551", "5552", "op")
    async with db.read() as s:
        sig_b = await s.get(SmsSignature, b)
    assert (sig_b.status, sig_b.channel_num) == ("REVIEW_PASSED", "5551")

    async with db.write() as s:
        await lifecycle.delete_signature(s, await s.get(SmsSignature, a), "t")
    c = await _signature(db, tenant_id, app_id, "丙")
    d = await _signature(db, tenant_id, app_id, "丁")
    assert (await _approve(db, c)).channel_num == "5552"  # never-used numbers first
    assert (await _approve(db, d)).channel_num == "5550"  # then the freed one


async def test_send_templates_and_uplink_routing(db):
    tenant_id, app_id = await _setup(db, "owner")
    other_tenant, _ = await _setup(db, "other")
    async with db.write() as s:
        await pool.add_range(s, "1069123400", "1069123409", "op")
    sig_id = await _signature(db, tenant_id, app_id, "示例")
    async with db.write() as s:
        tpl = SmsTemplate(tenant_id=tenant_id, app_id=app_id, signature_id=sig_id, name="code", content="验证码${1}", type="NOTIFY_TYPE")
        s.add(tpl)
        await s.flush()
        await queries.replace_variables(s, tpl.id, [(1, "CHARDIGIT", "", 20)])
        tpl_id = tpl.id

    async with db.read() as s:
        before = (await queries.load_send_templates(s, tenant_id, [tpl_id, "missing"]))[tpl_id]
        assert await queries.load_send_templates(s, other_tenant, [tpl_id]) == {}
    assert (before.adopted, before.signature_approved, before.channel_num, before.app_status) == (False, False, None, "LAUNCHED")
    assert [(v.index, v.type, v.max_length) for v in before.variables] == [(1, "CHARDIGIT", 20)]

    number = (await _approve(db, sig_id)).channel_num
    async with db.read() as s:
        after = (await queries.load_send_templates(s, tenant_id, [tpl_id]))[tpl_id]
        assert (after.signature_approved, after.channel_num, after.signature_name) == (True, number, "示例")
        assert await queries.app_for_channel_number(s, number) == (tenant_id, app_id, "https://example.com/mo")
        assert await queries.app_for_channel_number(s, number + "0042") == (tenant_id, app_id, "https://example.com/mo")
        assert await queries.app_for_channel_number(s, "999") is None


async def test_delete_is_refused_while_messages_are_queued(db):
    tenant_id, app_id = await _setup(db)
    sig_id = await _signature(db, tenant_id, app_id, "忙")
    now = utcnow()
    async with db.write() as s:
        for i in range(3):
            s.add(Message(id=f"m{i}", tenant_id=tenant_id, task_id="t", product="sms", app_id=app_id, signature_id=sig_id, channel="sandbox",
                          channel_num="1069", number="8613800138000", to="13800138000", text="x", status=QUEUED, created_at=now))
    async with db.write() as s:
        with pytest.raises(KooError) as exc:
            await lifecycle.delete_signature(s, await s.get(SmsSignature, sig_id), "t")
    assert exc.value.code == codes.SIGNATURE_BUSY and "3 queued" in exc.value.msg
    async with db.write() as s:
        await s.execute(update(Message).where(Message.signature_id == sig_id).values(status=DELIVERED))
    async with db.write() as s:
        await lifecycle.delete_signature(s, await s.get(SmsSignature, sig_id), "t")
    async with db.read() as s:
        assert await s.get(SmsSignature, sig_id) is None
