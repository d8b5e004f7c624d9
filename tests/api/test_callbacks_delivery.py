"""End to end through the real server: SDK send -> sandbox delivery report ->
callback at a real receiver, single (url_type 0) and batched (url_type 2),
signed with the tenant's secret; and a receiver that is down for a while
getting everything once it is back."""

from __future__ import annotations

import json

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

from tests.api.send_support import ready_sender, send
from tests.conftest import backend_params, start_server, stop_server
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until
from tidings.callbacks import signing

pytestmark = pytest.mark.heavy


def register(sdk, url: str, url_type: int) -> None:
    sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=url, url_type=url_type)))


def secret_of(server: Server, creds) -> str:
    with server.http(creds) as c:
        return c.get("/tidings/v1/callbacks/secret").json()["secret"]


def receipts(reqs, path: str) -> list[tuple[dict, dict]]:
    """(envelope, receipt) pairs of the requests to ``path``, batches unpacked."""
    out = []
    for r in reqs:
        if r.path != path:
            continue
        env = r.json()
        body = json.loads(env["body"])
        for item in body if isinstance(body, list) else [body]:
            out.append((env, item))
    return out


def test_sdk_send_reaches_single_and_batch_receivers(server: Server):
    with Receiver() as rx:
        sender = ready_sender(server)
        register(sender.sdk, rx.url("/single"), 0)
        register(sender.sdk, rx.url("/batch"), 2)
        secret = secret_of(server, sender.creds)
        numbers = [f"1390000{n:04d}" for n in range(5)] + ["17000000002"]  # the last: blacklisted (magic)
        resp = send(sender.sdk, sender.notice_tpl, numbers, ["张三"], extend="order-42")
        ids = {r.msg_id: r.to for r in resp.result}
        assert len(ids) == 6

        def all_in():
            reqs = rx.accepted
            single = {item["msg_id"] for _, item in receipts(reqs, "/single")}
            batched = {item["msg_id"] for _, item in receipts(reqs, "/batch")}
            return reqs if single >= set(ids) and batched >= set(ids) else None

        reqs = wait_until(all_in, 60, what="receipts for every message at both receivers")

        for req in reqs:
            env = req.json()
            assert list(env) == ["request_id", "domain_id", "callback_type", "body", "retry"]
            assert env["domain_id"] == sender.creds.tenant_id and env["callback_type"] == "sms" and env["retry"] is False
            assert req.header("X-Tidings-Event-Id") == env["request_id"]
            assert signing.verify(secret, req.body, req.header("X-Tidings-Signature"))

        singles = receipts(reqs, "/single")
        assert all(isinstance(json.loads(env["body"]), dict) for env, _ in singles)
        assert all(isinstance(json.loads(r.json()["body"]), list) for r in reqs if r.path == "/batch")
        for _, item in singles + receipts(reqs, "/batch"):
            assert item["extend"] == "order-42"
            assert item["sms_sign"] == sender.signature_name
            assert (item["tpl_id"], item["aim_code"], item["aim_url"]) == ("", "", "")
            expected = "MA:0001" if ids[item["msg_id"]].endswith("17000000002") else "DELIVRD"
            assert item["send_status"] == expected

        with server.http(sender.creds) as c:
            log = c.get("/tidings/v1/callbacks/deliveries", params={"status": "delivered"}).json()
        assert log["pending"] == 0 and log["failed"] == 0
        assert {d["url"] for d in log["deliveries"]} == {rx.url("/single"), rx.url("/batch")}


def test_a_rotated_secret_signs_the_next_callbacks(server: Server):
    with Receiver() as rx:
        sender = ready_sender(server)
        register(sender.sdk, rx.url("/single"), 0)
        old = secret_of(server, sender.creds)
        with server.http(sender.creds) as c:
            new = c.put("/tidings/v1/callbacks/secret").json()["secret"]
        assert new != old

        def signed_with_new():
            send(sender.sdk, sender.notice_tpl, ["13900001111"], ["李四"])
            reqs = rx.wait_for(lambda got: len(got) >= 1, timeout=30)
            last = reqs[-1]
            rx.clear()
            return signing.verify(new, last.body, last.header("X-Tidings-Signature"))

        # Workers cache secrets for up to 10 s (docs/callbacks.md).
        wait_until(signed_with_new, 40, interval=1.0, what="a callback signed with the rotated secret")


# --- a receiver that is down, a server that dies: a short retry schedule and lease ------------
# A long request timeout and a short lease: a kill surely lands mid-request, and
# the restarted server takes the leased row over a few seconds later.  (A receiver
# that is down refuses the connection: the request timeout does not come into it.)

FAST = {
    "TIDINGS_CALLBACKS_FIRST_DELAY": "0.2",
    "TIDINGS_CALLBACKS_MIN_DELAY": "0.1",
    "TIDINGS_CALLBACKS_MAX_DELAY": "1.0",
    "TIDINGS_CALLBACKS_CONNECT_TIMEOUT": "1.0",
    "TIDINGS_CALLBACKS_TOTAL_TIMEOUT": "60",
    "TIDINGS_CALLBACKS_LEASE_SECONDS": "3",
    "TIDINGS_CALLBACKS_POLL_INTERVAL": "0.05",
}


@pytest.fixture(scope="module", params=backend_params())
def fast_server(request):
    srv = start_server(request.param, FAST)
    yield srv
    stop_server(srv)


def test_a_receiver_down_for_a_while_loses_nothing(fast_server: Server):
    server = fast_server
    rx = Receiver()
    try:
        sender = ready_sender(server)
        register(sender.sdk, rx.url("/single"), 0)
        register(sender.sdk, rx.url("/batch"), 2)
        rx.down()
        sent: set[str] = set()
        for wave in range(4):
            numbers = [f"1391{wave:03d}{n:04d}" for n in range(25)]
            sent |= {r.msg_id for r in send(sender.sdk, sender.notice_tpl, numbers, ["王五"]).result}

        def retrying():
            with server.http(sender.creds) as c:
                log = c.get("/tidings/v1/callbacks/deliveries", params={"status": "retrying"}).json()
            return log if log["deliveries"] and log["pending"] > 0 else None

        # Piled up and being retried while the receiver is down.
        wait_until(retrying, 60, what="failed attempts while the receiver is down")
        assert rx.accepted == []
        rx.up()

        def everything():
            reqs = rx.accepted
            single = {item["msg_id"] for _, item in receipts(reqs, "/single")}
            batched = {item["msg_id"] for _, item in receipts(reqs, "/batch")}
            return reqs if single >= sent and batched >= sent else None

        reqs = wait_until(everything, 90, what="every receipt after the receiver came back")
        assert any(r.json()["retry"] for r in reqs), "redeliveries carry retry: true"
        for r in reqs:
            assert r.json()["retry"] == (int(r.header("X-Tidings-Attempt")) > 1)
        # Duplicates, if any, are recognisable: one request id, one set of events.
        by_id: dict[str, list] = {}
        for r in reqs:
            by_id.setdefault(r.header("X-Tidings-Event-Id"), []).append(json.loads(r.json()["body"]))
        assert all(all(b == bodies[0] for b in bodies) for bodies in by_id.values())

        def drained():
            with server.http(sender.creds) as c:
                log = c.get("/tidings/v1/callbacks/deliveries").json()
            return log["pending"] == 0 and log["failed"] == 0

        wait_until(drained, 30, what="the outbox to drain")
    finally:
        rx.close()


def test_a_callback_in_flight_when_the_server_dies_is_sent_again(fast_server: Server):
    srv = fast_server
    rx = Receiver()
    try:
        sender = ready_sender(srv)
        register(sender.sdk, rx.url("/single"), 0)
        rx.hang()
        msg_id = send(sender.sdk, sender.notice_tpl, ["13900002222"], ["赵六"]).result[0].msg_id
        wait_until(lambda: rx.requests, 60, interval=0.02, what="the callback to reach the hanging receiver")
        srv.kill()
        (first,) = rx.requests
        rx.up()
        srv.start()
        (again,) = rx.wait_for(lambda reqs: len(reqs) >= 1, timeout=60)
        env = again.json()
        assert json.loads(env["body"])["msg_id"] == msg_id
        assert again.header("X-Tidings-Event-Id") == first.header("X-Tidings-Event-Id") == env["request_id"]
        assert env["retry"] is True and int(again.header("X-Tidings-Attempt")) >= 2
    finally:
        rx.close()
