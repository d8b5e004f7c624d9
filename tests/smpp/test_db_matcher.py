"""The database-backed receipt matcher, on SQLite and PostgreSQL, alone and
under an SmppChannel talking to the test SMSC."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import backend_params, require_pg
from tests.support.harness import create_pg_database, drop_pg_database
from tests.support.smsc import Plan, TestSmsc
from tests.support.wait import wait_until_async
from tidings.channels.base import DeliveryReport, OutboundMessage
from tidings.channels.smpp.channel import SmppChannel, SmppConfig
from tidings.channels.smpp.db_matcher import DbReceiptMatcher
from tidings.store import carrier_ids
from tidings.store.carrier_ids import CarrierIdStore
from tidings.store.db import Database
from tidings.store.migrate import upgrade
from tidings.timeutil import utcnow


@pytest.fixture(scope="module", params=backend_params())
def db_url(request):
    if request.param == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='tidings-matcher-')) / 'm.db'}"
    upgrade(url)
    yield url
    if request.param == "postgresql":
        drop_pg_database(url)


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    yield database
    await database.dispose()


def report(cid, status="DELIVRD"):
    return DeliveryReport(None, cid, status, f"stat:{status} err:000", datetime.now(UTC), "x")


async def store_ids(db, channel, entries):
    """What the dispatcher does with a submit's outcome (persists_carrier_ids)."""
    async with db.write() as session:
        await carrier_ids.save(session, channel, entries, utcnow())


async def test_remembered_ids_match_at_once_and_stored_ones_in_a_new_matcher(db):
    m = DbReceiptMatcher(CarrierIdStore(db, "cmcc-a"))
    await m.remember([("A1", "msg1", 1), ("A2", "msg1", 2), ("B1", "msg2", 1)])
    assert await m.match(["A1"]) == {"A1": ("msg1", 1)}  # at once, before the dispatcher records the submit
    assert await DbReceiptMatcher(CarrierIdStore(db, "cmcc-a")).match(["A1"]) == {}  # memory only
    await store_ids(db, "cmcc-a", [("A1", "msg1", 1), ("A2", "msg1", 2), ("B1", "msg2", 1)])
    # A restarted process: a fresh matcher on the same database knows them.
    again = DbReceiptMatcher(CarrierIdStore(db, "cmcc-a"))
    assert await again.match(["A2", "B1", "ZZ"]) == {"A2": ("msg1", 2), "B1": ("msg2", 1)}
    # Storing the same id twice is harmless; an id issued again (an SMSC that
    # restarted and counts from 1) maps to the newest message.
    await store_ids(db, "cmcc-a", [("A1", "msg1", 1)])
    await store_ids(db, "cmcc-a", [("A1", "msg9", 1), ("B1", "msg8", 1), ("B1", "msg7", 2)])
    assert await DbReceiptMatcher(CarrierIdStore(db, "cmcc-a")).match(["A1", "B1"]) == {"A1": ("msg9", 1), "B1": ("msg7", 2)}


async def test_ids_are_per_channel(db):
    await store_ids(db, "chan-a", [("00000001", "from-a", 1)])
    await store_ids(db, "chan-b", [("00000001", "from-b", 1)])
    a, b = DbReceiptMatcher(CarrierIdStore(db, "chan-a")), DbReceiptMatcher(CarrierIdStore(db, "chan-b"))  # from the database, not the cache
    assert await a.match(["00000001"]) == {"00000001": ("from-a", 1)}
    assert await b.match(["00000001"]) == {"00000001": ("from-b", 1)}


async def test_large_batches_cross_the_chunk_size(db):
    entries = [(f"{i:08X}", f"m{i}", 1) for i in range(2500)]
    await store_ids(db, "bulk", entries)
    found = await DbReceiptMatcher(CarrierIdStore(db, "bulk")).match([e[0] for e in entries])
    assert len(found) == 2500 and found["000009C3"] == ("m2499", 1)


async def test_park_parked_unpark(db):
    m = DbReceiptMatcher(CarrierIdStore(db, "park"))
    assert await m.parked(["P1"]) == []
    await m.park([report("P1"), report("P1", "UNDELIV"), report("P2")])
    got = await m.parked(["P1", "P9"])
    assert [(r.carrier_message_id, r.status) for r in got] == [("P1", "DELIVRD"), ("P1", "UNDELIV")]
    # A new process finds what the last one parked, once the id is stored.
    fresh = DbReceiptMatcher(CarrierIdStore(db, "park"))
    await store_ids(db, "park", [("P2", "m2", 1)])
    assert [r.carrier_message_id for r in await fresh.parked(["P2"])] == ["P2"]
    await fresh.unpark(["P1", "P2"])
    assert await fresh.parked(["P1", "P2"]) == [] and await fresh.parked_count() == 0


async def test_sweep_finds_receipts_parked_by_another_process(db):
    parker = DbReceiptMatcher(CarrierIdStore(db, "sweep"))
    await parker.park([report("S1")])
    # Another worker submitted it (the dispatcher stored the id); its own process never parked anything.
    other = DbReceiptMatcher(CarrierIdStore(db, "sweep"), sweep_interval=0.0)
    await store_ids(db, "sweep", [("S1", "msg-s", 1)])
    assert [r.carrier_message_id for r in await other.parked([])] == ["S1"]


async def test_expiry_forgets_old_rows(db):
    m = DbReceiptMatcher(CarrierIdStore(db, "old"), retention=timedelta(days=7))
    await store_ids(db, "old", [("O1", "m1", 1)])
    await m.park([report("O2")])
    assert await m.expire(now=utcnow() + timedelta(days=1)) == (0, 0)
    assert await m.expire(now=utcnow() + timedelta(days=8)) == (1, 1)
    assert await DbReceiptMatcher(CarrierIdStore(db, "old")).match(["O1"]) == {} and await m.parked_count() == 0


class Events:
    def __init__(self):
        self.reports: list[DeliveryReport] = []

    async def on_reports(self, reports):
        self.reports.extend(reports)

    async def on_uplinks(self, uplinks):
        pass


async def test_channel_with_db_matcher_matches_early_and_late_receipts(db):
    # Every third receipt comes before its submit_sm_resp: it is parked in the
    # database and reported once the id is remembered.
    planner = lambda pdu, n: Plan(receipt_first=(n % 3 == 0))  # noqa: E731 - a one-line plan, read where it is used
    async with TestSmsc(planner) as smsc:
        events = Events()
        ch = SmppChannel(SmppConfig(name="dbm", port=smsc.port, window=20), matcher=DbReceiptMatcher(CarrierIdStore(db, "dbm")))
        await ch.start(events)
        assert await ch.wait_bound(5)
        msgs = [OutboundMessage(f"m{i}", "t", "10690000", "8613800138000", f"code {i}", 1, "sms") for i in range(60)]
        results = await ch.submit(msgs)
        assert all(r.ok for r in results)
        assert await wait_until_async(lambda: len({r.message_id for r in events.reports}) == 60)
        await ch.stop()
    by_msg = {r.message_id: r.carrier_message_id for r in events.reports}
    assert by_msg == {r.message_id: r.carrier_message_ids[0] for r in results}
    assert await DbReceiptMatcher(CarrierIdStore(db, "dbm")).parked_count() == 0


async def test_receipts_after_restart_match_ids_from_the_last_run(db):
    # Run 1 submits and stops before any receipt (the SMSC holds them back);
    # run 2, a new channel and matcher, gets the receipts and matches them from the database.
    held: list = []
    async with TestSmsc(lambda pdu, n: Plan(receipt=None)) as smsc:
        ch1 = SmppChannel(SmppConfig(name="restart", port=smsc.port), matcher=DbReceiptMatcher(CarrierIdStore(db, "restart")))
        await ch1.start(Events())
        assert await ch1.wait_bound(5)
        results = await ch1.submit([OutboundMessage(f"r{i}", "t", "10690000", "8613800138000", "hi", 1, "sms") for i in range(5)])
        assert all(r.ok for r in results)
        held = [r.carrier_message_ids[0] for r in results]
        await store_ids(db, "restart", [(r.carrier_message_ids[0], r.message_id, 1) for r in results])
        await ch1.stop()

        events = Events()
        ch2 = SmppChannel(SmppConfig(name="restart", port=smsc.port), matcher=DbReceiptMatcher(CarrierIdStore(db, "restart")))
        await ch2.start(events)
        assert await ch2.wait_bound(5)
        for cid in held:
            resp = await smsc.deliver({"source_addr": "8613800138000", "destination_addr": "10690000", "esm_class": 4,
                                       "short_message": (f"id:{cid} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
                                                         " stat:DELIVRD err:000 text:").encode()})
            assert resp.command_status == 0  # acknowledged only once stored and reported
        await ch2.stop()
    assert sorted(r.message_id for r in events.reports) == [f"r{i}" for i in range(5)]
