"""SMS applications through the official SDK: the filing gate, create / list /
detail / update, names unique per tenant, suspension by an operator, and
another tenant's application answered like a missing one."""

from __future__ import annotations

from huaweicloudsdkkoomessage.v1 import (
    CreateSmsAppRequest,
    ListAimMsgAppDetailRequest,
    ListAimMsgAppRequest,
    MsgAppRequest,
    UpdateAimMsgAppRequest,
)

from tests.api.sms_support import approved_tenant, decide, file_filing, koo_error, make_app
from tests.support.harness import Server


def test_creating_an_application_needs_the_send_task_filing(server: Server):
    creds = server.create_tenant()
    sdk = server.sdk(creds)
    err = koo_error(lambda: sdk.create_sms_app(CreateSmsAppRequest(body=MsgAppRequest(app_name="shop"))))
    assert err.status_code == 400 and err.error_code == "KM.00001104"
    assert "aim.send_task" in err.error_msg and "none" in err.error_msg

    filing = file_filing(server, creds)
    err = koo_error(lambda: sdk.create_sms_app(CreateSmsAppRequest(body=MsgAppRequest(app_name="shop"))))
    assert err.error_code == "KM.00001104" and "reviewing" in err.error_msg

    decide(server, filing["filing_id"], "approved")
    created = sdk.create_sms_app(CreateSmsAppRequest(body=MsgAppRequest(app_name="shop", up_link_addr="https://example.com/mo")))
    assert created.app_name == "shop" and len(created.app_id) == 36


def test_create_list_detail_update(server: Server):
    sdk = server.sdk(approved_tenant(server))
    first = make_app(sdk, "alpha", "https://example.com/a")
    second = make_app(sdk, "beta")

    detail = sdk.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=first))
    assert (detail.app_id, detail.app_name, detail.status, detail.up_link_addr) == (first, "alpha", "LAUNCHED", "https://example.com/a")
    assert detail.region == "cn-north-4" and len(detail.create_time) == 19 and "T" in detail.create_time

    page = sdk.list_aim_msg_app(ListAimMsgAppRequest())
    assert page.page_info.total == 2 and page.page_info.offset == 0 and page.page_info.limit == 10
    assert {a.app_id for a in page.result} == {first, second}
    one = sdk.list_aim_msg_app(ListAimMsgAppRequest(offset=1, limit=1))
    assert len(one.result) == 1 and one.page_info.total == 2 and one.page_info.offset == 1
    assert [a.app_id for a in sdk.list_aim_msg_app(ListAimMsgAppRequest(app_name="beta")).result] == [second]
    assert sdk.list_aim_msg_app(ListAimMsgAppRequest(status="SUSPENDED")).page_info.total == 0

    updated = sdk.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=first, body=MsgAppRequest(app_name="alpha2", up_link_addr="http://example.org/mo")))
    assert (updated.app_id, updated.app_name) == (first, "alpha2")
    detail = sdk.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=first))
    assert (detail.app_name, detail.up_link_addr) == ("alpha2", "http://example.org/mo")


def test_time_window_filters_only_with_both_ends(server: Server):
    sdk = server.sdk(approved_tenant(server))
    make_app(sdk, "gamma")
    past = sdk.list_aim_msg_app(ListAimMsgAppRequest(begin_time="2019-10-12T07:20:50Z", end_time="2019-10-13T07:20:50Z"))
    assert past.page_info.total == 0
    only_begin = sdk.list_aim_msg_app(ListAimMsgAppRequest(begin_time="2019-10-12T07:20:50Z"))
    assert only_begin.page_info.total == 1


def test_names_are_unique_per_tenant_and_limits_name_the_field(server: Server):
    sdk = server.sdk(approved_tenant(server))
    make_app(sdk, "same")
    err = koo_error(lambda: make_app(sdk, "same"))
    assert err.error_code == "KM.00001103" and "app_name" in err.error_msg
    other = server.sdk(approved_tenant(server))
    make_app(other, "same")  # another tenant may use the name

    err = koo_error(lambda: make_app(sdk, "x" * 31))
    assert err.error_code == "KM.00000001" and err.error_msg == "app_name must be at most 30 characters"
    err = koo_error(lambda: make_app(sdk, "ok", "ftp://example.com/x"))
    assert "up_link_addr" in err.error_msg
    err = koo_error(lambda: sdk.list_aim_msg_app(ListAimMsgAppRequest(limit=101)))
    assert "limit" in err.error_msg


def test_foreign_application_is_answered_like_a_missing_one(server: Server):
    owner = server.sdk(approved_tenant(server))
    app_id = make_app(owner, "mine")
    stranger = server.sdk(approved_tenant(server))
    foreign = koo_error(lambda: stranger.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=app_id)))
    missing = koo_error(lambda: stranger.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id="0" * 36)))
    assert (foreign.status_code, foreign.error_code, foreign.error_msg) == (missing.status_code, missing.error_code, missing.error_msg)
    assert foreign.error_code == "KM.00001101"
    err = koo_error(lambda: stranger.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=app_id, body=MsgAppRequest(app_name="taken"))))
    assert err.error_code == "KM.00001101"
    assert owner.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=app_id)).app_name == "mine"


def test_operator_suspends_and_resumes_an_application(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_id = make_app(sdk, "risky")
    with server.admin() as c:
        r = c.post(f"/admin/v1/sms/apps/{app_id}/suspend", json={"reason": "complaints about content"})
    assert r.status_code == 200 and r.json()["status"] == "SUSPENDED"
    assert sdk.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=app_id)).status == "SUSPENDED"
    assert [a.app_id for a in sdk.list_aim_msg_app(ListAimMsgAppRequest(status="SUSPENDED")).result] == [app_id]
    err = koo_error(lambda: sdk.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=app_id, body=MsgAppRequest(app_name="renamed"))))
    assert err.error_code == "KM.00001102" and "suspended" in err.error_msg and "complaints" in err.error_msg

    with server.admin() as c:
        r = c.post(f"/admin/v1/sms/apps/{app_id}/resume")
    assert r.status_code == 200 and r.json()["status"] == "LAUNCHED"
    sdk.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=app_id, body=MsgAppRequest(app_name="renamed")))
    assert sdk.list_aim_msg_app_detail(ListAimMsgAppDetailRequest(app_id=app_id)).app_name == "renamed"


def test_suspend_needs_the_operator(server: Server):
    creds = approved_tenant(server)
    app_id = make_app(server.sdk(creds))
    with server.http(creds) as c:
        r = c.post(f"/admin/v1/sms/apps/{app_id}/suspend", json={})
    assert r.status_code == 403


def test_operator_cli_suspends_and_resumes_an_application(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_id = make_app(sdk, "cli-risky")
    out = server.cli_json("sms", "apps", "suspend", app_id, "--reason", "spam reports")
    assert out["status"] == "SUSPENDED" and out["suspend_reason"] == "spam reports"
    err = koo_error(lambda: sdk.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=app_id, body=MsgAppRequest(app_name="x"))))
    assert err.error_code == "KM.00001102"
    assert server.cli_json("sms", "apps", "resume", app_id)["status"] == "LAUNCHED"
    sdk.update_aim_msg_app(UpdateAimMsgAppRequest(app_id=app_id, body=MsgAppRequest(app_name="x")))
    missing = server.cli("sms", "apps", "suspend", "no-such-app", check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr
