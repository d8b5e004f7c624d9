"""SMS signatures and their files through the official SDK: the whole
lifecycle (submit, reject with a reason, update, approve, channel number,
delete cascading to templates), uploads checked by content, and another
tenant's objects answered like missing ones."""

from __future__ import annotations

from huaweicloudsdkkoomessage.v1 import (
    AddAimMsgSignatureRequest,
    DeleteAimMsgSignatureRequest,
    ListAimMsgSignatureDetailRequest,
    ListAimMsgSignatureRequest,
    ListAimMsgTemplateRequest,
    ShowAimMsgSignatureFileInfoRequest,
    ShowAimMsgTemplateDetailRequest,
    UpdateAimMsgSignatureRequest,
)

from tests.api.sms_support import (
    approved_tenant,
    decide,
    koo_error,
    make_app,
    make_signature,
    make_template,
    pdf_bytes,
    png_bytes,
    review_of,
    signature_body,
    upload,
)
from tests.support.harness import Server


def _detail(sdk, sid):
    return sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid))


def test_lifecycle_reject_update_approve_number_delete_cascade(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    app_id = make_app(sdk, "shop")
    licence = upload(sdk, png_bytes(), "licence.png")
    sid = make_signature(sdk, app_id, licence, name="示例商城")

    fresh = _detail(sdk, sid)
    assert (fresh.status, fresh.channel_num, fresh.app_name, fresh.file_id) == ("PENDING_REVIEW", None, "shop", licence)
    assert fresh.signature_type == "NOTIFY_TYPE" and fresh.signature_source == 0 and fresh.urge_status == "NO"

    # a template may wait for its signature's review
    tid = make_template(sdk, sid)

    err = koo_error(lambda: sdk.update_aim_msg_signature(UpdateAimMsgSignatureRequest(signature_id=sid, body=signature_body(app_id, licence, name="新名字"))))
    assert err.error_code == "KM.00001112" and "PENDING_REVIEW" in err.error_msg

    decide(server, sid, "rejected", reason="licence does not match the name")
    rejected = _detail(sdk, sid)
    assert rejected.status == "REVIEW_NOT_PASS" and rejected.review_desc == "licence does not match the name"

    body = signature_body(app_id, licence, name="示例商城旗舰店", apply_desc="fixed")
    sdk.update_aim_msg_signature(UpdateAimMsgSignatureRequest(signature_id=sid, body=body))
    again = _detail(sdk, sid)
    assert (again.status, again.signature_name, again.apply_desc, again.review_desc) == ("PENDING_REVIEW", "示例商城旗舰店", "fixed", "")
    item = review_of(server, sid)
    assert item["round"] == 2 and item["state"] == "pending"
    with server.admin() as c:
        history = c.get(f"/admin/v1/reviews/{item['review_id']}").json()["history"]
    assert [(h["decision"], h["reason"]) for h in history if h["decision"] in ("approved", "rejected")] == [("rejected", "licence does not match the name")]

    decide(server, sid, "approved", reason="ok")
    passed = _detail(sdk, sid)
    assert passed.status == "REVIEW_PASSED" and passed.channel_num and passed.channel_num.isdigit()
    listed = sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(status="REVIEW_PASSED"))
    assert [s.channel_num for s in listed.result] == [passed.channel_num]

    assert sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=tid)).signature_id == sid
    sdk.delete_aim_msg_signature(DeleteAimMsgSignatureRequest(signature_id=sid))
    assert koo_error(lambda: _detail(sdk, sid)).error_code == "KM.00001111"
    assert koo_error(lambda: sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=tid))).error_code == "KM.00001080"
    assert sdk.list_aim_msg_template(ListAimMsgTemplateRequest()).page_info.total == 0
    with server.admin() as c:
        assert c.get("/admin/v1/reviews", params={"object_id": tid, "state": "all"}).json()["total"] == 0

    # the freed number goes back to the pool (after never-used ones)
    with server.admin() as c:
        ranges = c.get("/admin/v1/sms/channel-ranges").json()["ranges"]
    assert any(r["first"] <= passed.channel_num <= r["last"] for r in ranges)


def test_numbers_are_distinct_and_waiting_signatures_get_one_when_a_range_is_added(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_id = make_app(sdk)
    licence = upload(sdk, pdf_bytes(), "licence.pdf")
    a = make_signature(sdk, app_id, licence, name="甲公司")
    b = make_signature(sdk, app_id, licence, name="乙公司")
    decide(server, a, "approved")
    decide(server, b, "approved")
    na, nb = _detail(sdk, a).channel_num, _detail(sdk, b).channel_num
    assert na and nb and na != nb


def test_uploads_are_checked_by_content_and_size(server: Server, tenant):
    sdk = server.sdk(tenant)
    fid = upload(sdk, png_bytes(), "scan.png", "licence")
    shown = sdk.show_aim_msg_signature_file_info(ShowAimMsgSignatureFileInfoRequest(file_id=fid))
    assert (shown.file_id, shown.file_name) == (fid, "scan.png")
    assert upload(sdk, pdf_bytes(), "letter.pdf")

    err = koo_error(lambda: upload(sdk, b"MZ\x90\x00" + b"\x00" * 200, "licence.png"))  # an executable named .png
    assert err.status_code == 400 and err.error_code == "KM.00001122" and "JPEG, PNG, BMP and PDF" in err.error_msg
    err = koo_error(lambda: upload(sdk, b"just some text pretending", "licence.pdf"))
    assert err.error_code == "KM.00001122"
    err = koo_error(lambda: upload(sdk, png_bytes(pad=5 * 1024 * 1024), "huge.png"))
    assert err.error_code == "KM.00001123" and str(5 * 1024 * 1024) in err.error_msg

    other = server.sdk(server.create_tenant())
    foreign = koo_error(lambda: other.show_aim_msg_signature_file_info(ShowAimMsgSignatureFileInfoRequest(file_id=fid)))
    missing = koo_error(lambda: other.show_aim_msg_signature_file_info(ShowAimMsgSignatureFileInfoRequest(file_id="f" * 36)))
    assert foreign.error_code == missing.error_code == "KM.00001121"
    assert foreign.error_msg.replace(fid, "X") == missing.error_msg.replace("f" * 36, "X")


def test_upload_names_extensions_and_pixels_are_checked(server: Server, tenant):
    sdk = server.sdk(tenant)
    fid = upload(sdk, png_bytes(), "../../../../x/evil.png")
    shown = sdk.show_aim_msg_signature_file_info(ShowAimMsgSignatureFileInfoRequest(file_id=fid))
    assert shown.file_name == "evil.png"
    fid = upload(sdk, png_bytes(), "营业执照\u202egnp.png")  # a right-to-left override
    assert sdk.show_aim_msg_signature_file_info(ShowAimMsgSignatureFileInfoRequest(file_id=fid)).file_name == "营业执照_gnp.png"
    # A PNG that is also an HTML page, named .html: the name must agree with the content.
    polyglot = png_bytes() + b"<html><script>alert(1)</script></html>"
    err = koo_error(lambda: upload(sdk, polyglot, "a.html"))
    assert err.status_code == 400 and err.error_code == "KM.00001122" and ".html" in err.error_msg and "PNG" in err.error_msg
    err = koo_error(lambda: upload(sdk, pdf_bytes(), "scan.png"))
    assert err.error_code == "KM.00001122"
    # 30000x30000 announced in an 80-byte PNG: refused from the header, before anything is stored.
    err = koo_error(lambda: upload(sdk, png_bytes(size=(30000, 30000)), "bomb.png"))
    assert err.error_code == "KM.00001123" and "40000000 pixels" in err.error_msg
    err = koo_error(lambda: upload(sdk, png_bytes()[:-20], "cut.png"))  # damaged
    assert err.error_code == "KM.00001122" and "cannot be read" in err.error_msg
    assert upload(sdk, png_bytes(), "no-extension")


def test_signature_input_rules(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_id = make_app(sdk)
    licence = upload(sdk, png_bytes())

    def add(**kw):
        return sdk.add_aim_msg_signature(AddAimMsgSignatureRequest(body=signature_body(app_id, licence, **kw)))

    err = koo_error(lambda: add(name="短"))
    assert err.error_code == "KM.00001076" and "2-16" in err.error_msg
    assert koo_error(lambda: add(name="一二三四五六七八九十一二三四五六七")).error_code == "KM.00001076"
    err = koo_error(lambda: add(signature_source=1))
    assert "source_title_content" in err.error_msg
    err = koo_error(lambda: add(is_involved_third="yes"))
    assert "power_attorney_file_id" in err.error_msg
    err = koo_error(lambda: add(signature_type="OTHER"))
    assert "signature_type" in err.error_msg
    err = koo_error(lambda: add(apply_desc="x" * 81))
    assert err.error_msg == "apply_desc must be at most 80 characters"
    err = koo_error(lambda: sdk.add_aim_msg_signature(AddAimMsgSignatureRequest(body=signature_body(app_id, "nope"))))
    assert err.error_code == "KM.00001121" and "file_id" in err.error_msg

    add(name="同名签名")
    err = koo_error(lambda: add(name="同名签名"))
    assert err.error_code == "KM.00001113"
    add(name="同名签名", signature_type="PROMOTION_TYPE")  # same name, other type
    assert sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(signature_name="同名签名")).page_info.total == 2


def test_list_filters_and_string_offset(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_a, app_b = make_app(sdk, "a-app"), make_app(sdk, "b-app")
    licence = upload(sdk, png_bytes())
    ids = [make_signature(sdk, app_a, licence, name=f"签名{i}") for i in range(3)]
    other = make_signature(sdk, app_b, licence, name="营销签名", type_="PROMOTION_TYPE")
    everything = sdk.list_aim_msg_signature(ListAimMsgSignatureRequest())
    assert everything.page_info.total == 4 and everything.page_info.offset == 0
    page = sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(offset="1", limit=2))
    assert len(page.result) == 2 and page.page_info.offset == 1 and page.page_info.limit == 2
    assert {s.signature_id for s in sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(app_name="a-app")).result} == set(ids)
    assert [s.signature_id for s in sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(signature_type="PROMOTION_TYPE")).result] == [other]
    assert [s.signature_id for s in sdk.list_aim_msg_signature(ListAimMsgSignatureRequest(signature_id=ids[1])).result] == [ids[1]]


def test_cross_tenant_signatures_look_missing(server: Server):
    owner = server.sdk(approved_tenant(server))
    app_id = make_app(owner)
    licence = upload(owner, png_bytes())
    sid = make_signature(owner, app_id, licence)
    stranger_creds = approved_tenant(server)
    stranger = server.sdk(stranger_creds)
    for call in (
        lambda: stranger.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid)),
        lambda: stranger.delete_aim_msg_signature(DeleteAimMsgSignatureRequest(signature_id=sid)),
        lambda: stranger.update_aim_msg_signature(UpdateAimMsgSignatureRequest(signature_id=sid, body=signature_body(app_id, licence))),
    ):
        err = koo_error(call)
        assert (err.error_code, err.error_msg) == ("KM.00001111", "SMS signature does not exist")
    # someone else's application and file cannot be used either
    own_app = make_app(stranger)
    own_file = upload(stranger, png_bytes())
    assert koo_error(lambda: make_signature(stranger, app_id, own_file)).error_code == "KM.00001101"
    assert koo_error(lambda: make_signature(stranger, own_app, licence)).error_code == "KM.00001121"
    assert stranger.list_aim_msg_signature(ListAimMsgSignatureRequest()).page_info.total == 0
    assert _detail(owner, sid).status == "PENDING_REVIEW"


def test_suspended_application_refuses_new_signatures(server: Server):
    sdk = server.sdk(approved_tenant(server))
    app_id = make_app(sdk)
    licence = upload(sdk, png_bytes())
    with server.admin() as c:
        c.post(f"/admin/v1/sms/apps/{app_id}/suspend", json={"reason": "audit"})
    assert koo_error(lambda: make_signature(sdk, app_id, licence)).error_code == "KM.00001102"


def test_urge_raises_priority_and_shows_on_the_signature(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    app_id = make_app(sdk)
    licence = upload(sdk, png_bytes())
    first = make_signature(sdk, app_id, licence, name="先来的")
    urgent = make_signature(sdk, app_id, licence, name="着急的")
    with server.admin() as c:
        queue = [i["object_id"] for i in c.get("/admin/v1/reviews", params={"tenant_id": creds.tenant_id}).json()["reviews"]]
    assert queue.index(first) < queue.index(urgent)
    with server.http(creds) as c:
        r = c.post(f"/tidings/v1/sms/signatures/{urgent}/urge", json={"urge_desc": "launch tomorrow"})
        assert r.status_code == 200, r.text
        again = c.post(f"/tidings/v1/sms/signatures/{urgent}/urge", json={"urge_desc": "please"})
        assert again.status_code == 400
    with server.admin() as c:
        queue = [i["object_id"] for i in c.get("/admin/v1/reviews", params={"tenant_id": creds.tenant_id}).json()["reviews"]]
    assert queue.index(urgent) < queue.index(first)
    shown = _detail(sdk, urgent)
    assert shown.urge_status == "URGED" and shown.urge_desc == "launch tomorrow" and shown.urge_time
