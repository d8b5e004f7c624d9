"""The delivery guarantee on the sandbox carrier (docs/delivery-guarantee.md):
SIGKILL the server in the middle of dispatch, restart it, and every accepted
message is delivered exactly once: 0 lost, 0 submitted twice, 0 receipts
duplicated.  The same when one of two workers is killed and not restarted
(PostgreSQL): the survivor takes its messages over.  Each test has its own
server, so the kill disturbs no other test."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody
from sqlalchemy import func, select

from tests.api.send_support import ready_sender, send
from tests.conftest import backend_params, require_pg, start_server, stop_server
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until
from tidings.store.db import Database
from tidings.store.models.pipeline import ReceiptHolder
from tidings.timeutil import utcnow

pytestmark = pytest.mark.heavy

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


def receipts_by_message(rx: Receiver) -> dict[str, int]:
    """Receipt events per message once redelivered requests (same request_id)
    are dropped, as the docs tell receivers to do."""
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

        # Callbacks the killed process had claimed come back when their lease runs out.
        patience = SLOW["callbacks"]["lease_seconds"] + 90
        per_msg = wait_until(lambda: (lambda d: d if len(d) == total else None)(receipts_by_message(rx)), patience, interval=0.5, what="every receipt")
        assert set(per_msg) == set(accepted)
        assert max(per_msg.values()) == 1, "a receipt event was produced twice"
        print(f"killed at {at_kill} of {total}")
    finally:
        rx.close()


# Small batches, so both workers take a share; a short receipt lease, so the
# takeover comes within seconds.  The survivor's receipts come within 3 s; the
# doomed worker's would take a minute, so what is still unreported once the
# survivor's have come is what the doomed worker holds.
TWO_WORKERS = {"dispatch": {"batch_size": 50, "holder_lease_seconds": 3}, "sandbox": {"latency_ms": [500, 3000]},
               "callbacks": {"lease_seconds": 3}}
DOOMED = {**TWO_WORKERS, "sandbox": {"latency_ms": [60000, 60000]}}


def live_holders(srv: Server) -> int:
    async def go() -> int:
        db = Database(srv.db_url)
        try:
            async with db.read() as session:
                return (await session.execute(select(func.count()).select_from(ReceiptHolder).where(ReceiptHolder.lease_until > utcnow()))).scalar_one()
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.mark.pg
def test_a_killed_workers_sandbox_messages_are_taken_over_by_the_surviving_worker():
    require_pg()
    srv = start_server("postgresql", {"TIDINGS_EXTRA": json.dumps(TWO_WORKERS)})  # creates the operator and the demo
    rx = Receiver()
    try:
        srv.stop()
        srv.command = "api"  # 1 API process, 2 worker processes
        srv.start()
        doomed = srv.worker({"TIDINGS_EXTRA": json.dumps(DOOMED)})
        survivor = srv.worker()
        wait_until(lambda: live_holders(srv) == 2, 60, interval=0.2, what="both workers to run the sandbox")
        s = ready_sender(srv, settings={"frequency_limits": {"notify": None}})
        s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/batch"), url_type=2)))
        accepted: list[str] = []
        for i in range(6):
            resp = send(s.sdk, s.notice_tpl, [f"137{i:02d}{j:06d}" for j in range(500)], ["客户"])
            accepted.extend(r.msg_id for r in resp.result)
        total = len(accepted)

        wait_until(lambda: counts(srv, s.creds)["queued"] == 0, 60, interval=0.1, what="every message submitted")
        time.sleep(4)  # the survivor's receipts have all come by now
        held = counts(srv, s.creds)["submitted"]
        assert 0 < held < total, f"the doomed worker should hold some receipts, not {held} of {total}"
        doomed.kill()  # SIGKILL, and never restarted
        doomed.wait()

        wait_until(lambda: counts(srv, s.creds)["delivered"] == total, 50, interval=0.5,
                   what=f"the {held} messages of the killed worker delivered without a restart")
        messages = all_messages(srv, s.creds)
        assert {m["msg_id"] for m in messages} == set(accepted)
        assert [m["attempts"] for m in messages].count(1) == total, "a message was submitted twice"
        patience = TWO_WORKERS["callbacks"]["lease_seconds"] + 90
        per_msg = wait_until(lambda: (lambda d: d if len(d) == total else None)(receipts_by_message(rx)), patience, interval=0.5, what="every receipt")
        assert max(per_msg.values()) == 1, "a receipt event was produced twice"
        assert survivor.poll() is None
        assert "stopped renewing their lease" in (srv.data_dir / "worker-2.log").read_text()
        print(f"the killed worker held {held} of {total}")
    finally:
        rx.close()
        stop_server(srv)
