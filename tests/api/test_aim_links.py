"""Capability check and resolve tasks through the official SDK over real
HTTP: the capability registry (sandbox rule, operators' imports by API and
CLI), links minted with their per-row results, the lists and their limits."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from huaweicloudsdkkoomessage.v1 import (
    CheckMobileCapabilityRequest,
    CheckMobileCapabilityRequestBody,
    ListAimResolveDetailsRequest,
    ListResolveTasksRequest,
    UpdatePersonalTemplateStateDataRequest,
    UpdatePersonalTemplateStateRequest,
)

from tests.api.links_support import (
    FEATURE_PHONE,
    PARCEL,
    PARCEL_VALUES,
    SIGN,
    individual,
    link_tenant,
    number_of,
    plain_template,
    resolve_task,
)
from tests.api.sms_support import koo_error
from tests.support.harness import Server


def check(sdk, mobiles, tpl_id=None, alg=None):
    body = CheckMobileCapabilityRequestBody(mobiles=mobiles, tpl_id=tpl_id, encryption_alg=alg)
    return sdk.check_mobile_capability(CheckMobileCapabilityRequest(body=body))


def sha1(national: str) -> str:
    return hashlib.sha1(f"86{national}".encode()).hexdigest()


# --- capability ------------------------------------------------------------------------------------
def test_capability_keeps_order_and_spelling(server: Server, sdk):
    hw, mi = number_of("HUAWEI"), number_of("XIAOMI")
    given = [mi, "86" + hw, FEATURE_PHONE, "0086" + mi, "12345", "+86" + hw]
    got = check(sdk, given)
    assert got.supported_mobiles == [mi, "86" + hw, "0086" + mi, "+86" + hw]
    assert got.unsupported_mobiles == [FEATURE_PHONE, "12345"]
    assert got.tpl_id is None


def test_capability_with_a_template_counts_only_its_active_makers(server: Server, sdk):
    hw, mi, oppo = number_of("HUAWEI"), number_of("XIAOMI"), number_of("OPPO")
    got = check(sdk, [oppo, hw, mi], tpl_id=PARCEL)  # public: HUAWEI and XIAOMI
    assert (got.supported_mobiles, got.unsupported_mobiles, got.tpl_id) == ([hw, mi], [oppo], PARCEL)


def test_capability_by_sha1(server: Server, sdk):
    hw = number_of("HUAWEI")
    digests = [sha1(hw).upper(), sha1(FEATURE_PHONE), "not-a-digest"]
    got = check(sdk, digests, alg="SHA1")
    assert got.supported_mobiles == [digests[0]] and got.unsupported_mobiles == digests[1:]


def test_capability_limits_and_foreign_template(server: Server, sdk):
    exc = koo_error(lambda: check(sdk, [number_of(None) for _ in range(101)]))
    assert exc.status_code == 400 and "mobiles" in exc.error_msg and "100" in exc.error_msg
    other = server.sdk(link_tenant(server))
    foreign = plain_template(other)
    missing = koo_error(lambda: check(sdk, [number_of(None)], tpl_id=foreign))
    unknown = koo_error(lambda: check(sdk, [number_of(None)], tpl_id="100000000"))
    assert (missing.error_code, missing.error_msg.replace(foreign, "X")) == (unknown.error_code, unknown.error_msg.replace("100000000", "X"))


def test_operators_import_the_registry_by_api_and_cli(server: Server, sdk, tmp_path):
    hw, mi, spare = number_of("HUAWEI"), number_of("HUAWEI"), number_of("HUAWEI")
    with server.admin() as c:
        r = c.post("/admin/v1/aim/capabilities", json={"csv": f"number,maker\n{hw},none\n{sha1(mi)},vivo\n"})
        assert r.status_code == 200 and r.json() == {"imported": 2}, r.text
        bad = c.post("/admin/v1/aim/capabilities", json={"csv": f"{spare},nokia\n"})
        assert bad.status_code == 400 and "line 1" in bad.json()["error_msg"] and "nokia" in bad.json()["error_msg"]
        shown = c.get(f"/admin/v1/aim/capabilities/{mi}").json()
    assert (shown["maker"], shown["source"]) == ("VIVO", "import")
    got = check(sdk, [hw, mi, spare], tpl_id=PARCEL)
    assert got.supported_mobiles == [spare] and got.unsupported_mobiles == [hw, mi]  # hw now incapable, mi is VIVO
    csv = tmp_path / "registry.csv"
    csv.write_text(f"{hw},HuaWei\n")
    assert server.cli_json("aim", "capability", "import", str(csv)) == {"imported": 1}
    assert server.cli_json("aim", "capability", "show", hw)["maker"] == "HUAWEI"
    assert check(sdk, [hw], tpl_id=PARCEL).supported_mobiles == [hw]


# --- resolve tasks ------------------------------------------------------------------------------------
def test_individual_links_with_per_row_results(server: Server):
    creds = link_tenant(server)
    sdk = server.sdk(creds)
    a, b = number_of("HUAWEI"), number_of("XIAOMI")
    params = [
        {"cust_flag": a, "dync_params": PARCEL_VALUES},
        {"cust_flag": b, "dync_params": {"name": "x"}},  # lacks waybill, courier, eta
        {"cust_flag": a, "dync_params": PARCEL_VALUES},  # the same recipient twice
        {"cust_flag": "c-3", "dync_params": PARCEL_VALUES, "custom_url": "https://shop.example.com/p?id=1"},
    ]
    got = resolve_task(sdk, PARCEL, params)
    host = urlsplit(server.url).netloc
    assert (got.aim_code_type, got.resolving_times, got.expiration_time, got.domain, got.sms_signs) == ("individual", 1, 7, host, [SIGN])
    ok, missing, repeated, landing = got.params
    assert ok.result_code == "0" and re.fullmatch(r"[A-Za-z0-9]{8,}", ok.aim_code) and ok.aim_url == f"{host}/s/{ok.aim_code}"
    assert ok.cust_id == creds.tenant_id and ok.dync_params == PARCEL_VALUES and ok.generate_date.endswith("Z")
    assert missing.result_code == "KM.90016424" and "waybill" in missing.error_message and missing.aim_url is None
    assert repeated.result_code == "KM.90016425" and landing.result_code == "KM.90016423" and "shop.example.com" in landing.error_message
    with server.admin() as c:
        assert c.post("/admin/v1/aim/domains", json={"name": "shop.example.com", "kind": "landing"}).status_code == 200
    again = resolve_task(sdk, PARCEL, [params[3]])
    assert again.params[0].result_code == "0" and again.params[0].custom_url == "https://shop.example.com/p?id=1"
    codes = {ok.aim_code, again.params[0].aim_code}
    assert len(codes) == 2


def test_dync_params_with_a_control_character_refuse_only_their_link(server: Server):
    sdk = server.sdk(link_tenant(server))
    params = [
        {"cust_flag": "c-0", "dync_params": PARCEL_VALUES},
        {"cust_flag": "c-1", "dync_params": dict(PARCEL_VALUES, name="王\x1b[2J")},  # an escape sequence in a value
        {"cust_flag": "c-2", "dync_params": dict(PARCEL_VALUES, **{"eta\u202e": "x"})},  # a bidi override in a name
        {"cust_flag": "c-3", "dync_params": dict(PARCEL_VALUES, name="第一行\n第二行")},  # a line feed is allowed
    ]
    ok, value, name, newline = resolve_task(sdk, PARCEL, params).params
    assert ok.result_code == "0" and newline.result_code == "0" and newline.aim_code
    assert value.result_code == "KM.90016427" and "dync_params.name" in value.error_message and "U+001B" in value.error_message
    assert value.aim_url is None and value.aim_code is None
    assert name.result_code == "KM.90016427" and "U+202E" in name.error_message


def test_group_links_and_their_limits(server: Server):
    sdk = server.sdk(link_tenant(server))
    tpl = plain_template(sdk)
    got = resolve_task(sdk, tpl, [{"cust_flag": "spring-campaign"}], code_type="group", times=5, days=180)
    assert (got.resolving_times, got.expiration_time, got.params[0].result_code) == (5, 180, "0")
    refusals = {
        "resolving_times": lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}], code_type="group", times=1),
        "expiration_time": lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}], code_type="group", times=2, days=181),
        "params": lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}, {"cust_flag": "h"}], code_type="group", times=2),
        "dync_params": lambda: resolve_task(sdk, PARCEL, [{"cust_flag": "g", "dync_params": PARCEL_VALUES}], code_type="group", times=2),
    }
    for field, call in refusals.items():
        exc = koo_error(call)
        assert exc.status_code == 400 and field in exc.error_msg, (field, exc.error_msg)
    assert koo_error(refusals["params"]).error_code == "KM.90016416"
    too_many = koo_error(lambda: individual(sdk, [number_of(None) for _ in range(101)]))
    assert too_many.error_code == "KM.90016416" and "100" in too_many.error_msg
    signs = koo_error(lambda: individual(sdk, [number_of(None)], signs=["a", "b", "c", "d", "e", "f"]))
    assert signs.error_code == "KM.90016417"
    days = koo_error(lambda: individual(sdk, [number_of(None)], days=8))
    assert "expiration_time" in days.error_msg and "1-7" in days.error_msg
    kind = koo_error(lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}], code_type="broadcast"))
    assert kind.error_code == "KM.90016418"
    # Nothing of the refused requests was written.
    listed = sdk.list_resolve_tasks(ListResolveTasksRequest(limit=100))
    assert listed.page_info.total == 1


def test_custom_short_codes_on_a_registered_domain(server: Server):
    sdk = server.sdk(link_tenant(server))
    tpl = plain_template(sdk)
    custom = lambda code: resolve_task(sdk, tpl, [{"cust_flag": "g", "custom_short_code": code}], code_type="group", times=3,  # noqa: E731
                                       generation_type="2", domain="km3g.example.cn")
    exc = koo_error(lambda: custom("abc123"))
    assert exc.error_code == "KM.90016426" and "km3g.example.cn" in exc.error_msg
    with server.admin() as c:
        assert c.post("/admin/v1/aim/domains", json={"name": "km3g.example.cn", "kind": "custom"}).status_code == 200
    code = "c" + number_of(None)[-6:]
    first = custom(code).params[0]
    assert (first.result_code, first.aim_code, first.aim_url) == ("0", code, f"km3g.example.cn/s/{code}")
    second = custom(code).params[0]
    assert second.result_code == "KM.90016421" and code in second.error_message and second.aim_url is None


def test_filing_and_template_state_gate_tasks(server: Server):
    creds = server.create_tenant(settings={"auto_approve": True})
    sdk = server.sdk(creds)
    tpl = plain_template(sdk)
    exc = koo_error(lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}], code_type="group", times=2))
    assert "aim.short_link" in exc.error_msg
    ready = link_tenant(server)
    sdk = server.sdk(ready)
    tpl = plain_template(sdk)
    sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tpl, body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    disabled = koo_error(lambda: resolve_task(sdk, tpl, [{"cust_flag": "g"}], code_type="group", times=2))
    assert disabled.error_code == "KM.90016420" and "disabled" in disabled.error_msg
    foreign = koo_error(lambda: resolve_task(server.sdk(link_tenant(server)), tpl, [{"cust_flag": "g"}], code_type="group", times=2))
    unknown = koo_error(lambda: resolve_task(sdk, "100000000", [{"cust_flag": "g"}], code_type="group", times=2))
    assert foreign.error_code == unknown.error_code and foreign.error_msg.replace(tpl, "X") == unknown.error_msg.replace("100000000", "X")
    assert sdk.list_resolve_tasks(ListResolveTasksRequest()).page_info.total == 0


def test_lists_filter_and_page(server: Server):
    sdk = server.sdk(link_tenant(server))
    numbers = [number_of("HUAWEI") for _ in range(5)]
    task = individual(sdk, numbers)
    other = individual(sdk, [number_of("HUAWEI")])
    by_task = sdk.list_resolve_tasks(ListResolveTasksRequest(task_id=task.task_id, limit=2, offset=0))
    assert by_task.page_info.total == 5 and len(by_task.resolve_tasks) == 2
    row = by_task.resolve_tasks[0]
    assert row.task_id == task.task_id and row.tpl_id == PARCEL and len(row.params) == 1 and row.params[0].error_message == "-"
    assert sdk.list_resolve_tasks(ListResolveTasksRequest(cust_flag=numbers[2])).resolve_tasks[0].params[0].cust_flag == numbers[2]
    url = task.params[3].aim_url
    assert [r.params[0].aim_url for r in sdk.list_resolve_tasks(ListResolveTasksRequest(aim_url=url)).resolve_tasks] == [url]
    assert sdk.list_resolve_tasks(ListResolveTasksRequest(tpl_id=PARCEL)).page_info.total == 6
    assert sdk.list_resolve_tasks(ListResolveTasksRequest(offset=9990, limit=20)).resolve_tasks == []
    details = sdk.list_aim_resolve_details(ListAimResolveDetailsRequest(task_id=other.task_id, offset=0, limit=10))
    d = details.resolve_details[0]
    assert (d.task_id, d.tpl_id, d.tpl_name, d.cust_flag, d.resolved_status, d.result_code) == (
        other.task_id, PARCEL, "快递派送提醒", other.params[0].cust_flag, "unresolved", "0")
    assert d.aim_url == other.params[0].aim_url and d.resolve_id and d.resolved_time is None
    unresolved = sdk.list_aim_resolve_details(ListAimResolveDetailsRequest(resolved_status="unresolved", offset=0, limit=100))
    assert unresolved.page_info.total == 6
    assert sdk.list_aim_resolve_details(ListAimResolveDetailsRequest(resolved_status="success", offset=0, limit=100)).page_info.total == 0
    limit = koo_error(lambda: sdk.list_aim_resolve_details(ListAimResolveDetailsRequest(offset=0, limit=101)))
    assert limit.status_code == 400 and "limit" in limit.error_msg and "100" in limit.error_msg
    # Another tenant sees none of it.
    stranger = server.sdk(link_tenant(server))
    assert stranger.list_resolve_tasks(ListResolveTasksRequest(task_id=task.task_id)).page_info.total == 0
