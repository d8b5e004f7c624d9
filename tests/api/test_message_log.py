"""The message log (pipeline): /tidings/v1/messages and `tidings messages`,
filters, pagination, tenant scoping, and a message's full story."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

from tests.api.send_support import ready_sender, send, wait_final
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until


def get(server: Server, creds, path: str, **params):
    with server.http(creds) as c:
        return c.get(path, params=params)


def test_filters_and_pagination(server: Server):
    s = ready_sender(server)
    t1 = send(s.sdk, s.notice_tpl, ["13800138500", "13800138501", "13800138502"], ["甲"])
    t2 = send(s.sdk, s.notice_tpl, ["13800138500", "17000000001", "oops"], ["乙"])
    for r in t1.result + t2.result[:2]:
        wait_final(server, s.creds, r.msg_id)

    everything = get(server, s.creds, "/tidings/v1/messages").json()
    assert everything["page_info"] == {"offset": 0, "limit": 20, "total": 6}
    created = [m["create_time"] for m in everything["messages"]]
    assert created == sorted(created, reverse=True)  # newest first

    by_number = get(server, s.creds, "/tidings/v1/messages", number="+8613800138500").json()
    assert {m["msg_id"] for m in by_number["messages"]} == {t1.result[0].msg_id, t2.result[0].msg_id}
    by_task = get(server, s.creds, "/tidings/v1/messages", task_id=t2.task_id).json()
    assert {m["msg_id"] for m in by_task["messages"]} == {r.msg_id for r in t2.result}
    failed = get(server, s.creds, "/tidings/v1/messages", status="failed").json()["messages"]
    assert [(m["to"], m["status_code"]) for m in failed] == [("17000000001", "MK:0001")]
    rejected = get(server, s.creds, "/tidings/v1/messages", status="rejected").json()["messages"]
    assert [(m["to"], m["status_code"]) for m in rejected] == [("oops", "E200031")]

    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get(server, s.creds, "/tidings/v1/messages", since=future).json()["page_info"]["total"] == 0
    assert get(server, s.creds, "/tidings/v1/messages", until=future).json()["page_info"]["total"] == 6

    pages = [get(server, s.creds, "/tidings/v1/messages", offset=o, limit=4).json() for o in (0, 4)]
    assert [len(p["messages"]) for p in pages] == [4, 2]
    assert len({m["msg_id"] for p in pages for m in p["messages"]}) == 6


def test_bad_filters_are_named(server: Server, tenant):
    for params, needle in [
        ({"status": "lost"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"number": "12"}, "number"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
    ]:
        r = get(server, tenant, "/tidings/v1/messages", **params)
        assert r.status_code == 400 and needle in r.json()["error_msg"], (params, r.text)


def test_a_message_with_its_parts_times_and_callback_attempts(server: Server):
    s = ready_sender(server)
    with Receiver() as rx:
        s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/r"), url_type=0)))
        r = send(s.sdk, s.code_tpl, ["13800138600"], ["2468"], extend="e").result[0]
        rx.wait_for(lambda reqs: any(json.loads(q.json()["body"])["msg_id"] == r.msg_id for q in reqs))

        def with_attempt():
            m = get(server, s.creds, f"/tidings/v1/messages/{r.msg_id}").json()
            return m if m["callbacks"] and m["callbacks"][0]["attempts"] else None

        m = wait_until(with_attempt, 30, what="the callback attempt in the log")
    assert m["status"] == "delivered" and m["attempts"] == 1 and m["parts"] == 1
    assert m["submit_time"] <= m["report_time"]
    assert m["part_reports"][0]["status"] == "DELIVRD"
    cb = m["callbacks"][0]
    assert cb["url"] == rx.url("/r") and cb["status"] == "delivered"
    assert cb["attempts"][0]["outcome"] == "delivered" and cb["attempts"][0]["http_status"] == 200


def test_tenants_see_only_their_own_messages(server: Server):
    a, b = ready_sender(server), ready_sender(server)
    r = send(a.sdk, a.code_tpl, ["13800138700"], ["1357"]).result[0]
    mine = get(server, a.creds, f"/tidings/v1/messages/{r.msg_id}")
    theirs = get(server, b.creds, f"/tidings/v1/messages/{r.msg_id}")
    missing = get(server, b.creds, "/tidings/v1/messages/no-such-id")
    assert mine.status_code == 200
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json() == {**missing.json()}
    assert get(server, b.creds, "/tidings/v1/messages", number="13800138700").json()["page_info"]["total"] == 0


def test_the_cli_finds_messages_too(server: Server):
    s = ready_sender(server)
    r = send(s.sdk, s.code_tpl, ["13800138800"], ["9753"]).result[0]
    wait_final(server, s.creds, r.msg_id)
    listed = server.cli_json("messages", "list", "--tenant", s.creds.name, "--number", "13800138800")
    assert [m["msg_id"] for m in listed["messages"]] == [r.msg_id]
    shown = server.cli_json("messages", "show", r.msg_id, "--tenant", s.creds.name)
    assert shown["status"] == "delivered" and shown["text"].endswith("您的验证码是9753，5分钟内有效。")
    stats = server.cli_json("messages", "stats", "--tenant", s.creds.name)
    assert stats["statuses"] == {"delivered": 1} and stats["metered"]["sms.part.delivered"] == 1
    assert server.cli("messages", "show", r.msg_id, "--tenant", "nobody", check=False).returncode != 0
