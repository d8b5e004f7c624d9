"""Sending SMS through the official SDK (pipeline): per-number results,
delivery through the sandbox carrier, the message log's view of it."""

from __future__ import annotations

import pytest

from tests.api.send_support import ready_sender, send, wait_final
from tests.support.harness import Server


@pytest.fixture
def sender(server: Server):
    return ready_sender(server)


def test_send_one_code_is_accepted_and_delivered(server: Server, sender):
    resp = send(sender.sdk, sender.code_tpl, ["13800138000"], ["123456"], extend="order-42")
    assert resp.status == "Success" and resp.task_id
    [r] = resp.result
    assert (r.to, r.channel_num, r.send_status) == ("+8613800138000", sender.channel_num, "000000")
    assert r.msg_id and r.create_time.endswith("Z")
    m = wait_final(server, sender.creds, r.msg_id)
    assert m["status"] == "delivered" and m["status_code"] == "DELIVRD"
    assert m["text"] == f"【{sender.signature_name}】您的验证码是123456，5分钟内有效。"
    assert m["number"] == "8613800138000" and m["attempts"] == 1 and m["parts"] == 1
    assert m["submit_time"] and m["report_time"] and m["extend"] == "order-42"
    assert [p["status"] for p in m["part_reports"]] == ["DELIVRD"]
