"""Request-level refusals of the send operations (pipeline): KooMessage errors
naming the field and the limit, and nothing written."""

from __future__ import annotations

import pytest

from tests.api.send_support import ready_sender, send, send_diff
from tests.api.sms_support import koo_error, make_signature, make_template, png_bytes, upload
from tests.support.harness import Server


@pytest.fixture
def sender(server: Server):
    return ready_sender(server)


def log_total(server: Server, creds) -> int:
    with server.http(creds) as c:
        return c.get("/tidings/v1/messages").json()["page_info"]["total"]


def test_unknown_or_foreign_template(server: Server, sender):
    err = koo_error(lambda: send(sender.sdk, "no-such-template", ["13800138000"], ["1"]))
    assert err.status_code == 400 and err.error_code == "KM.00001080"
    other = ready_sender(server)
    foreign = koo_error(lambda: send(sender.sdk, other.code_tpl, ["13800138000"], ["1"]))
    assert (foreign.error_code, foreign.error_msg.replace(other.code_tpl, "X")) == (err.error_code, err.error_msg.replace("no-such-template", "X"))
    assert log_total(server, sender.creds) == 0


def test_channel_num_must_be_the_signatures(server: Server, sender):
    err = koo_error(lambda: send(sender.sdk, sender.code_tpl, ["13800138000"], ["1"], channel_num="106900000000"))
    assert err.error_code == "KM.00000001" and "channel_num" in err.error_msg and sender.channel_num in err.error_msg
    ok = send(sender.sdk, sender.code_tpl, ["13800138000"], ["1"], channel_num=sender.channel_num)
    assert ok.result[0].send_status == "000000"


def test_diff_groups_must_share_the_channel_number(server: Server, sender):
    other = ready_sender(server)  # another tenant: its template is unknown here
    err = koo_error(lambda: send_diff(sender.sdk, [(sender.code_tpl, ["13800138000"], ["1"]), (other.code_tpl, ["13800138001"], ["2"])]))
    assert err.error_code == "KM.00001080" and "sms_content[1]" in err.error_msg
    # A second signature of the same tenant has its own channel number.
    sid2 = make_signature(sender.sdk, sender.app_id, upload(sender.sdk, png_bytes()), name="第二签名" + sender.signature_name[-4:])
    tpl2 = make_template(sender.sdk, sid2)
    err = koo_error(lambda: send_diff(sender.sdk, [(sender.code_tpl, ["13800138000"], ["1"]), (tpl2, ["13800138001"], ["2"])]))
    assert err.error_code == "KM.00000001" and "sms_content[1]" in err.error_msg
    assert log_total(server, sender.creds) == 0


@pytest.mark.parametrize(
    "patch,needle",
    [
        ({"to": []}, "to must have at least 1 items"),
        ({"to": ["13800138000"] * 501}, "to must have at most 500 items"),
        ({"template_params": ["1"] * 21}, "template_params must have at most 20 items"),
        ({"extend": "a{b}"}, "extend: must not contain { or }"),
        ({"extend": ""}, "extend: must not be empty"),
        ({"extend": "x" * 129}, "extend must be at most 128 characters"),
        ({"task_name": "   "}, "task_name: must not be blank"),
        ({"task_name": "x" * 31}, "task_name must be at most 30 characters"),
        ({"channel_num": "1" * 22}, "channel_num must be at most 21 characters"),
        ({"template_id": None}, "template_id is required"),
    ],
)
def test_bad_bodies_name_the_field_and_limit(server: Server, sender, patch, needle):
    body = {"template_id": sender.code_tpl, "to": ["13800138000"], "template_params": ["1234"], **patch}
    body = {k: v for k, v in body.items() if v is not None}
    with server.http(sender.creds) as c:
        r = c.post("/v1/aim/sms/messages", json=body)
    assert r.status_code == 400, r.text
    assert needle in r.json()["error_msg"]
    assert r.json()["error_code"].startswith("KM.")
    assert log_total(server, sender.creds) == 0


def test_suspended_application_refuses_sends(server: Server, sender):
    with server.admin() as c:
        r = c.post(f"/admin/v1/sms/apps/{sender.app_id}/suspend", json={"reason": "complaints"})
    assert r.status_code == 200, r.text
    err = koo_error(lambda: send(sender.sdk, sender.code_tpl, ["13800138000"], ["1"]))
    assert "suspended" in err.error_msg
    assert log_total(server, sender.creds) == 0
    with server.admin() as c:
        assert c.post(f"/admin/v1/sms/apps/{sender.app_id}/resume").status_code == 200
    assert send(sender.sdk, sender.code_tpl, ["13800138000"], ["1"]).result[0].send_status == "000000"


def test_messages_per_second_limit_refuses_the_whole_request(server: Server):
    s = ready_sender(server, settings={"rate_messages_per_second": 1})
    numbers = [f"1380013{i:04d}" for i in range(500)]
    first = send(s.sdk, s.notice_tpl, numbers, ["张三"])  # a full request always fits the burst
    assert first.status == "Success"
    # A second full burst: at 1/s the bucket holds one token per second since the first
    # request took its 500 (before that request's commit, however slow), so this is refused
    # until 500 s have passed, and a partial fill must not let part of the request through.
    again = [f"1390013{i:04d}" for i in range(500)]
    with server.http(s.creds) as c:
        r = c.post("/v1/aim/sms/messages", json={"template_id": s.notice_tpl, "to": again, "template_params": ["张三"]})
    assert r.status_code == 429, r.text
    assert r.json()["error_code"] == "APIGW.0308" and int(r.headers["Retry-After"]) >= 1
    assert log_total(server, s.creds) == 500
