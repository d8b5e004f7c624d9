"""The delivery guarantee on the sandbox carrier (docs/delivery-guarantee.md):
SIGKILL the server in the middle of dispatch, restart it, and every accepted
message is delivered exactly once: 0 lost, 0 submitted twice, 0 receipts
duplicated.  Its own server, so the kill disturbs no other test."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

from tests.api.send_support import ready_sender, send
from tests.conftest import backend_params, start_server, stop_server
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

REQUESTS = 16
PER_REQUEST = 500

# Small dispatch batches and slow receipts, so that at the kill some messages
# are still queued, some submitted and awaiting their receipt, some reported.
# A short callback lease: the callbacks the killed process held come back after
# it, and the test need not wait out the production 30 s.
SLOW = {"dispatch": {"batch_size": 50}, "sandbox": {"latency_ms": [300, 2000]}, "callbacks": {"lease_seconds": 3}}


@pytest.fixture(params=backend_params())
def crash_server(request) -> Server:
    srv = start_server(request.param, {"TIDINGS_EXTRA": json.dumps(SLOW)})
    yield srv
    stop_server(srv)


def counts(server: Server, creds) -> dict[str, int]:
    with server.http(creds) as c:
        return {
            status: c.get("/tidings/v1/messages", params={"status": status, "limit": 1}).json()["page_info"]["total"]
            for status in ("queued", "submitted", "delivered")
        }


def all_messages(server: Server, creds) -> list[dict]:
    out, offset = [], 0
    while True:
        page = server.cli_json("messages", "list", "--tenant", creds.name, "--offset", str(offset), "--limit", "1000")["messages"]
        if not page:
            return out
        out.extend(page)
        offset += len(page)


def test_sigkill_mid_dispatch_loses_nothing_and_duplicates_nothing(crash_server: Server):
    srv = crash_server
    s = ready_sender(srv, settings={"frequency_limits": {"notify": None}})
    rx = Receiver()
    try:
        s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/batch"), url_type=2)))
        accepted: list[str] = []
        for i in range(REQUESTS):
            numbers = [f"139{i:02d}{j:06d}" for j in range(PER_REQUEST)]
            resp = send(s.sdk, s.notice_tpl, numbers, ["客户"])
            assert {r.send_status for r in resp.result} == {"000000"}
            accepted.extend(r.msg_id for r in resp.result)
        total = len(accepted)

        # Kill once dispatch is well under way but not finished.
        def midway():
            c = counts(srv, s.creds)
            return c if c["submitted"] + c["delivered"] >= total // 5 and c["queued"] > 0 else None

        at_kill = wait_until(midway, 60, interval=0.05, what="dispatch to be under way")
        srv.kill()
        srv.start()

        def all_delivered():
            c = counts(srv, s.creds)
            return c["delivered"] == total

        wait_until(all_delivered, 180, interval=0.5, what=f"all {total} messages delivered after the restart")
        messages = all_messages(srv, s.creds)
        assert len(messages) == total, "no message lost, none invented"
        assert {m["msg_id"] for m in messages} == set(accepted)
        assert {m["status"] for m in messages} == {"delivered"}
        submits = [m["attempts"] for m in messages]
        assert submits.count(1) == total, f"submitted more than once: {sum(1 for a in submits if a != 1)}"

        # Receipts: exactly one event per message once redelivered requests
        # (same request_id) are dropped, as the docs tell receivers to do.
        def receipts_by_message() -> dict[str, int]:
            seen_requests: set[str] = set()
            per_msg: dict[str, int] = defaultdict(int)
            for req in rx.accepted:
                env = req.json()
                if env["request_id"] in seen_requests:
                    continue
                seen_requests.add(env["request_id"])
                for item in json.loads(env["body"]):
                    per_msg[item["msg_id"]] += 1
            return per_msg

        # Callbacks the killed process had claimed come back when their lease runs out.
        patience = SLOW["callbacks"]["lease_seconds"] + 90
        per_msg = wait_until(lambda: (lambda d: d if len(d) == total else None)(receipts_by_message()), patience, interval=0.5, what="every receipt")
        assert set(per_msg) == set(accepted)
        assert max(per_msg.values()) == 1, "a receipt event was produced twice"
        print(f"killed at {at_kill} of {total}")
    finally:
        rx.close()
