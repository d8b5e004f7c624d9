"""Smart-message templates through the official SDK: create with every kind
of refusal (layout x maker, action rules, VIVO, params, limits), listing with
its filters, state and delete, review per maker driving audit_state,
factory_info and the template-status callback at a real receiver."""

from __future__ import annotations

import copy
import json
import re

import pytest
from huaweicloudsdkkoomessage.v1 import (
    AddCallBackRequest,
    AddCallbackRequestBody,
    CreateAimPersonalTemplateRequest,
    DeleteAimPersonalTemplateRequest,
    DeleteTemplateMaterialRequest,
    DeleteTemplateMaterialRequestBody,
    ListAimTemplatesRequest,
    UpdatePersonalTemplateStateDataRequest,
    UpdatePersonalTemplateStateRequest,
)

from tests.api.aim_support import (
    create,
    data_of,
    decide_maker,
    image_bytes,
    review_item,
    sdk_body,
    upload,
)
from tests.api.sms_support import koo_error
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tidings.aim.samples import sample_request


def refused(sdk, body: dict):
    return koo_error(lambda: sdk.create_aim_personal_template(CreateAimPersonalTemplateRequest(body=sdk_body(body))))


def listed(sdk, **kw):
    return sdk.list_aim_templates(ListAimTemplatesRequest(**kw))


def test_create_answers_a_9_digit_id_and_lists_the_stored_card(server: Server, sdk):
    tid = create(sdk, sample_request("StandardImageAndText", ("HUAWEI", "OPPO")))
    assert len(tid) == 9 and tid.isdigit()
    got = listed(sdk, tpl_id=tid)
    assert got.page_info.total == 1
    t = got.templates[0]
    assert (t.tpl_id, t.card_id, t.audit_state, t.tpl_state, t.match_type) == (tid, "StandardImageAndText", 1, 1, 1)
    assert [(f.factory_type, f.state) for f in t.factory_info] == [("HuaWei", 2), ("OPPO", 2)]
    assert re.search(rf"/aim/preview/{tid}\?token=[\w-]{{24}}$", t.preview_url)
    pages = json.loads(t.pages)
    assert pages[0]["style"]["width"] == "342px" and {i["type"] for i in pages[0]["content"]} == {"image", "text", "button"}
    assert [p.name for p in t.params] == ["name"]
    assert t.description == sample_request("StandardImageAndText")["sms_example"]
    status_only = listed(sdk, tpl_id=tid, is_only_status=True).templates[0]
    assert status_only.pages is None and status_only.params is None and status_only.audit_state == 1


def test_refusals_name_field_and_limit_and_write_nothing(server: Server, sdk):
    base = sample_request("PureText", ("HUAWEI",))
    cases = []
    matrix = copy.deepcopy(base)
    matrix["factorys"].append({"factory_type": "VIVO", "state": 1})
    cases.append((matrix, "KM.80040010", "VIVO does not support card_id PureText"))
    name = copy.deepcopy(base)
    name["tpl_name"] = "x" * 18
    cases.append((name, "KM.00000001", "tpl_name must be at most 17 characters"))
    action = sample_request("StandardImageAndText", ("OPPO",))
    button = next(c for c in action["pages"][0]["contents"] if c["type"] == "button")
    button["action_type"], button["action"] = "DIAL_PHONE", {"target": "10086"}
    cases.append((action, "KM.80040011", "OPPO supports only"))
    vivo = sample_request("StandardImageAndText", ("VIVO",))
    vivo.pop("sms_template")
    cases.append((vivo, "KM.80040015", "sms_template"))
    params = copy.deepcopy(base)
    params["params"].append({"type": 1, "name": "${unused}", "example": "x"})
    cases.append((params, "KM.80040014", "${unused} is declared but used nowhere"))
    angle = copy.deepcopy(base)
    angle["scene"] = "a<b"
    cases.append((angle, "KM.00000001", "scene"))
    opt_out = copy.deepcopy(base)
    opt_out["sms_example"] = "no way out"
    cases.append((opt_out, "KM.80040013", "opt-out"))
    slot = copy.deepcopy(base)
    slot["pages"][0]["contents"][1]["content"] = "x" * 501
    cases.append((slot, "KM.00000001", "at most 500 characters"))
    for body, code, words in cases:
        err = refused(sdk, body)
        assert err.status_code == 400 and err.error_code == code and words in err.error_msg, (code, err.error_msg)
        assert err.request_id
    assert listed(sdk, tpl_type="private").page_info.total == 0


def test_material_references_must_be_the_tenants_own_of_the_right_rate(server: Server, sdk):
    wide_material = data_of(upload(sdk, "image", image_bytes(1600, 900), image_rate="sixteenToNine"))
    wide = wide_material["aim_resource_id"]
    square = data_of(upload(sdk, "image", image_bytes(400, 400), image_rate="oneToOne"))["aim_resource_id"]
    tid = create(sdk, sample_request("StandardImageAndText", sources={"sixteenToNine": wide}))
    assert listed(sdk, tpl_id=tid).page_info.total == 1
    err = refused(sdk, sample_request("StandardImageAndText", sources={"sixteenToNine": square}))
    assert err.error_code == "KM.80040012" and "image_rate oneToOne" in err.error_msg
    small = data_of(upload(sdk, "image", image_bytes(800, 450), image_rate="sixteenToNine"))["aim_resource_id"]
    err = refused(sdk, sample_request("StandardImageAndText", ("VIVO",), sources={"sixteenToNine": small}))
    assert "VIVO needs at least 1088x612" in err.error_msg and "800x450" in err.error_msg
    other = server.sdk(server.create_tenant())
    foreign = refused(other, sample_request("StandardImageAndText", sources={"sixteenToNine": wide}))
    missing = refused(other, sample_request("StandardImageAndText", sources={"sixteenToNine": "123456789012345678"}))
    assert foreign.error_code == missing.error_code == "KM.80040012"
    assert foreign.error_msg.replace(wide, "ID") == missing.error_msg.replace("123456789012345678", "ID")
    # A material a live template uses cannot go to the recycle bin; once the template is deleted it can.
    remove = DeleteTemplateMaterialRequest(body=DeleteTemplateMaterialRequestBody(material_ids=[wide_material["material_id"]]))
    err = koo_error(lambda: sdk.delete_template_material(remove))
    assert err.error_code == "KM.80020020" and f"used by template {tid}" in err.error_msg
    sdk.delete_aim_personal_template(DeleteAimPersonalTemplateRequest(tpl_id=tid))
    assert sdk.delete_template_material(remove).status == "200"


def test_filters_and_paging(server: Server, tenant, sdk):
    plain = copy.deepcopy(sample_request("Notification1", ("XIAOMI",)))
    plain["params"] = []
    for c in plain["pages"][0]["contents"]:
        if c.get("content"):
            c["content"] = c["content"].replace("${name}", "you")
    ids = [create(sdk, sample_request("StandardImageAndText")) for _ in range(3)] + [create(sdk, plain)]
    assert listed(sdk, tpl_type="private").page_info.total == 4
    # The shipped public templates are listed too (tpl_type=public, unfiltered): filters are checked on the private ones.
    public = {t.tpl_id for t in listed(sdk, tpl_type="public", limit=100).templates}
    assert public and not public & set(ids)
    assert [t.tpl_id for t in listed(sdk, tpl_type="private", factory_type=["XIAOMI"]).templates] == [ids[3]]
    with server.http(tenant) as c:
        r = c.get("/v1/aim/templates", params=[("tpl_type", "private"), ("factory_type", "xiaomi"), ("factory_type", "huawei")])
    assert r.status_code == 200 and r.json()["page_info"]["total"] == 4
    assert {t.tpl_id for t in listed(sdk, tpl_type="private", has_param=False).templates} == {ids[3]}
    assert listed(sdk, tpl_type="private", has_param=True).page_info.total == 3
    page = listed(sdk, tpl_type="private", offset=1, limit=2)
    assert (page.page_info.offset, page.page_info.limit, page.page_info.total, len(page.templates)) == (1, 2, 4, 2)
    assert [t.tpl_id for t in listed(sdk, tpl_type="private").templates] == list(reversed(ids))
    everything = listed(sdk, limit=100)
    assert [t.tpl_id for t in everything.templates][:4] == list(reversed(ids)) and everything.page_info.total == 4 + len(public)
    err = koo_error(lambda: listed(sdk, begin_time="2026-01-01T00:00:00Z"))
    assert "both" in err.error_msg
    err = koo_error(lambda: listed(sdk, begin_time="2026-02-01T00:00:00Z", end_time="2026-01-01T00:00:00Z"))
    assert "after end_time" in err.error_msg
    assert listed(sdk, tpl_type="private", begin_time="2020-01-01T00:00:00Z", end_time="2099-01-01T00:00:00Z").page_info.total == 4
    other = server.sdk(server.create_tenant())
    assert listed(other, tpl_type="private").page_info.total == 0 and listed(other, tpl_id=ids[0]).page_info.total == 0
    sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=ids[1], body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    with server.http(tenant) as c:  # Tidings' extra filters
        assert [t["tpl_id"] for t in c.get("/v1/aim/templates", params={"tpl_type": "private", "tpl_state": 0}).json()["templates"]] == [ids[1]]
        assert c.get("/v1/aim/templates", params={"tpl_type": "private", "audit_state": 1}).json()["page_info"]["total"] == 4
        assert c.get("/v1/aim/templates", params={"tpl_type": "private", "audit_state": 2}).json()["page_info"]["total"] == 0


def test_state_and_delete(server: Server, sdk):
    tid = create(sdk, sample_request("StandardImageAndText"))
    r = sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tid, body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    assert (r.status, r.message, r.data) == ("200", "success", None)
    t = listed(sdk, tpl_id=tid).templates[0]
    assert t.tpl_state == 0 and t.disable_desc and t.disable_time != "1970-01-01T00:00:00Z"
    sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tid, body=UpdatePersonalTemplateStateDataRequest(tpl_state=1)))
    t = listed(sdk, tpl_id=tid).templates[0]
    assert (t.tpl_state, t.disable_desc, t.disable_time) == (1, "", "1970-01-01T00:00:00Z")
    other = server.sdk(server.create_tenant())
    foreign = koo_error(lambda: other.delete_aim_personal_template(DeleteAimPersonalTemplateRequest(tpl_id=tid)))
    missing = koo_error(lambda: other.delete_aim_personal_template(DeleteAimPersonalTemplateRequest(tpl_id="123456789")))
    assert (foreign.error_code, foreign.error_msg) == (missing.error_code, missing.error_msg) == ("KM.80040007", "Smart-message template does not exist")
    r = sdk.delete_aim_personal_template(DeleteAimPersonalTemplateRequest(tpl_id=tid))
    assert (r.status, r.message) == ("200", "success")
    assert listed(sdk, tpl_id=tid).page_info.total == 0
    gone = koo_error(lambda: sdk.update_personal_template_state(
        UpdatePersonalTemplateStateRequest(tpl_id=tid, body=UpdatePersonalTemplateStateDataRequest(tpl_state=1))))
    assert gone.error_code == "KM.80040007"
    with server.admin() as c:  # the review left the queue with the template
        assert c.get("/admin/v1/reviews", params={"object_id": tid, "state": "all"}).json()["total"] == 0


@pytest.fixture
def receiver():
    with Receiver() as rx:
        yield rx


def register_status_url(sdk, url: str) -> None:
    sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=url, url_type=1)))


def test_review_per_maker_drives_audit_state_factory_info_and_the_status_callback(server: Server, sdk, receiver):
    register_status_url(sdk, receiver.url("/template-status"))
    tid = create(sdk, sample_request("StandardImageAndText", ("HUAWEI", "XIAOMI", "OPPO")))
    item = review_item(server, tid)
    assert (item["object_type"], item["rule"], item["parties"]) == ("aim_template", "any", ["HUAWEI", "XIAOMI", "OPPO"])
    assert item["payload"]["preview_path"] == f"/aim/preview/{tid}"

    decide_maker(server, tid, "XIAOMI", "rejected", "blurry image")  # still under review: nothing pushed
    sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tid, body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tid, body=UpdatePersonalTemplateStateDataRequest(tpl_state=1)))
    t = listed(sdk, tpl_id=tid).templates[0]
    assert t.audit_state == 1 and [(f.factory_type, f.state) for f in t.factory_info] == [("HuaWei", 2), ("OPPO", 2), ("XiaoMi", 0)]

    decide_maker(server, tid, "HUAWEI", "approved", "looks good")
    first = receiver.wait_for(lambda got: len(got) >= 1)[0]
    assert first.json() == {"tpl_id": tid, "tpl_state": 1, "audit_state": 2, "audit_desc": "looks good",
                            "factory_info": [{"factory_type": "HuaWei", "state": 1}, {"factory_type": "OPPO", "state": 2},
                                             {"factory_type": "XiaoMi", "state": 0}]}
    assert first.header("content-type").startswith("application/json")
    t = listed(sdk, tpl_id=tid).templates[0]
    assert (t.audit_state, t.audit_desc) == (2, "looks good")

    decide_maker(server, tid, "OPPO", "rejected", "no OPPO")  # a later per-maker change is pushed
    second = receiver.wait_for(lambda got: len(got) >= 2)[1]
    assert second.json()["audit_state"] == 2
    assert second.json()["factory_info"] == [{"factory_type": "HuaWei", "state": 1}, {"factory_type": "OPPO", "state": 0},
                                             {"factory_type": "XiaoMi", "state": 0}]
    assert len(receiver.accepted) == 2


def test_rejection_by_every_maker(server: Server, sdk, receiver):
    register_status_url(sdk, receiver.url("/status"))
    tid = create(sdk, sample_request("StandardImageAndText", ("HUAWEI", "OPPO")))
    decide_maker(server, tid, "HUAWEI", "rejected", "title unclear")
    decide_maker(server, tid, "OPPO", "rejected", "image too small")
    body = receiver.wait_for(lambda got: len(got) >= 1)[0].json()
    assert body == {"tpl_id": tid, "tpl_state": 1, "audit_state": 3, "audit_desc": "HUAWEI: title unclear; OPPO: image too small",
                    "factory_info": [{"factory_type": "HuaWei", "state": 0}, {"factory_type": "OPPO", "state": 0}]}
    t = listed(sdk, tpl_id=tid).templates[0]
    assert (t.audit_state, t.audit_desc) == (3, "HUAWEI: title unclear; OPPO: image too small")


def test_auto_approve_tenant_and_the_cli(server: Server):
    creds = server.create_tenant(settings={"auto_approve": True})
    sdk = server.sdk(creds)
    tid = create(sdk, sample_request("Video", ("HUAWEI", "VIVO")))
    t = listed(sdk, tpl_id=tid).templates[0]
    assert t.audit_state == 2 and {f.state for f in t.factory_info} == {1}

    plain = server.create_tenant()
    other = server.sdk(plain)
    tid = create(other, sample_request("Video", ("HUAWEI", "VIVO")))
    queue = server.cli_json("review", "list", "--object-type", "aim_template", "--object-id", tid)
    review_id = queue["reviews"][0]["review_id"]
    server.cli("review", "approve", review_id, "--party", "VIVO")
    t = listed(other, tpl_id=tid).templates[0]
    assert t.audit_state == 2 and [(f.factory_type, f.state) for f in t.factory_info] == [("HuaWei", 2), ("VIVO", 1)]
    shown = server.cli_json("aim", "templates", "--tenant", plain.name)
    assert [x["tpl_id"] for x in shown["templates"]] == [tid]
    one = server.cli_json("aim", "show", tid)
    assert (one["tenant_id"], one["card_id"], one["deleted"]) == (plain.tenant_id, "Video", False) and json.loads(one["pages"])
    swept = server.cli_json("aim", "sweep")
    assert swept["day"] and swept["purged"] == 0  # ran now, or the server's sweeper already ran today


def test_the_demo_tenant_has_an_approved_card(server: Server):
    demo = server.sdk(server.demo)
    mine = listed(demo, tpl_type="private", tpl_name="Demo offer card").templates
    assert len(mine) == 1 and (mine[0].card_id, mine[0].audit_state, mine[0].tpl_state) == ("StandardImageAndText", 2, 1)
    assert server.bootstrap["aim"]["tpl_id"] == mine[0].tpl_id
