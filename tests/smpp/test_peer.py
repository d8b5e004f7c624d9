"""SmppChannel against a real SMPP server nobody on this project wrote (node-smpp)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import tempfile

import pytest

from tests.support.harness import SHARED, free_port
from tests.support.wait import wait_until_async
from tidings.channels.base import OutboundMessage
from tidings.channels.smpp.channel import UNKNOWN_OUTCOME, SmppChannel, SmppConfig
from tidings.domain import sms_text

pytestmark = pytest.mark.smpp_peer

START = SHARED / "peers" / "smsc" / "start.sh"


class Peer:
    def __init__(self, mo_every_ms: int = 0, dlr_delay_ms: int = 0) -> None:
        self.port = free_port()
        self.args = (str(mo_every_ms), str(dlr_delay_ms))
        self.pid: int | None = None

    def start(self) -> None:
        if not START.exists():
            pytest.fail(f"node-smpp peer not found at {START} (set TIDINGS_SHARED_DIR)")
        # start.sh installs node-smpp on its first run: one pytest-xdist worker
        # at a time, or two npm installs write into the same directory.
        with open(os.path.join(tempfile.gettempdir(), "tidings-smsc-sim-start.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            out = subprocess.run([str(START), str(self.port), *self.args], check=True, capture_output=True, text=True)
        self.pid = int(out.stdout.strip())

    def kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None


@pytest.fixture
def peer():
    p = Peer(mo_every_ms=100)
    p.start()
    yield p
    p.kill()


class Events:
    def __init__(self):
        self.reports = []
        self.uplinks = []

    async def on_reports(self, reports):
        self.reports.extend(reports)

    async def on_uplinks(self, uplinks):
        self.uplinks.extend(uplinks)


def msg(i, text, source="10690000"):
    return OutboundMessage(str(i), "t1", source, "8613800138000", text, sms_text.count_parts(text)[1], "sms")


async def start_channel(port, events, **kw):
    cfg = SmppConfig(port=port, **{"system_id": "tidings", "password": "pw", "reconnect_min": 0.05,
                                   "reconnect_max": 0.3, **kw})
    ch = SmppChannel(cfg)
    await ch.start(events)
    assert await ch.wait_bound(10)
    return ch


@pytest.mark.parametrize("bind_mode", ["trx", "tx+rx"])
async def test_submit_and_receipt_matched(peer, bind_mode):
    events = Events()
    ch = await start_channel(peer.port, events, bind_mode=bind_mode, binds=2)
    msgs = [msg(i, f"【华为云】您的验证码是{i:06d}") for i in range(50)]
    results = await ch.submit(msgs)
    assert all(r.ok and len(r.carrier_message_ids) == 1 for r in results)
    assert await wait_until_async(lambda: len(events.reports) >= 50)
    await ch.stop()
    by_id = {r.message_id: r for r in events.reports}
    assert set(by_id) == {m.message_id for m in msgs}
    for r in results:
        report = by_id[r.message_id]
        assert report.status == "DELIVRD" and report.carrier_message_id == r.carrier_message_ids[0]


async def test_uplink_from_peer(peer):
    events = Events()
    ch = await start_channel(peer.port, events)
    assert await wait_until_async(lambda: len(events.uplinks) >= 2)
    await ch.stop()
    up = events.uplinks[0]
    assert up.text.startswith("MO hello ") and up.source == "447700900001" and up.destination == "12345"


@pytest.mark.parametrize(
    "text,encoding,parts",
    [("Hello {world} " * 25, "gsm7", 3), ("【华为云】" + "长短信测试" * 30, "ucs2", 3)],
)
async def test_long_messages(peer, text, encoding, parts):
    events = Events()
    ch = await start_channel(peer.port, events)
    assert sms_text.count_parts(text)[:2] == (encoding, parts)
    (result,) = await ch.submit([msg("long", text)])
    assert result.ok and len(result.carrier_message_ids) == parts
    assert await wait_until_async(lambda: len(events.reports) >= parts)
    await ch.stop()
    assert sorted(r.carrier_message_id for r in events.reports) == sorted(result.carrier_message_ids)
    assert {r.message_id for r in events.reports} == {"long"}


async def test_reconnect_after_peer_restart_nothing_lost():
    peer = Peer()
    peer.start()
    events = Events()
    try:
        # Once the peer is gone every message left waits not_bound_wait for a bind,
        # a window's worth at a time: 0.5 s made that wait alone ~70 s.
        ch = await start_channel(peer.port, events, window=20, response_timeout=2.0, not_bound_wait=0.05)
        # Kill the peer while a large batch is in flight.
        batch = asyncio.ensure_future(ch.submit([msg(i, f"message {i}") for i in range(3000)]))
        assert await wait_until_async(lambda: len(events.reports) >= 50)
        peer.kill()
        results = await batch
        ok = [r for r in results if r.ok]
        unknown = [r for r in results if r.error_code == UNKNOWN_OUTCOME]
        transient = [r for r in results if not r.ok and r.transient]
        # Every message is accounted for: accepted, unknown, or never sent (transient).
        assert len(ok) + len(unknown) + len(transient) == 3000
        assert ok and (unknown or transient)
        assert all(not r.transient for r in unknown)
        # The peer comes back on the same port: the channel binds again by itself.
        peer.start()
        assert await ch.wait_bound(10)
        again = await ch.submit([msg(f"after{i}", "after restart") for i in range(20)])
        assert all(r.ok for r in again)
        assert await wait_until_async(lambda: {f"after{i}" for i in range(20)} <= {r.message_id for r in events.reports})
        await ch.stop()
    finally:
        peer.kill()
    # Every report refers to a message the channel said was accepted (no stray matches).
    accepted = {r.message_id for r in ok} | {r.message_id for r in again}
    assert {r.message_id for r in events.reports} <= accepted
