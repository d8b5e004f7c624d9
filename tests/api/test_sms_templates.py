"""SMS templates through the official SDK: variables agree with the content,
types and lengths, marketing opt-out wording, review states, update only when
rejected, the variable endpoint, page-numbered listing, cross-tenant ids."""

from __future__ import annotations

import pytest
from huaweicloudsdkkoomessage.v1 import (
    CreateAimMsgTemplateRequest,
    DeleteAimMsgTemplateRequest,
    ListAimMsgTemplateRequest,
    ShowAimMsgTemplateDetailRequest,
    ShowAimMsgTemplateVariableRequest,
    UpdateAimMsgTemplateRequest,
    VariableAttributes,
)

from tests.api.sms_support import approved_tenant, decide, koo_error, make_app, make_signature, make_template, png_bytes, template_body, upload
from tests.support.harness import Server


@pytest.fixture
def setup(server: Server):
    creds = approved_tenant(server)
    sdk = server.sdk(creds)
    app_id = make_app(sdk, "tpl-app")
    licence = upload(sdk, png_bytes())
    notify = make_signature(sdk, app_id, licence, name="通知签名")
    promo = make_signature(sdk, app_id, licence, name="营销签名", type_="PROMOTION_TYPE")
    return creds, sdk, app_id, notify, promo


def _show(sdk, tid):
    return sdk.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=tid))


def test_create_review_reject_update_adopt(server: Server, setup):
    creds, sdk, app_id, notify, _ = setup
    tid = make_template(sdk, notify, name="login")
    t = _show(sdk, tid)
    assert (t.template_type, t.flow_status, t.status, t.has_variable, t.app_id, t.app_name) == ("NOTIFY_TYPE", "Reviewing", "Normal", "Yes", app_id, "tpl-app")
    assert t.universal_template == 0 and t.urge_status == "NO" and t.template_content == "您的验证码是${1}，5分钟内有效。"

    body = template_body(notify, name="login", content="验证码${1}")
    err = koo_error(lambda: sdk.update_aim_msg_template(UpdateAimMsgTemplateRequest(template_id=tid, body=body)))
    assert err.error_code == "KM.00001131" and "Reviewing" in err.error_msg

    decide(server, tid, "rejected", reason="say what the code is for")
    t = _show(sdk, tid)
    assert (t.flow_status, t.review_desc) == ("Reject", "say what the code is for")
    body = template_body(notify, name="login", content="登录验证码${1}，${2}分钟内有效。", variables=[
        VariableAttributes(variable_index=1, variable_type="CHARDIGIT"), VariableAttributes(variable_index=2, variable_type="CHARDIGIT")])
    sdk.update_aim_msg_template(UpdateAimMsgTemplateRequest(template_id=tid, body=body))
    t = _show(sdk, tid)
    assert (t.flow_status, t.review_desc, t.template_content) == ("Reviewing", "", "登录验证码${1}，${2}分钟内有效。")
    decide(server, tid, "approved")
    assert _show(sdk, tid).flow_status == "Adopted"
    adopted = sdk.list_aim_msg_template(ListAimMsgTemplateRequest(flow_status="Adopted"))
    assert [x.template_id for x in adopted.result] == [tid]

    variables = sdk.show_aim_msg_template_variable(ShowAimMsgTemplateVariableRequest(template_id=tid))
    assert variables.total == 2
    assert [(v.variable_index, v.variable_type, v.variable_length) for v in variables.results] == [(1, "CHARDIGIT", 20), (2, "CHARDIGIT", 20)]
    assert all(isinstance(v.id, int) for v in variables.results)

    sdk.delete_aim_msg_template(DeleteAimMsgTemplateRequest(template_id=tid))
    assert koo_error(lambda: _show(sdk, tid)).error_code == "KM.00001080"


def test_variable_lengths_per_type(server: Server, setup):
    _, sdk, _, notify, _ = setup
    kinds = ["PHONE", "CHARDIGIT", "DATETIME", "MONEY", "TEXT", "NEWTEXT"]
    content = "".join(f"${{{i}}}" for i in range(1, len(kinds) + 1))
    variables = [VariableAttributes(variable_index=i, variable_type=k, variable_desc="名称" if k == "TEXT" else None) for i, k in enumerate(kinds, 1)]
    tid = make_template(sdk, notify, content=content, variables=variables)
    got = sdk.show_aim_msg_template_variable(ShowAimMsgTemplateVariableRequest(template_id=tid))
    assert {v.variable_type: v.variable_length for v in got.results} == {
        "PHONE": 15, "CHARDIGIT": 20, "DATETIME": 20, "MONEY": 20, "TEXT": 20, "NEWTEXT": 100}
    assert {v.variable_type: v.variable_desc for v in got.results}["TEXT"] == "名称"


def test_variables_must_agree_with_the_content(server: Server, setup):
    _, sdk, _, notify, _ = setup
    cd = lambda i: VariableAttributes(variable_index=i, variable_type="CHARDIGIT")  # noqa: E731 - a one-line local shorthand

    def create(content, variables, **kw):
        return sdk.create_aim_msg_template(CreateAimMsgTemplateRequest(body=template_body(notify, content=content, variables=variables, **kw)))

    err = koo_error(lambda: create("码${1}和${2}", [cd(1)]))
    assert err.error_code == "KM.00001133" and "${2}" in err.error_msg
    err = koo_error(lambda: create("码${1}", [cd(1), cd(2)]))
    assert "variable_attributes[1]" in err.error_msg
    err = koo_error(lambda: create("码${1}${3}", [cd(1), cd(3)]))
    assert "without gaps" in err.error_msg
    err = koo_error(lambda: create("码${a}", [cd(1)]))
    assert "malformed" in err.error_msg
    err = koo_error(lambda: create("名${1}", [VariableAttributes(variable_index=1, variable_type="TEXT")]))
    assert "variable_desc is required" in err.error_msg
    err = koo_error(lambda: create("名${1}", [VariableAttributes(variable_index=1, variable_type="COLOR")]))
    assert "variable_type" in err.error_msg
    err = koo_error(lambda: create("x" * 501, [cd(1)]))
    assert err.error_msg == "template_content must be at most 500 characters"
    err = koo_error(lambda: create("码${1}", [cd(1)], template_name="n" * 31))
    assert err.error_msg == "template_name must be at most 30 characters"
    err = koo_error(lambda: create("码${1}", [cd(1)], universal_template="1"))
    assert "universal" in err.error_msg
    fixed = create("系统将于今晚维护。", [])
    assert _show(sdk, fixed.template_id).has_variable == "No"


def test_marketing_needs_opt_out_and_matching_type(server: Server, setup):
    _, sdk, _, notify, promo = setup
    no_vars: list = []
    err = koo_error(lambda: make_template(sdk, promo, content="双十一全场五折！", variables=no_vars))
    assert err.error_code == "KM.00001134" and "回T退订" in err.error_msg
    for wording in ("双十一全场五折，回T退订", "新品上市 拒收请回复R", "会员日特惠，回TD退订"):
        tid = make_template(sdk, promo, content=wording, variables=no_vars)
        assert _show(sdk, tid).template_type == "PROMOTION_TYPE"  # the signature's type by default
    err = koo_error(lambda: make_template(sdk, notify, content="回T退订", variables=no_vars, template_type="PROMOTION_TYPE"))
    assert err.error_code == "KM.00001135"


def test_names_unique_per_signature(server: Server, setup):
    _, sdk, _, notify, promo = setup
    make_template(sdk, notify, name="same")
    assert koo_error(lambda: make_template(sdk, notify, name="same")).error_code == "KM.00001132"
    make_template(sdk, promo, name="same", content="特惠${1}，回T退订")


def test_list_offset_is_a_page_number(server: Server, setup):
    _, sdk, _, notify, _ = setup
    ids = [make_template(sdk, notify, name=f"t{i}") for i in range(5)]
    default = sdk.list_aim_msg_template(ListAimMsgTemplateRequest())
    assert default.page_info.offset == 1 and default.page_info.limit == 10 and default.page_info.total == 5
    assert {t.template_id for t in default.result} == set(ids)
    p1 = sdk.list_aim_msg_template(ListAimMsgTemplateRequest(offset=1, limit=2))
    p2 = sdk.list_aim_msg_template(ListAimMsgTemplateRequest(offset=2, limit=2))
    p3 = sdk.list_aim_msg_template(ListAimMsgTemplateRequest(offset=3, limit=2))
    seen = [t.template_id for p in (p1, p2, p3) for t in p.result]
    assert sorted(seen) == sorted(ids) and len(p3.result) == 1
    assert [t.template_id for t in sdk.list_aim_msg_template(ListAimMsgTemplateRequest(template_name="t3")).result] == [ids[3]]
    assert sdk.list_aim_msg_template(ListAimMsgTemplateRequest(app_name="nope")).page_info.total == 0


def test_cross_tenant_template_ids_look_missing(server: Server, setup):
    _, sdk, _, notify, _ = setup
    tid = make_template(sdk, notify)
    stranger = server.sdk(approved_tenant(server))
    for call in (
        lambda: stranger.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id=tid)),
        lambda: stranger.show_aim_msg_template_variable(ShowAimMsgTemplateVariableRequest(template_id=tid)),
        lambda: stranger.delete_aim_msg_template(DeleteAimMsgTemplateRequest(template_id=tid)),
        lambda: stranger.update_aim_msg_template(UpdateAimMsgTemplateRequest(template_id=tid, body=template_body(notify))),
        lambda: stranger.show_aim_msg_template_detail(ShowAimMsgTemplateDetailRequest(template_id="0" * 36)),
    ):
        err = koo_error(call)
        assert (err.error_code, err.error_msg) == ("KM.00001080", "Template ID does not exist")
    assert koo_error(lambda: make_template(stranger, notify)).error_code == "KM.00001111"
    assert _show(sdk, tid).flow_status == "Reviewing"


def test_auto_approve_tenant_gets_adopted_templates_and_numbers(server: Server):
    from tests.api.sms_support import file_filing

    creds = server.create_tenant(settings={"auto_approve": True})
    file_filing(server, creds)
    sdk = server.sdk(creds)
    app_id = make_app(sdk)
    sid = make_signature(sdk, app_id, upload(sdk, png_bytes()))
    tid = make_template(sdk, sid)
    assert _show(sdk, tid).flow_status == "Adopted"
    from huaweicloudsdkkoomessage.v1 import ListAimMsgSignatureDetailRequest

    sig = sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid))
    assert sig.status == "REVIEW_PASSED" and sig.channel_num
    with server.admin() as c:
        item = c.get("/admin/v1/reviews", params={"object_id": tid, "state": "all"}).json()["reviews"][0]
        history = c.get(f"/admin/v1/reviews/{item['review_id']}").json()["history"]
    assert [h["actor"] for h in history if h["decision"] == "approved"] == ["auto"]
