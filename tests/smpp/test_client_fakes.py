"""SmppClient and SmppChannel against our own test SMSC (server.py)."""

import asyncio

import pytest

from tests.support.smsc import Plan, TestSmsc
from tests.support.wait import wait_until_async
from tidings.channels.base import OutboundMessage
from tidings.channels.smpp.channel import UNKNOWN_OUTCOME, SmppChannel, SmppConfig
from tidings.channels.smpp.client import ClientConfig, Outcome, SmppClient
from tidings.channels.smpp.matcher import InMemoryReceiptMatcher
from tidings.channels.smpp.pdu import CommandStatus as S
from tidings.domain import sms_text

FAST = dict(reconnect_min=0.05, reconnect_max=0.2, not_bound_wait=3.0)


class Events:
    def __init__(self, fail_reports: int = 0):
        self.reports = []
        self.uplinks = []
        self.fail_reports = fail_reports

    async def on_reports(self, reports):
        if self.fail_reports:
            self.fail_reports -= 1
            raise RuntimeError("database down")
        self.reports.extend(reports)

    async def on_uplinks(self, uplinks):
        self.uplinks.extend(uplinks)


def msg(i, text="hello", dest="8613800138000"):
    return OutboundMessage(str(i), "t1", "10690000", dest, text, sms_text.count_parts(text)[1], "sms")


async def channel(smsc, events=None, **kw):
    cfg = SmppConfig(port=smsc.port, **{"system_id": "esme", "password": "pw", **FAST, **kw})
    ch = SmppChannel(cfg)
    await ch.start(events or Events())
    assert await ch.wait_bound(5)
    return ch


async def test_window_never_exceeded():
    async with TestSmsc(lambda pdu, n: Plan(delay=0.01)) as smsc:
        client = SmppClient(ClientConfig("127.0.0.1", smsc.port, "esme", "pw", window=7, **FAST))
        await client.start()
        outs = await asyncio.gather(*(client.submit({"destination_addr": "86", "short_message": b"x"}) for _ in range(60)))
        await client.stop()
    assert all(o.outcome is Outcome.ACCEPTED for o in outs)
    assert smsc.max_unanswered == 7  # filled, never exceeded
    assert client.max_in_flight == 7


async def test_rate_cap_spaces_submits():
    async with TestSmsc() as smsc:
        client = SmppClient(ClientConfig("127.0.0.1", smsc.port, "esme", "pw", window=50, mps=200, **FAST))
        await client.start()
        await client.wait_bound(3)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.gather(*(client.submit({"destination_addr": "86", "short_message": b"x"}) for _ in range(60)))
        elapsed = loop.time() - start
        await client.stop()
    # 60 submits at 200/s with a burst of 20 cannot take less than (60-20)/200 s.
    assert elapsed >= 0.19


async def test_error_statuses_are_mapped():
    statuses = {"861": S.ESME_RINVDSTADR, "862": S.ESME_RSYSERR, "863": S.ESME_RTHROTTLED}
    async with TestSmsc(lambda pdu, n: Plan(status=statuses.get(pdu.params["destination_addr"], 0))) as smsc:
        ch = await channel(smsc, throttle_retries=1)
        for c in ch.clients:
            c.config.throttle_pause = 0.01
        results = await ch.submit([msg(1, dest="861"), msg(2, dest="862"), msg(3, dest="863"), msg(4)])
        await ch.stop()
    bad, syserr, throttled, ok = results
    assert (bad.ok, bad.transient, bad.error_code) == (False, False, "ESME_RINVDSTADR")
    assert (syserr.ok, syserr.transient, syserr.error_code) == (False, True, "ESME_RSYSERR")
    assert (throttled.ok, throttled.transient, throttled.error_code) == (False, True, "ESME_RTHROTTLED")
    assert ok.ok and len(ok.carrier_message_ids) == 1
    # The throttled submit was retried once (throttle_retries=1), the others were not.
    dests = [p.params["destination_addr"] for p in smsc.submits]
    assert dests.count("863") == 2 and dests.count("861") == 1


async def test_throttled_then_accepted_is_retried_and_ok():
    async with TestSmsc(lambda pdu, n: Plan(status=S.ESME_RTHROTTLED if n <= 2 else 0)) as smsc:
        ch = await channel(smsc)
        for c in ch.clients:
            c.config.throttle_pause = 0.01
        (result,) = await ch.submit([msg(1)])
        await ch.stop()
    assert result.ok and smsc.submit_count == 3


async def test_drop_mid_window_reports_in_flight_as_unknown_then_reconnects():
    # Submits 1-5 answered slowly; submit 6 makes the SMSC drop the connection.
    async with TestSmsc(lambda pdu, n: Plan(drop=(n == 6), delay=0.3 if n < 6 else 0)) as smsc:
        client = SmppClient(ClientConfig("127.0.0.1", smsc.port, "esme", "pw", window=10, **FAST))
        await client.start()
        await client.wait_bound(3)
        outs = await asyncio.gather(*(client.submit({"destination_addr": "86", "short_message": b"x"}) for _ in range(6)))
        assert [o.outcome for o in outs] == [Outcome.UNKNOWN] * 6
        assert client.in_flight == 0
        # Reconnects by itself and works again.
        after = await client.submit({"destination_addr": "86", "short_message": b"x"})
        await client.stop()
    assert after.outcome is Outcome.ACCEPTED
    assert client.connects >= 2 and client.binds >= 2


async def test_channel_reports_unknown_never_retries_it():
    async with TestSmsc(lambda pdu, n: Plan(drop=(n == 2))) as smsc:
        ch = await channel(smsc)
        text = "x" * 400  # 3 parts: part 1 accepted, part 2 lost with the connection
        (result,) = await ch.submit([msg(1, text)])
        await ch.stop()
    assert not result.ok and not result.transient
    assert result.error_code == UNKNOWN_OUTCOME and result.outcome_unknown
    assert len(result.carrier_message_ids) == 1
    assert smsc.submit_count == 2  # part 3 not sent, part 2 not resent


async def test_response_timeout_is_unknown():
    async with TestSmsc(lambda pdu, n: Plan(answer=False)) as smsc:
        client = SmppClient(ClientConfig("127.0.0.1", smsc.port, "esme", "pw", response_timeout=0.2, **FAST))
        await client.start()
        out = await client.submit({"destination_addr": "86", "short_message": b"x"})
        await client.stop()
    assert out.outcome is Outcome.UNKNOWN and "timeout" in out.reason


async def test_bind_refused_keeps_retrying_and_submit_is_transient():
    async with TestSmsc(password="other") as smsc:
        client = SmppClient(ClientConfig("127.0.0.1", smsc.port, "esme", "pw", **{**FAST, "not_bound_wait": 0.3}))
        await client.start()
        out = await client.submit({"destination_addr": "86", "short_message": b"x"})
        await client.stop()
    assert out.outcome is Outcome.TRANSIENT and out.reason == "not bound"
    assert len(smsc.binds) >= 2 and smsc.submit_count == 0


@pytest.mark.parametrize("stat", ["DELIVRD", "EXPIRED", "UNDELIV", "REJECTD", "DELETED", "UNKNOWN"])
async def test_receipts_with_each_stat_are_matched(stat):
    events = Events()
    async with TestSmsc(lambda pdu, n: Plan(receipt=stat, receipt_err="00B")) as smsc:
        ch = await channel(smsc, events)
        (result,) = await ch.submit([msg("m1")])
        assert await wait_until_async(lambda: events.reports)
        await ch.stop()
    (report,) = events.reports
    assert report.message_id == "m1" and report.carrier_message_id == result.carrier_message_ids[0]
    assert report.status == stat and "err:00B" in report.description


async def test_receipt_before_submit_resp_is_parked_then_matched():
    events = Events()
    matcher = InMemoryReceiptMatcher()
    plan = Plan(receipt_first=True, delay=0.1, receipt_tlvs=False)
    async with TestSmsc(lambda pdu, n: plan) as smsc:
        cfg = SmppConfig(port=smsc.port, system_id="esme", password="pw", **FAST)
        ch = SmppChannel(cfg, matcher)
        await ch.start(events)
        await ch.wait_bound(3)
        submit = asyncio.ensure_future(ch.submit([msg("early")]))
        # The receipt is acknowledged while the submit is still unanswered: it was parked.
        assert await wait_until_async(lambda: smsc.responses)
        assert not submit.done() and matcher.parked_count == 1 and events.reports == []
        (result,) = await submit
        assert await wait_until_async(lambda: events.reports)
        await ch.stop()
    assert events.reports[0].message_id == "early" and result.ok
    assert matcher.parked_count == 0


async def test_enroute_is_acknowledged_not_reported():
    events = Events()
    async with TestSmsc(lambda pdu, n: Plan(receipt="ENROUTE")) as smsc:
        ch = await channel(smsc, events)
        await ch.submit([msg(1)])
        assert await wait_until_async(lambda: smsc.responses)
        await ch.stop()
    assert smsc.responses[0].command_status == 0 and events.reports == []


async def test_storage_failure_answers_error_so_smsc_redelivers():
    events = Events(fail_reports=1)
    async with TestSmsc() as smsc:
        ch = await channel(smsc, events)
        await ch.submit([msg(1)])
        assert await wait_until_async(lambda: smsc.responses)
        await ch.stop()
    assert smsc.responses[0].command_status == S.ESME_RX_T_APPN
    assert events.reports == []


async def test_deliver_resp_waits_for_the_handler():
    gate = asyncio.Event()

    class Slow(Events):
        async def on_uplinks(self, uplinks):
            await gate.wait()
            await super().on_uplinks(uplinks)

    events = Slow()
    async with TestSmsc() as smsc:
        ch = await channel(smsc, events)
        resp = asyncio.ensure_future(smsc.deliver({"source_addr": "8613900000000", "destination_addr": "10690000",
                                                   "short_message": b"hi"}))
        await asyncio.sleep(0.05)
        assert not resp.done()  # not acknowledged before it is stored
        gate.set()
        pdu = await resp
        await ch.stop()
    assert pdu.command_status == 0 and events.uplinks[0].text == "hi"


@pytest.mark.parametrize("method", ["udh", "sar"])
async def test_multipart_uplink_is_reassembled(method):
    text = "【华为云】" + "回复内容" * 40
    parts = sms_text.split(text, sms_text.UCS2, method=method, ref=77)
    events = Events()
    async with TestSmsc() as smsc:
        ch = await channel(smsc, events)
        for part in reversed(parts):  # out of order
            params = {"source_addr": "+8613900000000", "destination_addr": "106900001", "data_coding": 8,
                      "short_message": part.short_message, "esm_class": 0x40 if part.udh else 0}
            tlvs = {}
            if part.sar:
                tlvs = dict(zip(("sar_msg_ref_num", "sar_total_segments", "sar_segment_seqnum"), part.sar, strict=True))
            resp = await smsc.deliver(params, tlvs)
            assert resp.command_status == 0
        await ch.stop()
    (uplink,) = events.uplinks
    assert uplink.text == text and uplink.source == "8613900000000" and uplink.destination == "106900001"


async def test_long_messages_are_split_with_udh_and_counted_parts():
    async with TestSmsc() as smsc:
        ch = await channel(smsc)
        text = "【华为云】" + "验证码" * 50
        (result,) = await ch.submit([msg(1, text)])
        await ch.stop()
    expected = sms_text.count_parts(text)[1]
    assert expected == 3 and len(result.carrier_message_ids) == 3 and len(smsc.submits) == 3
    assert all(p.params["esm_class"] == 0x40 and p.params["data_coding"] == 8 for p in smsc.submits)
    payload = b"".join(p.params["short_message"][6:] for p in smsc.submits)
    assert payload.decode("utf-16-be") == text


async def test_load_spread_over_binds_and_secrets_hidden(caplog):
    async with TestSmsc(lambda pdu, n: Plan(delay=0.005)) as smsc:
        ch = await channel(smsc, binds=3, window=2, password="s3cr3t!")
        results = await ch.submit([msg(i) for i in range(30)])
        used = [c.max_in_flight for c in ch.clients]
        text = repr(ch) + repr(ch.config) + repr(ch.clients) + repr(smsc.binds) + caplog.text
        await ch.stop()
    assert all(r.ok for r in results) and len(used) == 3 and len(smsc.binds) == 3
    assert all(n >= 1 for n in used)  # every bind carried submits
    assert "s3cr3t!" not in text
    assert smsc.max_unanswered <= 2


async def test_refusal_after_an_accepted_part_is_final_so_no_part_is_sent_twice():
    # The SMSC takes part 1 and refuses part 2 with a transient status.
    async with TestSmsc(lambda pdu, n: Plan(status=S.ESME_RSYSERR if n == 2 else 0)) as smsc:
        ch = await channel(smsc)
        (result,) = await ch.submit([msg(1, "【华为云】" + "验证码" * 50)])
        await ch.stop()
    assert (result.ok, result.transient) == (False, False)
    assert len(result.carrier_message_ids) == 1 and "already accepted" in result.error_desc
    assert smsc.submit_count == 2


async def test_transient_refusal_of_the_first_part_stays_transient():
    async with TestSmsc(lambda pdu, n: Plan(status=S.ESME_RSYSERR if n == 1 else 0)) as smsc:
        ch = await channel(smsc)
        (result,) = await ch.submit([msg(1, "【华为云】" + "验证码" * 50)])
        await ch.stop()
    assert (result.ok, result.transient, result.carrier_message_ids) == (False, True, [])
