"""The operator's side: the review queue over the admin API and the CLI
(list, show, approve, reject, expedite, per-party decisions), the channel-
number pool, and the demo tenant's ready-to-send SMS setup."""

from __future__ import annotations

from huaweicloudsdkkoomessage.v1 import ListAimMsgSignatureDetailRequest, ShowAimMsgTemplateDetailRequest

from tests.api.sms_support import approved_tenant, file_filing, make_app, make_signature, make_template, png_bytes, review_of, upload
from tests.support.harness import Server


def test_cli_review_reject_then_approve(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    sid = make_signature(sdk, make_app(sdk), upload(sdk, png_bytes()))
    item = review_of(server, sid)
    listed = server.cli_json("review", "list", "--object-type", "sms_signature", "--tenant", creds.tenant_id)
    assert [r["object_id"] for r in listed["reviews"]] == [sid]

    no_reason = server.cli("review", "reject", item["review_id"], check=False)
    assert no_reason.returncode != 0
    rejected = server.cli_json("review", "reject", item["review_id"], "--reason", "name is a trademark of someone else")
    assert rejected["state"] == "rejected"
    detail = sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid))
    assert detail.status == "REVIEW_NOT_PASS" and detail.review_desc == "name is a trademark of someone else"

    shown = server.cli_json("review", "show", item["review_id"])
    assert [(h["decision"], h["actor"].startswith("cli:")) for h in shown["history"]] == [("submitted", False), ("rejected", True)]
    again = server.cli("review", "approve", item["review_id"], check=False)
    assert again.returncode != 0 and "already decided" in again.stderr


def test_admin_api_approves_and_validates(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    sid = make_signature(sdk, make_app(sdk), upload(sdk, png_bytes()))
    tid = make_template(sdk, sid)
    item = review_of(server, tid)
    with server.admin() as c:
        r = c.post(f"/admin/v1/reviews/{item['review_id']}/reject", json={})
        assert r.status_code == 400 and "reason" in r.json()["error_msg"]
        r = c.post(f"/admin/v1/reviews/{item['review_id']}/approve", json={"party": "cmcc"})
        assert r.status_code == 400 and "not a reviewer" in r.json()["error_msg"]
        r = c.post(f"/admin/v1/reviews/{item['review_id']}/approve", json={"reason": "fine"})
        assert r.status_code == 200 and r.json()["state"] == "approved"
        r = c.get("/admin/v1/reviews/no-such-review")
        assert r.status_code == 400 and r.json()["error_code"] == "KM.00001160"
    assert sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=tid)).flow_status == "Adopted"
    with server.http(creds) as c:
        assert c.get("/admin/v1/reviews").status_code == 403


def test_operator_expedites_from_the_cli(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    app_id, licence = make_app(sdk), upload(sdk, png_bytes())
    first = make_signature(sdk, app_id, licence, name="第一个")
    second = make_signature(sdk, app_id, licence, name="第二个")
    out = server.cli_json("review", "expedite", review_of(server, second)["review_id"], "--desc", "VIP customer")
    assert out["urge_status"] == "URGED" and out["priority"] > 0
    queue = server.cli_json("review", "list", "--tenant", creds.tenant_id)["reviews"]
    assert [r["object_id"] for r in queue] == [second, first]


def test_channel_ranges_are_validated_and_listed(server: Server):
    # Exhaustion is tested against a private database in tests/unit/test_sms_store.py:
    # the server's pool is shared by every test.
    with server.admin() as c:
        bad = c.post("/admin/v1/sms/channel-ranges", json={"first": "12345", "last": "1234"})
        assert bad.status_code == 400 and "same number of digits" in bad.json()["error_msg"]
        ok = c.post("/admin/v1/sms/channel-ranges", json={"prefix": "1069777", "suffix_digits": 3, "note": "test range"})
        assert ok.status_code == 200, ok.text
        assert (ok.json()["first"], ok.json()["last"]) == ("1069777000", "1069777999")
        overlap = c.post("/admin/v1/sms/channel-ranges", json={"first": "1069777500", "last": "1069777600"})
        assert overlap.status_code == 400 and "overlaps" in overlap.json()["error_msg"]
        ranges = c.get("/admin/v1/sms/channel-ranges").json()["ranges"]
    assert any(r["first"] == "1069777000" and r["size"] == 1000 for r in ranges)
    listed = server.cli_json("sms", "pool", "list")
    assert any(r["note"] == "test range" for r in listed)


def test_demo_tenant_is_ready_to_send(server: Server):
    ids = server.bootstrap["demo_sms"]
    sdk = server.sdk(server.demo)
    sig = sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=ids["signature_id"]))
    assert sig.status == "REVIEW_PASSED" and sig.channel_num == ids["channel_num"]
    code = sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=ids["code_template_id"]))
    assert code.flow_status == "Adopted" and code.template_content == "您的验证码是${1}，5分钟内有效。"
    notice = sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=ids["notice_template_id"]))
    assert notice.flow_status == "Adopted" and notice.has_variable == "Yes"
    with server.http(server.demo) as c:
        states = {f["area"]: f["state"] for f in c.get("/tidings/v1/filings").json()["filings"]}
    assert set(states.values()) == {"approved"}


def test_other_tenants_are_not_auto_approved(server: Server):
    creds = server.create_tenant()
    filing = file_filing(server, creds)
    assert filing["state"] == "reviewing"
