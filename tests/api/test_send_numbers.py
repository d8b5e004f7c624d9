"""Per-number results of the send operations (pipeline): good, bad, duplicate,
over-limit and international numbers, and the sandbox carrier's magic
numbers all the way to their final status."""

from __future__ import annotations

import pytest

from tests.api.send_support import message, ready_sender, send, send_diff, wait_final
from tests.support.harness import Server


@pytest.fixture
def sender(server: Server):
    return ready_sender(server)


def by_to(resp) -> dict:
    return {r.to: r for r in resp.result}


def test_refused_numbers_do_not_fail_the_request(server: Server, sender):
    to = ["13800138001", "+8613800138002", "8613800138003", "1380013800", "138-0013-8004", "12000138000", "13800138001", "+447911123456", "1" * 22]
    resp = send(sender.sdk, sender.notice_tpl, to, ["李雷"])
    assert resp.status == "Success"
    # One result per number, in order; a readable number answered as +<E.164> (openapi.json's
    # example answers +86139... for 139...), an unreadable one echoed as sent.
    assert [r.to for r in resp.result] == ["+8613800138001", "+8613800138002", "+8613800138003", "1380013800", "138-0013-8004",
                                           "12000138000", "+8613800138001", "+447911123456", "1" * 22]
    codes = [r.send_status for r in resp.result]
    assert codes == ["000000", "000000", "000000", "E200031", "E200031", "E200031", "E200041", "E200031", "E200031"]
    assert len({r.msg_id for r in resp.result}) == len(to)
    refused = message(server, sender.creds, resp.result[3].msg_id)
    assert refused["status"] == "rejected" and refused["status_code"] == "E200031" and "mainland" in refused["status_desc"]
    for r in resp.result[:3]:
        assert wait_final(server, sender.creds, r.msg_id)["status"] == "delivered"


def test_all_refused_is_a_failed_task(sender):
    resp = send(sender.sdk, sender.notice_tpl, ["123", "456"], ["李雷"])
    assert resp.status == "Failed" and {r.send_status for r in resp.result} == {"E200031"}


def test_bad_params_refuse_every_number_of_the_group(server: Server, sender):
    resp = send(sender.sdk, sender.code_tpl, ["13800138010", "13800138011"], ["12 34"])  # CHARDIGIT: letters and digits only
    assert [r.send_status for r in resp.result] == ["E200028", "E200028"]
    desc = message(server, sender.creds, resp.result[0].msg_id)["status_desc"]
    assert "template_params[0]" in desc and "letters and digits" in desc
    resp = send(sender.sdk, sender.code_tpl, ["13800138010"], ["1234", "extra"])
    assert resp.result[0].send_status == "E200028"


def test_control_characters_in_variable_values_refuse_the_numbers(server: Server, sender):
    for value in ("张\u202e三", "张\x1b[2J", "张\x00三"):
        resp = send(sender.sdk, sender.notice_tpl, ["13800138020"], [value])
        assert resp.result[0].send_status == "E200028", value
        desc = message(server, sender.creds, resp.result[0].msg_id)["status_desc"]
        assert "template_params[0]" in desc and "control characters" in desc, desc
    assert send(sender.sdk, sender.notice_tpl, ["13800138020"], ["张三\n李四"]).result[0].send_status == "000000"


def test_code_frequency_limit_per_number(server: Server, sender):
    first = send(sender.sdk, sender.code_tpl, ["13800138020", "13800138021"], ["1111"])
    assert [r.send_status for r in first.result] == ["000000", "000000"]
    again = send(sender.sdk, sender.code_tpl, ["13800138020", "13800138022"], ["2222"])  # same minute
    assert [r.send_status for r in again.result] == ["E200015", "000000"]
    assert "frequency limit" in message(server, sender.creds, again.result[0].msg_id)["status_desc"]
    # A notification from the same signature has its own, looser allowance.
    notice = send(sender.sdk, sender.notice_tpl, ["13800138020"], ["李雷"])
    assert notice.result[0].send_status == "000000"


def test_tenant_frequency_settings_apply(server: Server):
    s = ready_sender(server, settings={"frequency_limits": {"notify": {"per_minute": 2}}})
    codes = [send(s.sdk, s.notice_tpl, ["13800138030"], ["韩梅梅"]).result[0].send_status for _ in range(3)]
    assert codes == ["000000", "000000", "E200015"]


def test_international_numbers_need_the_tenant_setting(server: Server, sender):
    assert send(sender.sdk, sender.notice_tpl, ["+447911123456"], ["Li"]).result[0].send_status == "E200031"
    intl = ready_sender(server, settings={"international": True})
    r = send(intl.sdk, intl.notice_tpl, ["+447911123456"], ["Li"]).result[0]
    assert r.send_status == "000000"
    assert message(server, intl.creds, r.msg_id)["number"] == "447911123456"


def test_diff_messages_gives_results_per_group(server: Server, sender):
    resp = send_diff(
        sender.sdk,
        [
            (sender.code_tpl, ["13800138040", "13800138041"], ["5678"]),
            (sender.notice_tpl, ["13800138040", "bad"], ["王五"]),
        ],
        extend="batch-7",
        task_name="双十一",
    )
    assert resp.status == "Success"
    assert [(r.to, r.send_status) for r in resp.result] == [
        ("+8613800138040", "000000"),
        ("+8613800138041", "000000"),
        ("+8613800138040", "000000"),  # another content: not a duplicate
        ("bad", "E200031"),
    ]
    assert {r.channel_num for r in resp.result} == {sender.channel_num}
    texts = {message(server, sender.creds, r.msg_id)["text"] for r in resp.result[:3]}
    assert texts == {f"【{sender.signature_name}】您的验证码是5678，5分钟内有效。", f"【{sender.signature_name}】尊敬的王五，您的订单已发货。"}
    for r in resp.result[:3]:
        m = wait_final(server, sender.creds, r.msg_id)
        assert m["status"] == "delivered" and m["extend"] == "batch-7" and m["task_id"] == resp.task_id


MAGIC = [
    ("17000000001", "failed", "MK:0001"),
    ("17000000002", "failed", "MA:0001"),
    ("17000000003", "expired", "EXPIRED"),
    ("17000000004", "failed", "UNDELIV"),
    ("17000000005", "failed", "MB:1025"),
    ("17000000006", "delivered", "DELIVRD"),
    ("17000000007", "delivered", "DELIVRD"),
    ("17000001234", "delivered", "DELIVRD"),
]


def test_magic_numbers_reach_their_documented_outcome(server: Server, sender):
    resp = send(sender.sdk, sender.notice_tpl, [n for n, _, _ in MAGIC], ["测试"])
    assert {r.send_status for r in resp.result} == {"000000"}  # the carrier decides, not the API
    for r, (number, status, code) in zip(resp.result, MAGIC, strict=True):
        m = wait_final(server, sender.creds, r.msg_id, timeout=60)
        assert (number, m["status"], m["status_code"]) == (number, status, code)
        if number == "17000000001":
            assert m["attempts"] == 1 and m["part_reports"] == []  # refused at submit, no report
        elif number == "17000000006":
            assert m["attempts"] == 3  # two transient refusals, retried with backoff
        else:
            assert m["attempts"] == 1
