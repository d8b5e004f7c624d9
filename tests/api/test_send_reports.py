"""Delivery reports as AIM ``sms`` receipts, per part; the meter stream; and
uplink from a virtual handset to the application's up_link_addr (pipeline)."""

from __future__ import annotations

import json

from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody, VariableAttributes

from tests.api.send_support import message, ready_sender, send, wait_final
from tests.api.sms_support import make_template
from tests.support.harness import Server
from tests.support.receiver import Receiver

LONG = "尊敬的${1}，" + "您在本店购买的商品已经由顺丰速运发出，预计三天内送达，请保持电话畅通并注意查收。" * 2


def register(sdk, url: str, url_type: int) -> None:
    sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=url, url_type=url_type)))


def receipts(rx: Receiver) -> list[dict]:
    out = []
    for r in rx.accepted:
        env = r.json()
        body = json.loads(env["body"])
        out.extend(body if isinstance(body, list) else [body])
    return out


def metered(server: Server, creds) -> int:
    return server.cli_json("messages", "stats", "--tenant", creds.name)["metered"]["sms.part.delivered"]


def test_receipts_per_part_with_the_plain_sms_fields(server: Server):
    s = ready_sender(server)
    long_tpl = make_template(s.sdk, s.signature_id, content=LONG, variables=[VariableAttributes(variable_index=1, variable_type="TEXT", variable_desc="name")])
    with Receiver() as rx:
        register(s.sdk, rx.url("/batch"), 2)
        short = send(s.sdk, s.code_tpl, ["13800138200", "17000000002"], ["8888"], extend="ext-1").result
        long = send(s.sdk, long_tpl, ["+8613800138201"], ["李雷"]).result[0]
        wanted = {short[0].msg_id, short[1].msg_id, long.msg_id}
        rx.wait_for(lambda _: {i["msg_id"] for i in receipts(rx)} >= wanted and len([i for i in receipts(rx) if i["msg_id"] == long.msg_id]) == 2)
        got = receipts(rx)

    ok = next(i for i in got if i["msg_id"] == short[0].msg_id)
    assert ok == {
        "task_id": ok["task_id"],
        "cust_flag": "13800138200",
        "msg_id": short[0].msg_id,
        "tpl_id": "",
        "sms_sign": s.signature_name,
        "aim_code": "",
        "aim_url": "",
        "send_time": ok["send_time"],
        "receive_time": ok["receive_time"],
        "send_status": "DELIVRD",
        "send_status_desc": "delivered",
        "total": "1",
        "sequence": "1",
        "extend": "ext-1",
    }
    assert len(ok["send_time"]) == 19 and "T" in ok["send_time"] and ok["receive_time"] >= ok["send_time"]
    blocked = next(i for i in got if i["msg_id"] == short[1].msg_id)
    assert (blocked["send_status"], blocked["cust_flag"]) == ("MA:0001", "17000000002")
    parts = sorted((i for i in got if i["msg_id"] == long.msg_id), key=lambda i: i["sequence"])
    assert [(p["total"], p["sequence"], p["send_status"]) for p in parts] == [("2", "1", "DELIVRD"), ("2", "2", "DELIVRD")]
    assert "extend" not in parts[0] and parts[0]["cust_flag"] == "+8613800138201"

    m = wait_final(server, s.creds, long.msg_id)
    assert m["parts"] == 2 and [p["seq"] for p in m["part_reports"]] == [1, 2] and m["status"] == "delivered"
    # Billing counts delivered parts: 1 (short) + 2 (long); the blacklisted one costs nothing.
    assert metered(server, s.creds) == 3


def test_a_refusal_at_submit_is_reported_too(server: Server):
    s = ready_sender(server)
    with Receiver() as rx:
        register(s.sdk, rx.url("/single"), 0)
        r = send(s.sdk, s.notice_tpl, ["17000000001"], ["李雷"]).result[0]
        rx.wait_for(lambda reqs: any(json.loads(q.json()["body"])["msg_id"] == r.msg_id for q in reqs))
        env = rx.accepted[0].json()
    body = json.loads(env["body"])  # url_type 0: one object, not a list
    assert body["send_status"] == "MK:0001" and env["callback_type"] == "sms" and env["domain_id"] == s.creds.tenant_id
    assert metered(server, s.creds) == 0


def test_uplink_reaches_the_application(server: Server):
    with Receiver() as rx:
        s = ready_sender(server, uplink=rx.url("/mo"))
        out = server.cli_json("sandbox", "reply", "13800138300", s.channel_num + "12", "TD 退订")
        rx.wait_for(lambda reqs: len(reqs) >= 1)
        req = rx.accepted[0]
    assert req.path == "/mo" and req.header("Content-Type").startswith("application/x-www-form-urlencoded")
    form = req.form()
    assert form["smsMsgId"] == out["smsMsgId"]
    assert (form["from"], form["to"], form["body"]) == ("+8613800138300", s.channel_num + "12", "TD 退订")
    assert form["createTime"].endswith("Z")


def test_an_uplink_nobody_owns_is_kept_but_not_sent(server: Server):
    out = server.cli_json("sandbox", "reply", "13800138301", "999999999", "hello")
    assert out["smsMsgId"]
    bad = server.cli("sandbox", "reply", "abc", "999", "hi", check=False)
    assert bad.returncode != 0 and "from" in bad.stderr


def test_the_sandbox_lists_its_magic_numbers(server: Server):
    rows = server.cli_json("sandbox", "numbers")
    by_number = {r["number"]: r for r in rows}
    assert by_number["17000000001"]["status"] == "MK:0001"
    assert by_number["17000000003"]["status"] == "EXPIRED"
    assert any("not card-capable" in r["meaning"] for r in rows)


def test_inbox_shows_what_the_handset_got(server: Server):
    s = ready_sender(server)
    r = send(s.sdk, s.code_tpl, ["13800138400"], ["4321"]).result[0]
    wait_final(server, s.creds, r.msg_id)
    items = server.cli_json("sandbox", "inbox", "13800138400")
    mine = [i for i in items if i["msg_id"] == r.msg_id]
    assert mine and mine[0]["from"] == s.channel_num and mine[0]["status"] == "DELIVRD"
    assert mine[0]["text"] == message(server, s.creds, r.msg_id)["text"]
