"""Queued messages whose channel is gone are re-routed, not left unclaimed."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from tidings.channels.base import TEXT
from tidings.channels.setup import build_registry
from tidings.config import Settings
from tidings.context import AppContext
from tidings.dispatch.worker import OrphanAdopter
from tidings.product import Product
from tidings.store.migrate import upgrade
from tidings.store.models.pipeline import DELIVERED, QUEUED, Message
from tidings.store.models.smpp import ChannelDef
from tidings.timeutil import utcnow


def _message(mid: str, channel: str, status: str) -> Message:
    now = utcnow()
    return Message(
        id=mid, tenant_id="t1", task_id="task", product="sms", channel=channel, channel_num="106900010001", number="8613800138000",
        to="13800138000", text="【示例】hello", parts=1, status=status, attempts=0, next_attempt_at=now, created_at=now,
    )


async def test_queued_messages_of_a_removed_channel_move_to_a_running_one(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")
    await asyncio.to_thread(upgrade, settings.db_url)
    ctx = AppContext.build(settings, products=[Product(name="sms", carried_as=TEXT)])  # what the channels must carry
    try:
        async with ctx.db.write() as session:
            session.add_all([
                _message("m-orphan", "cmcc-removed", QUEUED),
                _message("m-done", "cmcc-removed", DELIVERED),
                _message("m-fine", "sandbox", QUEUED),
                # Enabled in the definitions but not run here (yet): left alone.
                _message("m-new", "cmcc-new", QUEUED),
                ChannelDef(name="cmcc-new", kind="smpp", config={}, enabled=True),
            ])
        adopter = OrphanAdopter(ctx, await build_registry(ctx))
        assert await adopter.adopt_once() == 1
        assert await adopter.adopt_once() == 0
        async with ctx.db.read() as session:
            channels = dict((await session.execute(select(Message.id, Message.channel))).all())
        assert channels == {"m-orphan": "sandbox", "m-done": "cmcc-removed", "m-fine": "sandbox", "m-new": "cmcc-new"}
    finally:
        await ctx.db.dispose()
