"""A product plugs in through the installed list alone: its routers are
mounted, its review hooks run on decisions of its kinds (next to the core's),
and the pipeline builds receipts for its messages with its builder."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
from fastapi import APIRouter
from sqlalchemy import select

from tidings import review
from tidings.app import create_app
from tidings.callbacks import registrations
from tidings.callbacks.receipts import ReceiptBatch, receipt_builders
from tidings.config import Settings
from tidings.filing import OBJ_FILING
from tidings.installed import build_context, load_products, review_hooks
from tidings.product import Product, Receipts
from tidings.store.migrate import upgrade
from tidings.store.models.callbacks import CallbackOutbox
from tidings.store.tenants import create_tenant
from tidings.timeutil import utcnow

router = APIRouter()


@router.get("/toy/ping")
async def ping() -> dict:
    return {"pong": True}


DECIDED: list[tuple[str, str]] = []


async def on_toy_decision(session, event: review.Decision) -> None:
    DECIDED.append((event.item.object_id, event.state))


def toy_receipt(row, *, seq, total, status, desc, send_time, receive_time, fmt) -> dict:
    return {"msg_id": row.id, "sequence": str(seq), "send_status": status, "receive_time": fmt[receive_time]}


TOY = Product(name="toy", routers=(router,), review_hooks={"toy_object": on_toy_decision}, receipts=Receipts("sms", toy_receipt))
SILENT = Product(name="silent")  # sends messages, no receipts


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")


async def test_only_installed_products_are_mounted(tmp_path):
    app = create_app(ctx=build_context(_settings(tmp_path), products=(TOY,)), run_workers=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/toy/ping")).json() == {"pong": True}
        # SMS is not in this list, so none of its operations exist here.
        assert (await client.get("/v1/sms/apps")).json()["error_code"] == "APIGW.0101"


def test_review_hooks_merge_the_core_and_every_product():
    hooks = review_hooks((TOY, *load_products()))
    assert hooks["toy_object"] == [on_toy_decision]
    assert OBJ_FILING in hooks and "sms_signature" in hooks and "sms_template" in hooks


async def test_a_decision_reaches_the_products_hook_in_its_transaction(tmp_path):
    settings = _settings(tmp_path)
    await asyncio.to_thread(upgrade, settings.db_url)
    ctx = build_context(settings, products=(TOY,))
    try:
        async with ctx.db.write() as s:
            tenant = await create_tenant(s, "t")
            item = await review.submit(s, tenant_id=tenant.id, object_type="toy_object", object_id="toy-1", actor="t", hooks=ctx.review_hooks)
            await review.decide(s, item, party=None, decision=review.APPROVED, actor="op", hooks=ctx.review_hooks)
        assert ("toy-1", review.APPROVED) in DECIDED
    finally:
        await ctx.db.dispose()


async def test_receipts_are_built_by_the_messages_product(tmp_path):
    settings = _settings(tmp_path)
    await asyncio.to_thread(upgrade, settings.db_url)
    ctx = build_context(settings, products=(TOY, SILENT))
    now = utcnow()
    try:
        async with ctx.db.write() as s:
            tenant_id = (await create_tenant(s, "t")).id
            await registrations.register(s, tenant_id, registrations.URL_SINGLE, "https://example.com/receipts")
        batch = ReceiptBatch(receipt_builders(ctx.products))
        for mid, product in (("m-toy", "toy"), ("m-silent", "silent")):
            row = SimpleNamespace(id=mid, tenant_id=tenant_id, product=product, parts=2, submitted_at=now)
            batch.add_unreported(row, "EXPIRED", "not delivered", now, reported={1})
        async with ctx.db.write() as s:
            assert await batch.enqueue(s) == 1
        async with ctx.db.read() as s:
            (payload,) = (await s.execute(select(CallbackOutbox.payload))).scalars().all()
        assert payload["msg_id"] == "m-toy" and payload["sequence"] == "2" and payload["send_status"] == "EXPIRED"
    finally:
        await ctx.db.dispose()
