"""Smart-message send tasks through the official SDK over real HTTP:
``create_aim_send_task`` (links, the SMS with the link, the pipeline, the
``sms`` receipts with the smart-message fields at a real receiver),
``list_aim_send_tasks``, ``list_aim_send_details``, ``list_aim_send_reports``,
their limits, refusals that write nothing, foreign ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from huaweicloudsdkkoomessage.v1 import (
    AddCallBackRequest,
    AddCallbackRequestBody,
    UpdatePersonalTemplateStateDataRequest,
    UpdatePersonalTemplateStateRequest,
)

from tests.api.aim_send_support import (
    FEATURE_PHONE,
    PARCEL,
    PARCEL_VALUES,
    AimSender,
    aim_sender,
    list_details,
    list_reports,
    list_tasks,
    number_of,
    param,
    send_task,
)
from tests.api.aim_support import create
from tests.api.send_support import message
from tests.api.sms_support import koo_error, make_template
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until
from tidings.aim.samples import sample_request


def receipts(rx: Receiver) -> list[dict]:
    out = []
    for r in rx.accepted:
        env = r.json()
        assert env["callback_type"] == "sms" and env["retry"] is False
        body = json.loads(env["body"])
        out.extend(body if isinstance(body, list) else [body])
    return out


def log_of(server: Server, s: AimSender, **params) -> list[dict]:
    with server.http(s.creds) as c:
        r = c.get("/tidings/v1/messages", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return r.json()["messages"]


def test_a_send_task_sends_each_number_its_link_and_every_receipt_carries_it(server: Server):
    s = aim_sender(server)
    huawei, feature = number_of("HUAWEI"), FEATURE_PHONE
    with Receiver() as rx:
        s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/aim"), url_type=2)))
        r = send_task(s, [huawei, feature])
        assert (r.task_state, r.submission_count, r.send_count, r.resolve_count, r.failed_short_chains) == ("Success", 2, 2, 0, [])
        assert r.support_resolve_count in (-1, None)  # the SDK's response model may drop it; the raw answer is checked below
        assert r.task_name == "智能信息发送" and r.resolve_task.tpl_id == PARCEL and r.sms_channel.sms_sign == s.sign
        rx.wait_for(lambda _: len(receipts(rx)) >= 2)
        got = {i["cust_flag"]: i for i in receipts(rx)}

    messages = {m["to"]: m for m in log_of(server, s, task_id=r.task_id)}
    assert set(messages) == {huawei, feature}
    for number in (huawei, feature):
        item, m = got[number], messages[number]
        code = item["aim_code"]
        assert len(code) == 8 and code.isalnum()
        assert item == {
            "task_id": r.task_id,
            "cust_flag": number,
            "msg_id": m["msg_id"],
            "tpl_id": PARCEL,
            "sms_sign": s.sign,
            "aim_code": code,
            "aim_url": f"{server.url.split('://', 1)[1]}/s/{code}",
            "send_time": item["send_time"],
            "receive_time": item["receive_time"],
            "send_status": "DELIVRD",
            "send_status_desc": "delivered",
            "total": "1",
            "sequence": "1",
        }
        assert len(item["send_time"]) == 19 and item["receive_time"] >= item["send_time"]
        # The handset got the SMS template with the link in its NEWTEXT variable.
        assert (m["product"], m["aim_tpl_id"], m["aim_url"]) == ("aim", PARCEL, item["aim_url"])
        assert message(server, s.creds, m["msg_id"])["text"] == f"【{s.sign}】客户{number[-4:]}您好，您的包裹已发出，详情{item['aim_url']}"

    details = list_details(s, task_id=r.task_id)
    assert details.page_info.total == 2
    by = {d.cust_flag: d for d in details.send_details}
    d = by[huawei]
    assert (d.task_id, d.task_name, d.tpl_id, d.send_account, d.send_status) == (r.task_id, "智能信息发送", PARCEL, huawei, "success")
    assert d.msg_id == messages[huawei]["msg_id"]
    assert d.tpl_name and d.send_time.endswith("Z") and d.receive_time.endswith("Z")

    tasks = list_tasks(s)
    assert tasks.page_info.total == 1
    t = tasks.aim_send_tasks[0]
    assert (t.task_id, t.task_state, t.submission_count, t.send_count, t.success_number, t.support_resolve_count) == (r.task_id, "Success", 2, 2, 2, -1)
    assert list_tasks(s, task_status="Fail").page_info.total == 0 and list_tasks(s, tpl_id=PARCEL).page_info.total == 1

    today = datetime.now(UTC)
    begin = (today - timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    end = (today + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    daily = list_reports(s, report_type="1", begin_time=begin, end_time=end, offset=0, limit=10).data
    row = daily.data_list[0]
    assert (row.report_time, row.tpl_id, row.submission_count, row.send_count) == (today.strftime("%Y-%m-%d"), PARCEL, 2, 2)
    # Delivered both; API tasks are not capability-checked (support 0 in reports); nothing parsed yet.
    assert (row.send_success_count, row.support_resolve_count, row.resolve_success_count) == (2, 0, 0)
    monthly = list_reports(s, report_type="2", begin_time=begin, end_time=end, offset=0, limit=10).data.data_list
    assert monthly[0].report_time == today.strftime("%Y-%m") and monthly[0].send_count == 2


def test_the_raw_answer_has_support_resolve_count_minus_one(server: Server):
    s = aim_sender(server)
    body = {"task_name": "t", "sms_channel": {"channel_number": s.channel_num, "sms_tpl_id": s.sms_tpl, "sms_sign": s.sign, "sms_app_name": s.app_name},
            "resolve_task": {"tpl_id": PARCEL, "resolve_times": 5, "aim_code_type": "individual", "expiration_time": 1,
                             "params": [{"cust_flag": number_of(None), "dync_params": PARCEL_VALUES, "sms_params": ["x"]}]}}
    with server.http(s.creds) as c:
        r = c.post("/v1/aim/send-tasks", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["support_resolve_count"] == -1 and r.json()["resolve_task"]["resolve_times"] == 1


def _nothing_written(server: Server, s: AimSender) -> None:
    assert list_tasks(s).page_info.total == 0
    assert list_details(s).page_info.total == 0
    assert log_of(server, s) == []


def test_refusals_name_the_field_and_write_nothing(server: Server):
    s = aim_sender(server)
    n = number_of(None)
    cases = [
        (lambda: send_task(s, [n], channel=s.channel(sms_app_name="other-app")), "sms_channel.sms_app_name"),
        (lambda: send_task(s, [n], channel=s.channel(sms_sign="别的签名")), "sms_channel.sms_sign"),
        (lambda: send_task(s, [n], channel=s.channel(channel_number="1069000000")), "sms_channel.channel_number"),
        (lambda: send_task(s, [n], channel=s.channel(sms_tpl_id="no-such-template")), "sms_channel.sms_tpl_id"),
        (lambda: send_task(s, [n], params=[param(n, sms_params=[])]), "resolve_task.params[0].sms_params"),
        (lambda: send_task(s, [n], params=[param("12345")]), "resolve_task.params[0].cust_flag"),
        (lambda: send_task(s, [n], days=8), "expiration_time"),
        (lambda: send_task(s, [n], aim_code_type="group"), "aim_code_type"),
        (lambda: send_task(s, [number_of(None) for _ in range(101)]), "params"),
        (lambda: send_task(s, [n], name="   "), "task_name"),
        (lambda: send_task(s, [n], tpl_id="123456789"), "123456789"),
    ]
    for call, named in cases:
        e = koo_error(call)
        assert e.status_code in (400, 404), (named, e.status_code, e.error_msg)
        assert named in e.error_msg, (named, e.error_msg)
    _nothing_written(server, s)


def test_a_bad_value_refuses_only_its_number(server: Server):
    """A control character in one recipient's values refuses that recipient,
    not the request: its dync_params fail its link (failed_short_chains), its
    sms_params its message (E200028, in the send details and the log)."""
    s = aim_sender(server)
    good, bad_card, bad_sms = number_of(None), number_of(None), number_of(None)
    r = send_task(s, [], params=[param(good), param(bad_card, dync_params=dict(PARCEL_VALUES, name="a\x00b")),
                                 param(bad_sms, sms_params=["客户\x07"])])
    assert (r.task_state, r.submission_count, r.send_count) == ("Success", 3, 1)
    assert [(f.cust_flag, f.result_code) for f in r.failed_short_chains] == [(bad_card, "KM.90016427")]
    assert "U+0000" in r.failed_short_chains[0].error_message
    log = {m["to"]: m for m in log_of(server, s, task_id=r.task_id)}
    assert set(log) == {good, bad_sms}  # no link, no message for bad_card
    assert log[good]["status"] != "rejected"
    assert (log[bad_sms]["status"], log[bad_sms]["status_code"]) == ("rejected", "E200028")
    details = {d.cust_flag: d for d in list_details(s, task_id=r.task_id).send_details}
    assert (details[bad_sms].send_status, details[bad_sms].result_code) == ("fail", "E200028")


def test_a_template_without_a_newtext_variable_is_refused(server: Server):
    s = aim_sender(server)
    plain = make_template(s.sdk, s.signature_id)  # one CHARDIGIT variable, no link
    e = koo_error(lambda: send_task(s, [number_of(None)], channel=s.channel(sms_tpl_id=plain), params=[param(number_of(None), sms_params=["1"])]))
    assert "NEWTEXT" in e.error_msg
    _nothing_written(server, s)


def test_a_disabled_template_refuses_the_task_whole(server: Server):
    # (The send-task filing is checked too, but a tenant without it has no SMS application to send with.)
    s = aim_sender(server)
    body = sample_request("PureText", ("HUAWEI",))
    body["params"] = []
    body["pages"][0]["contents"][0]["content"] = "Your offer is here"
    tpl = create(s.sdk, body)
    s.sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tpl, body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    e = koo_error(lambda: send_task(s, [number_of(None)], tpl_id=tpl, params=[param(number_of(None), dync_params=None)]))
    assert e.error_code == "KM.90016420" and "disabled" in e.error_msg
    _nothing_written(server, s)


def test_a_foreign_task_answers_like_a_missing_one(server: Server):
    a, b = aim_sender(server), aim_sender(server)
    r = send_task(a, [number_of(None)])
    assert list_tasks(b, task_id=r.task_id).page_info.total == 0
    assert list_details(b, task_id=r.task_id).page_info.total == 0
    assert list_tasks(a, task_id=r.task_id).page_info.total == 1
    wait_until(lambda: list_details(a, task_id=r.task_id).send_details[0].send_status == "success", 30, what="delivered")


def test_list_limits(server: Server):
    s = aim_sender(server)
    for call, named in [
        (lambda: list_tasks(s, limit=101), "limit"),
        (lambda: list_tasks(s, offset=-1), "offset"),
        (lambda: list_details(s, limit=0), "limit"),
        (lambda: list_tasks(s, begin_time="2026-01-02T00:00:00Z", end_time="2026-01-01T00:00:00Z"), "begin_time"),
        (lambda: list_reports(s, report_type="3"), "report_type"),
        (lambda: list_reports(s, limit=101), "limit"),
    ]:
        e = koo_error(call)
        assert e.status_code == 400 and named in e.error_msg, (named, e.error_msg)
    # offset + limit past 10,000: an empty page, as upstream.
    send_task(s, [number_of(None)])
    page = list_tasks(s, offset=9990, limit=20)
    assert page.aim_send_tasks == [] and page.page_info.total == 1


def test_over_the_smart_message_rate_the_task_is_refused_whole(server: Server):
    # 1 a second, but a burst of one flow chunk (500) always passes: five tasks of 100, then the sixth waits.
    s = aim_sender(server, settings={"rate_aim_messages_per_second": 1})
    base = number_of(None)[:5]
    for t in range(5):
        send_task(s, [f"{base}{t}{i:05d}" for i in range(100)])
    e = koo_error(lambda: send_task(s, [f"{base}9{i:05d}" for i in range(100)]))
    assert (e.status_code, e.error_code) == (429, "APIGW.0308")
    assert list_tasks(s).page_info.total == 5 and list_details(s, limit=1).page_info.total == 500
