"""Expiry (pipeline): a message the carrier never reports is expired after
the channel's validity period, with a receipt.  Its own server, with a short
sandbox validity."""

from __future__ import annotations

import json

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

from tests.api.send_support import ready_sender, send, wait_final
from tests.conftest import backend_params, start_server, stop_server
from tests.support.harness import Server
from tests.support.receiver import Receiver

pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module", params=backend_params())
def short_validity(request) -> Server:
    srv = start_server(request.param, {"TIDINGS_EXTRA": json.dumps({"sandbox": {"validity_seconds": 3, "handset_off_seconds": 1}})})
    yield srv
    stop_server(srv)


def test_unreported_messages_expire_after_the_validity(short_validity: Server):
    s = ready_sender(short_validity)
    with Receiver() as rx:
        s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/r"), url_type=0)))
        lost, off, fine = send(s.sdk, s.notice_tpl, ["17000000008", "17000000003", "13800138900"], ["李雷"]).result
        m = wait_final(short_validity, s.creds, lost.msg_id)
        assert (m["status"], m["status_code"], m["part_reports"]) == ("expired", "EXPIRED", [])
        assert m["report_time"] >= m["expire_time"]
        # The handset-off number is expired by the carrier's own report, earlier.
        m_off = wait_final(short_validity, s.creds, off.msg_id)
        assert (m_off["status"], m_off["part_reports"][0]["status"]) == ("expired", "EXPIRED")
        assert wait_final(short_validity, s.creds, fine.msg_id)["status"] == "delivered"
        got = rx.wait_for(lambda reqs: any(json.loads(q.json()["body"])["msg_id"] == lost.msg_id for q in reqs))
    body = next(json.loads(q.json()["body"]) for q in got if json.loads(q.json()["body"])["msg_id"] == lost.msg_id)
    assert (body["send_status"], body["total"], body["sequence"]) == ("EXPIRED", "1", "1")
