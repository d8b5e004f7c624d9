"""X-Idempotency-Key on the send operations (pipeline), set the way SDK users
set it: with the SDK's own request hook."""

from __future__ import annotations

import uuid

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkkoomessage.v1 import KooMessageClient

from tests.api.send_support import ready_sender, send, send_diff
from tests.api.sms_support import koo_error
from tests.support.harness import Server


def keyed_client(server: Server, creds, key_box: dict) -> KooMessageClient:
    def add_key(request, **_):
        if key_box.get("key"):
            request.header_params["X-Idempotency-Key"] = key_box["key"]

    return (
        KooMessageClient.new_builder()
        .with_credentials(BasicCredentials(creds.access_key, creds.secret_key))
        .with_endpoints([server.url])
        .with_http_handler(HttpHandler().add_request_handler(add_key))
        .build()
    )


def log(server: Server, creds, **params) -> dict:
    with server.http(creds) as c:
        return c.get("/tidings/v1/messages", params=params).json()


def test_a_retried_send_returns_the_first_answer_and_sends_nothing(server: Server):
    s = ready_sender(server)
    box = {"key": "order-" + uuid.uuid4().hex}
    client = keyed_client(server, s.creds, box)
    numbers = ["13800138100", "13800138101", "bad"]
    first = send(client, s.notice_tpl, numbers, ["李雷"], extend="x1")
    again = send(client, s.notice_tpl, numbers, ["李雷"], extend="x1")
    assert again.task_id == first.task_id
    assert [(r.msg_id, r.send_status, r.create_time) for r in again.result] == [(r.msg_id, r.send_status, r.create_time) for r in first.result]
    assert log(server, s.creds)["page_info"]["total"] == 3  # 2 accepted + 1 refused, written once

    # The same key with another body is refused, and sends nothing.
    err = koo_error(lambda: send(client, s.notice_tpl, ["13800138102"], ["李雷"], extend="x1"))
    assert err.status_code == 409 and err.error_code == "TD.00010409" and "X-Idempotency-Key" in err.error_msg
    # ...also on the other operation.
    err = koo_error(lambda: send_diff(client, [(s.notice_tpl, numbers, ["李雷"])], extend="x1"))
    assert err.status_code == 409
    assert log(server, s.creds)["page_info"]["total"] == 3

    # A new key is a new send (the frequency limit is per number and signature, notice allows more).
    box["key"] = "order-" + uuid.uuid4().hex
    third = send(client, s.notice_tpl, numbers, ["李雷"], extend="x1")
    assert third.task_id != first.task_id
    assert log(server, s.creds)["page_info"]["total"] == 6


def test_keys_are_per_tenant(server: Server):
    a, b = ready_sender(server), ready_sender(server)
    key = {"key": "shared-" + uuid.uuid4().hex}
    ra = send(keyed_client(server, a.creds, key), a.code_tpl, ["13800138110"], ["1"])
    rb = send(keyed_client(server, b.creds, key), b.code_tpl, ["13800138110"], ["1"])
    assert ra.task_id != rb.task_id and rb.result[0].send_status == "000000"


def test_a_bad_key_is_refused(server: Server):
    s = ready_sender(server)
    with server.http(s.creds) as c:
        r = c.post("/v1/aim/sms/messages", json={"template_id": s.code_tpl, "to": ["13800138000"], "template_params": ["1"]},
                   headers={"X-Idempotency-Key": "x" * 129})
    assert r.status_code == 400 and "X-Idempotency-Key" in r.json()["error_msg"]
    assert log(server, s.creds)["page_info"]["total"] == 0


def test_without_a_key_a_repeat_is_a_new_send(server: Server):
    s = ready_sender(server)
    one = send(s.sdk, s.notice_tpl, ["13800138120"], ["李雷"])
    two = send(s.sdk, s.notice_tpl, ["13800138120"], ["李雷"])
    assert one.task_id != two.task_id
