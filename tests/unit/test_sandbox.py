"""The sandbox carrier on its own (pipeline): outcomes per magic number,
receipts per part, the transaction hooks and resume after a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.support.wait import wait_until_async
from tidings.channels.base import OutboundMessage, PendingMessage
from tidings.channels.sandbox import card_capable
from tidings.channels.sandbox.carrier import SandboxCarrier, SandboxConfig
from tidings.timeutil import utcnow


class Recorder:
    """ChannelEvents as the pipeline implements it, minus the database."""

    def __init__(self):
        self.reports = []

    async def on_reports(self, reports):
        self.reports.extend(reports)

    async def on_uplinks(self, uplinks):
        pass


def msg(mid: str, number: str, parts: int = 1, attempt: int = 1) -> OutboundMessage:
    return OutboundMessage(mid, "t", "106900010001", "86" + number, "【测试】hi", parts, "sms", attempt=attempt)


async def test_outcomes_and_receipts_per_part():
    carrier = SandboxCarrier(SandboxConfig(latency_ms=(1, 5), handset_off_seconds=0.05))
    rec = Recorder()
    await carrier.start(rec)
    try:
        batch = [msg("ok", "13800138000", parts=3), msg("empty", "17000000001"), msg("black", "17000000002"), msg("off", "17000000003"),
                 msg("lost", "17000000008")]
        results = {r.message_id: r for r in await carrier.submit(batch)}
        assert results["ok"].ok and len(results["ok"].carrier_message_ids) == 3
        assert (results["empty"].ok, results["empty"].error_code, results["empty"].transient) == (False, "MK:0001", False)
        assert all(results[m].ok for m in ("black", "off", "lost"))
        await asyncio.sleep(0.1)
        assert rec.reports == []  # nothing before the commit
        carrier.after_commit([m for m, r in results.items() if r.ok])
        await wait_until_async(lambda: len(rec.reports) == 5)
        got = sorted((r.message_id, r.carrier_message_id, r.status) for r in rec.reports)
        assert got == sorted(
            [("ok", f"sbx-ok-{i}", "DELIVRD") for i in (1, 2, 3)] + [("black", "sbx-black-1", "MA:0001"), ("off", "sbx-off-1", "EXPIRED")]
        )
    finally:
        await carrier.stop()


async def test_rollback_forgets_the_submit():
    carrier = SandboxCarrier(SandboxConfig(latency_ms=(1, 2)))
    rec = Recorder()
    await carrier.start(rec)
    try:
        await carrier.submit([msg("a", "13800138000")])
        carrier.after_rollback(["a"])
        carrier.after_commit(["a"])  # too late: nothing staged any more
        await asyncio.sleep(0.05)
        assert rec.reports == [] and carrier.pending_receipts() == 0
    finally:
        await carrier.stop()


async def test_throttled_number_is_transient_until_its_third_attempt():
    carrier = SandboxCarrier(SandboxConfig(throttle_attempts=2))
    outcomes = [(await carrier.submit([msg("t", "17000000006", attempt=a)]))[0] for a in (1, 2, 3)]
    assert [(r.ok, r.transient, r.error_code) for r in outcomes] == [(False, True, "MO:0008"), (False, True, "MO:0008"), (True, False, None)]


async def test_resume_rearms_only_unreported_parts():
    carrier = SandboxCarrier(SandboxConfig(latency_ms=(1, 2)))
    rec = Recorder()
    await carrier.start(rec)
    try:
        carrier.resume(
            [
                PendingMessage("m1", "8613800138000", 3, utcnow() - timedelta(seconds=1), reported_parts=(2,)),
                PendingMessage("m2", "8617000000008", 1, utcnow()),  # never reported, by design
            ]
        )
        await wait_until_async(lambda: len(rec.reports) == 2)
        await asyncio.sleep(0.05)
        assert sorted(r.carrier_message_id for r in rec.reports) == ["sbx-m1-1", "sbx-m1-3"]
    finally:
        await carrier.stop()


def test_card_capability_flag():
    assert card_capable("8613800138000")
    assert not card_capable("8617000001000") and not card_capable("8617000001999")
    assert card_capable("8617000002000")


def test_config_from_settings():
    cfg = SandboxConfig.from_settings({"sandbox": {"latency_ms": [5, 10], "validity_seconds": 3, "unknown": 1}})
    assert cfg.latency_ms == (5.0, 10.0) and cfg.validity_seconds == 3.0
