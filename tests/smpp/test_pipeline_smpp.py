"""The whole platform sending through SMPP, end to end.

One server per backend, configured by the CLI *before* it starts (as an
operator would): two channels to two node-smpp peers (``primary`` and its
backup), one to our test SMSC that refuses chosen numbers, and two to test
SMSCs that can hold submits unanswered (one per ``unknown_policy``).  Each
channel takes its own number prefix.  Through the official SDK: send ->
SMPP peer -> receipt -> the tenant's callback receiver; the peer's uplink ->
the application's ``up_link_addr``; a 3-part message; failover; a peer
killed and restarted; the ``unknown`` window, by dropping the SMSC's
connections and by SIGKILLing the server, under both policies.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody, VariableAttributes

from tests.api.send_support import message, ready_sender, send, send_diff, wait_final
from tests.api.sms_support import make_template
from tests.conftest import backend_params, require_pg, stop_server
from tests.smpp.test_peer import Peer
from tests.support.harness import Server, create_pg_database, free_port
from tests.support.receiver import Receiver
from tests.support.smsc import Plan, TestSmsc
from tests.support.wait import wait_until
from tidings.channels.smpp.pdu import CommandStatus

pytestmark = [pytest.mark.smpp_peer, pytest.mark.heavy]

PRIMARY, BACKUP, REFUSER, HOLD_R, HOLD_F = "primary", "backup", "refuser", "hold-r", "hold-f"
PREFIX = {PRIMARY: "86139", REFUSER: "86158", HOLD_R: "86150", HOLD_F: "86151"}


class ThreadedSmsc:
    """Our test SMSC on its own event loop thread (the server under test is
    another process; the test itself is synchronous).  While ``hold`` is set
    it takes submits and never answers them: they are in the window when the
    connection or the server dies.  It records every submit it got."""

    def __init__(self, refuse: dict[str, int] | None = None) -> None:
        self.hold = threading.Event()
        self.refuse = refuse or {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.smsc = TestSmsc(self._plan)
        self.port = self._call(self.smsc.start())

    def _plan(self, pdu, n) -> Plan:
        status = self.refuse.get(pdu.params["destination_addr"][-1])
        if status is not None:
            return Plan(status=status)
        return Plan(answer=False) if self.hold.is_set() else Plan()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def drop_connections(self) -> None:
        self.loop.call_soon_threadsafe(self.smsc.drop_all)

    @property
    def unanswered(self) -> int:
        return sum(c.unanswered for c in list(self.smsc.conns))

    def codes(self) -> Counter:
        """How many times each message (by its code, the template variable) arrived."""
        out: Counter = Counter()
        for pdu in list(self.smsc.submits):
            text = pdu.params["short_message"].decode("utf-16-be", "replace")
            out[text.split("是")[-1].split("，")[0]] += 1
        return out

    def close(self) -> None:
        self._call(self.smsc.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def cli_channel(srv: Server, name: str, port: int, policy: str = "resubmit", **opts) -> None:
    options = {"reconnect_min": 0.05, "reconnect_max": 0.5, "not_bound_wait": 1, "response_timeout": 30, **opts}
    args = ["channels", "add-smpp", name, "--host", "127.0.0.1", "--port", str(port), "--system-id", "tidings",
            "--password", "pw", "--unknown-policy", policy]
    for k, v in options.items():
        args += ["-o", f"{k}={v}"]
    srv.cli(*args)


class Setup:
    def __init__(self, srv, peers, smscs, rx, sender):
        self.server, self.peers, self.smscs, self.rx, self.sender = srv, peers, smscs, rx, sender

    def admin_status(self, channel: str) -> dict:
        with self.server.admin() as c:
            return c.get(f"/admin/v1/channels/{channel}").json()


@pytest.fixture(scope="module", params=backend_params())
def setup(request):
    backend = request.param
    data_dir = Path(tempfile.mkdtemp(prefix=f"tidings-smpp-{backend}-"))
    if backend == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'tidings.db'}"
    extra = {"dispatch": {"lease_seconds": 4, "backoff_base": 0.2, "backoff_cap": 1.0, "expiry_interval": 0.5}}
    srv = Server(backend=backend, data_dir=data_dir, db_url=url, port=free_port(), extra_env={"TIDINGS_EXTRA": json.dumps(extra)})
    peers = {PRIMARY: Peer(mo_every_ms=300), BACKUP: Peer()}
    smscs = {REFUSER: ThreadedSmsc({"1": CommandStatus.ESME_RSYSERR, "2": CommandStatus.ESME_RINVDSTADR}),
             HOLD_R: ThreadedSmsc(), HOLD_F: ThreadedSmsc()}
    rx = Receiver().__enter__()
    try:
        for p in peers.values():
            p.start()
        # The operator's configuration, before the first start.  The node peer
        # sends uplink to 12345: the demo signature takes 12344, the test's
        # signature 12345 (uplink routes by the longest channel-number prefix).
        # The range goes in before `migrate`, whose first start numbers the demo.
        srv.cli("sms", "pool", "add", "--first", "12344", "--last", "12345")
        srv.cli("migrate")
        cli_channel(srv, PRIMARY, peers[PRIMARY].port)
        cli_channel(srv, BACKUP, peers[BACKUP].port)
        cli_channel(srv, REFUSER, smscs[REFUSER].port)
        cli_channel(srv, HOLD_R, smscs[HOLD_R].port, "resubmit")
        cli_channel(srv, HOLD_F, smscs[HOLD_F].port, "fail")
        srv.cli("channels", "route", "add", PRIMARY, "--prefix", PREFIX[PRIMARY], "--priority", "10")
        srv.cli("channels", "route", "add", BACKUP, "--prefix", PREFIX[PRIMARY], "--priority", "20")
        srv.cli("channels", "route", "add", REFUSER, "--prefix", PREFIX[REFUSER], "--priority", "10")
        srv.cli("channels", "route", "add", BACKUP, "--prefix", PREFIX[REFUSER], "--priority", "20")
        srv.cli("channels", "route", "add", HOLD_R, "--prefix", PREFIX[HOLD_R])
        srv.cli("channels", "route", "add", HOLD_F, "--prefix", PREFIX[HOLD_F])
        srv.start()
        sender = ready_sender(srv, uplink=rx.url("/uplink"))
        assert sender.channel_num == "12345"
        sender.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/receipts"), url_type=0)))
        s = Setup(srv, peers, smscs, rx, sender)
        for ch in (PRIMARY, BACKUP, REFUSER, HOLD_R, HOLD_F):
            wait_until(lambda ch=ch: s.admin_status(ch)["status"].get("bound", 0) >= 1, 20, what=f"{ch} bound")
        yield s
    finally:
        stop_server(srv)
        for p in peers.values():
            p.kill()
        for sm in smscs.values():
            sm.close()
        rx.__exit__(None, None, None)


def numbers(prefix: str, n: int) -> list[str]:
    base = uuid.uuid4().int % 10 ** (13 - len(prefix) - 1)
    return [f"+{prefix}{(base + i) % 10 ** (13 - len(prefix) - 1):0{13 - len(prefix) - 1}d}0" for i in range(n)]


def send_codes(s: Setup, to: list[str], tag: str) -> dict[str, str]:
    """One message per number, each with its own code; {msg_id: code}."""
    out = {}
    for i, number in enumerate(to):
        code = f"{tag}{i:03d}"
        resp = send(s.sender.sdk, s.sender.code_tpl, [number], [code])
        assert resp.result[0].send_status == "000000", resp
        out[resp.result[0].msg_id] = code
    return out


def receipts_for(s: Setup, msg_ids) -> dict[str, list[dict]]:
    got: dict[str, list[dict]] = {}
    for req in s.rx.accepted:
        if req.path != "/receipts":
            continue
        body = json.loads(req.json()["body"])
        for item in body if isinstance(body, list) else [body]:
            if item["msg_id"] in msg_ids:
                got.setdefault(item["msg_id"], []).append(item)
    return got


def test_send_receipt_reaches_callback_and_uplink_reaches_app(setup):
    s = setup
    ids = send_codes(s, numbers(PREFIX[PRIMARY], 5), "A")
    for mid in ids:
        m = wait_final(s.server, s.sender.creds, mid, 30)
        assert (m["status"], m["status_code"], m["channel"]) == ("delivered", "DELIVRD", PRIMARY)
        assert len(m["carrier_ids"]) == 1 and m["part_reports"][0]["status"] == "DELIVRD"
    got = wait_until(lambda: (lambda r: r if set(r) == set(ids) else None)(receipts_for(s, ids)), 30, what="receipt callbacks")
    assert all(items[0]["send_status"] == "DELIVRD" for items in got.values())

    ups = wait_until(lambda: [r.form() for r in s.rx.accepted if r.path == "/uplink"], 30, what="uplink at up_link_addr")
    assert ups[0]["body"].startswith("MO hello ") and ups[0]["from"].endswith("447700900001")


def test_long_message_three_parts(setup):
    s = setup
    tpl = make_template(s.sender.sdk, s.sender.signature_id, content="尊敬的客户，" + "这是一条很长的通知短信，" * 12 + "验证码是${1}，请勿泄露。",
                        variables=[VariableAttributes(variable_index=1, variable_type="CHARDIGIT")])
    resp = send(s.sender.sdk, tpl, numbers(PREFIX[PRIMARY], 1), ["L001"])
    mid = resp.result[0].msg_id
    m = wait_final(s.server, s.sender.creds, mid, 30)
    assert m["parts"] == 3 and m["status"] == "delivered"
    # The receipts can finish the message before the dispatcher's record of
    # the submit commits (fast peer); the carrier ids arrive with that record.
    m = wait_until(lambda: (lambda r: r if len(r["carrier_ids"] or []) == 3 else None)(message(s.server, s.sender.creds, mid)), 30,
                   what="the three carrier ids recorded")
    assert sorted(p["seq"] for p in m["part_reports"]) == [1, 2, 3]
    got = wait_until(lambda: (lambda r: r.get(mid) if len(r.get(mid, [])) == 3 else None)(receipts_for(s, {mid})), 30,
                   what="one receipt callback per part")
    assert all(item["send_status"] == "DELIVRD" for item in got)


def test_transient_refusal_fails_over_final_refusal_does_not(setup):
    s = setup
    to = numbers(PREFIX[REFUSER], 3)
    to = [to[0][:-1] + "1", to[1][:-1] + "2", to[2][:-1] + "0"]  # transient, final, accepted
    moved, refused, taken = (send(s.sender.sdk, s.sender.code_tpl, [n], ["F001"]).result[0].msg_id for n in to)
    m = wait_final(s.server, s.sender.creds, moved, 30)
    assert (m["status"], m["channel"]) == ("delivered", BACKUP) and m["attempts"] >= 2
    m = wait_final(s.server, s.sender.creds, refused, 30)
    assert (m["status"], m["status_code"], m["channel"], m["attempts"]) == ("failed", "ESME_RINVDSTADR", REFUSER, 1)
    m = wait_final(s.server, s.sender.creds, taken, 30)
    assert (m["status"], m["channel"]) == ("delivered", REFUSER)


def test_peer_killed_and_restarted_nothing_lost_and_down_channel_fails_over(setup):
    s = setup
    peer = s.peers[PRIMARY]
    first = send_codes(s, numbers(PREFIX[PRIMARY], 20), "K")
    peer.kill()
    wait_until(lambda: s.admin_status(PRIMARY)["status"]["bound"] == 0, 20, what="primary unbound")
    # While the primary is down new messages take the backup route.
    during = send_codes(s, numbers(PREFIX[PRIMARY], 5), "D")
    for mid in during:
        m = wait_final(s.server, s.sender.creds, mid, 30)
        assert (m["status"], m["channel"]) == ("delivered", BACKUP)
    peer.start()  # same port: the channel binds again by itself
    wait_until(lambda: s.admin_status(PRIMARY)["status"]["bound"] >= 1, 30, what="primary bound again")
    after = send_codes(s, numbers(PREFIX[PRIMARY], 5), "R")
    for mid in after:
        assert wait_final(s.server, s.sender.creds, mid, 30)["channel"] == PRIMARY
    # Nothing accepted is lost: everything sent around the kill is delivered
    # (an in-flight submit is unknown, then resubmitted: the primary's policy),
    # except a submit the peer acknowledged and whose receipt it forgot when it
    # was killed (this simulator keeps no state; a real SMSC reports it after
    # the restart): that one keeps its carrier id and waits for its receipt or
    # its validity, never lost and never sent again.
    for mid in first:
        try:
            m = wait_final(s.server, s.sender.creds, mid, 15)
        except AssertionError:
            m = message(s.server, s.sender.creds, mid)
        assert m["status"] == "delivered" or (m["status"] == "submitted" and m["carrier_ids"] and m["attempts"] == 1), m


def _hold_and_break(s: Setup, channel: str, tag: str, breaker) -> dict[str, str]:
    smsc = s.smscs[channel]
    smsc.hold.set()
    # One request, so one dispatch batch: all four are in the window together.
    to = numbers(PREFIX[channel], 4)
    resp = send_diff(s.sender.sdk, [(s.sender.code_tpl, [n], [f"{tag}{i:03d}"]) for i, n in enumerate(to)])
    ids = {r.msg_id: f"{tag}{to.index(r.to):03d}" for r in resp.result}
    assert len(ids) == 4 and all(r.send_status == "000000" for r in resp.result), resp
    wait_until(lambda: smsc.unanswered >= 4, 20, what="4 submits in the window")
    breaker(smsc)
    return ids


def test_unknown_window_resubmit_when_the_smsc_drops(setup):
    s = setup
    before = s.admin_status(HOLD_R)["status"].get("unknown_since_start", 0)

    def drop(smsc):
        smsc.hold.clear()
        smsc.drop_connections()

    ids = _hold_and_break(s, HOLD_R, "U", drop)
    for mid in ids:
        m = wait_final(s.server, s.sender.creds, mid, 30)
        assert m["status"] == "delivered" and m["attempts"] == 2, m
    # At least once: the SMSC got each message twice; the unknowns were counted.
    seen = s.smscs[HOLD_R].codes()
    assert all(seen[code] == 2 for code in ids.values()), seen
    # The worker process publishes its channels' state every second (tidings/channels/published.py).
    wait_until(lambda: s.admin_status(HOLD_R)["status"]["unknown_since_start"] - before == 4, 10, what="4 unknowns in the channel's status")


def test_unknown_window_fail_when_the_smsc_drops(setup):
    s = setup

    def drop(smsc):
        smsc.hold.clear()
        smsc.drop_connections()

    ids = _hold_and_break(s, HOLD_F, "V", drop)
    for mid in ids:
        m = wait_final(s.server, s.sender.creds, mid, 30)
        assert (m["status"], m["status_code"], m["attempts"]) == ("failed", "UNKNOWN", 1), m
    got = wait_until(lambda: (lambda r: r if set(r) == set(ids) else None)(receipts_for(s, ids)), 30, what="UNKNOWN receipts")
    assert all(items[0]["send_status"] == "UNKNOWN" for items in got.values())
    seen = s.smscs[HOLD_F].codes()
    assert all(seen[code] == 1 for code in ids.values()), seen  # at most once


@pytest.mark.parametrize("channel,policy", [(HOLD_R, "resubmit"), (HOLD_F, "fail")])
def test_unknown_window_when_the_server_is_killed(setup, channel, policy):
    s = setup

    seen_before = Counter()

    def crash(smsc):
        s.server.kill()  # SIGKILL with 4 submits in the window, marked `submitting`
        # Counted before the restart: a slow start may outlast the lease, and the
        # restarted server resubmits before start() returns.
        seen_before.update(smsc.codes())
        smsc.hold.clear()
        s.server.start()

    ids = _hold_and_break(s, channel, "W" if policy == "resubmit" else "X", crash)
    for mid in ids:
        m = wait_final(s.server, s.sender.creds, mid, 60)
        if policy == "resubmit":
            assert m["status"] == "delivered", m
        else:
            assert (m["status"], m["status_code"]) == ("failed", "UNKNOWN"), m
    seen = s.smscs[channel].codes()
    expected = 2 if policy == "resubmit" else 1
    assert all(seen_before[c] == 1 and seen[c] == expected for c in ids.values()), seen
    for ch in (PRIMARY, BACKUP, REFUSER, HOLD_R, HOLD_F):  # the restarted server bound everything again
        wait_until(lambda ch=ch: s.admin_status(ch)["status"].get("bound", 0) >= 1, 20, what=f"{ch} bound")


def test_a_new_password_is_reported_as_needing_a_restart(setup):
    s = setup
    assert s.admin_status(REFUSER)["status"]["restart_needed"] is False
    s.server.cli("channels", "set", REFUSER, "--password", "pw")  # set again, even to the same value
    assert s.admin_status(REFUSER)["status"]["restart_needed"] is True
    assert s.admin_status(BACKUP)["status"]["restart_needed"] is False
