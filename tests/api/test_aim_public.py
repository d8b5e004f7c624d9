"""Public templates over real HTTP: listed to every tenant through the SDK,
never changed by a tenant, managed by operators (admin API and CLI); the
preview page and its token; the rendered card in front of the reviewer."""

from __future__ import annotations

import copy
import re

import httpx
from huaweicloudsdkkoomessage.v1 import (
    DeleteAimPersonalTemplateRequest,
    ListAimTemplatesRequest,
    UpdatePersonalTemplateStateDataRequest,
    UpdatePersonalTemplateStateRequest,
)

from tests.api.aim_support import create, data_of, image_bytes, upload
from tests.api.sms_support import koo_error
from tests.support.harness import Server
from tidings.aim import public
from tidings.aim.samples import sample_request

SHIPPED = sorted(public.library())
ADMIN = "/admin/v1/aim/public-templates"


def listed_ids(sdk, **kw) -> list[str]:
    got = sdk.list_aim_templates(ListAimTemplatesRequest(limit=100, **kw))
    return [t.tpl_id for t in got.templates]


def test_every_tenant_lists_the_shipped_public_templates(server: Server, sdk):
    mine = create(sdk, sample_request("PureText"))
    public_ids = listed_ids(sdk, tpl_type="public")
    assert set(SHIPPED) <= set(public_ids) and mine not in public_ids
    everything = listed_ids(sdk)
    assert set(SHIPPED) | {mine} <= set(everything)
    assert mine in listed_ids(sdk, tpl_type="private") and not set(SHIPPED) & set(listed_ids(sdk, tpl_type="private"))
    t = sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id="900000006")).templates[0]
    # Approved and enabled at its maker, with its stored card and examples.
    assert (t.tpl_name, t.card_id, t.audit_state, t.tpl_state) == ("优惠券到账", "CardVoucher", 2, 1)
    assert [(f.factory_type, f.state) for f in t.factory_info] == [("HuaWei", 1)]
    assert '"type":"cardVoucher"' in t.pages and [p.name for p in t.params] == ["name", "value", "minimum", "expiry", "code"]


def test_a_tenant_cannot_change_or_delete_a_public_template(server: Server, sdk):
    state = koo_error(lambda: sdk.update_personal_template_state(
        UpdatePersonalTemplateStateRequest(tpl_id="900000001", body=UpdatePersonalTemplateStateDataRequest(tpl_state=0))))
    delete = koo_error(lambda: sdk.delete_aim_personal_template(DeleteAimPersonalTemplateRequest(tpl_id="900000001")))
    for exc in (state, delete):
        assert exc.status_code == 400 and exc.error_code == "KM.80040008"
        assert "public template" in exc.error_msg and "cannot be changed or deleted" in exc.error_msg
    t = sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id="900000001")).templates[0]
    assert (t.tpl_state, t.audit_state) == (1, 2)


def _operator_body() -> dict:
    body = copy.deepcopy(public.library()["900000010"].body)
    body["tpl_name"] = "新设备登录提醒"
    return body


def test_operators_add_update_retire_and_restore(server: Server, tenant, sdk):
    with server.admin() as admin:
        r = admin.post(ADMIN, json=_operator_body())
        assert r.status_code == 200, r.text
        added = r.json()
        tpl_id = added["tpl_id"]
        assert re.fullmatch(r"\d{9}", tpl_id) and not added["shipped"] and not added["retired"]
        assert tpl_id in listed_ids(sdk, tpl_type="public")

        # Refused like a tenant's create: the field and the limit, nothing written.
        bad = _operator_body()
        bad["tpl_name"] = "x" * 18
        r = admin.post(ADMIN, json=bad)
        assert r.status_code == 400 and r.json()["error_code"] == "KM.00000001" and "tpl_name" in r.json()["error_msg"]
        bad = _operator_body()
        bad["pages"][0]["contents"][0]["src"] = "pub-nothing-here"
        r = admin.put(f"{ADMIN}/{tpl_id}", json=bad)
        assert r.status_code == 400 and "pub-nothing-here does not exist" in r.json()["error_msg"]

        changed = _operator_body()
        changed["pages"][0]["contents"][1]["content"] = "账号在新设备登录了"
        r = admin.put(f"{ADMIN}/{tpl_id}", json=changed)
        assert r.status_code == 200, r.text
        t = sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id=tpl_id)).templates[0]
        assert "账号在新设备登录了" in t.pages

        r = admin.delete(f"{ADMIN}/{tpl_id}")
        assert r.status_code == 200 and r.json()["retired"]
        assert tpl_id not in listed_ids(sdk, tpl_type="public")
        assert tpl_id not in [t["tpl_id"] for t in admin.get(ADMIN).json()["templates"]]
        assert tpl_id in [t["tpl_id"] for t in admin.get(ADMIN, params={"retired": "true"}).json()["templates"]]

        r = admin.post(f"{ADMIN}/{tpl_id}/restore")
        assert r.status_code == 200 and not r.json()["retired"]
        assert tpl_id in listed_ids(sdk, tpl_type="public")

        # A shipped one comes back in its shipped version.
        shipped_change = copy.deepcopy(public.library()["900000012"].body)
        shipped_change["pages"][0]["contents"][3]["content"] = "${name}，请为我们打分"
        assert admin.put(f"{ADMIN}/900000012", json=shipped_change).status_code == 200
        r = admin.post(f"{ADMIN}/900000012/restore")
        assert r.status_code == 200 and r.json()["shipped"]
        assert r.json()["request"] == public.library()["900000012"].body

        # A tenant's template is no public template; an unknown id neither.
        mine = create(sdk, sample_request("PureText"))
        for target in (mine, "123456789"):
            r = admin.put(f"{ADMIN}/{target}", json=_operator_body())
            assert r.status_code == 400 and r.json()["error_code"] == "KM.80040007", r.text
            assert r.json()["error_msg"] == f"Public template {target} does not exist"
        # Tenants cannot reach the operator API.
        with server.http(tenant) as tenant_http:
            assert tenant_http.get(ADMIN).status_code in (401, 403)


def test_the_cli_lists_and_retires(server: Server):
    rows = server.cli_json("aim", "public", "list")
    assert set(SHIPPED) <= {r["tpl_id"] for r in rows}
    assert all("/aim/preview/" in r["preview_url"] and "?token=" in r["preview_url"] for r in rows)
    added = server.cli_json("aim", "public", "add", str(public.HERE / "03-bill-due.json"))
    assert added["tpl_name"] == "账单到期提醒" and added["tpl_id"] != "900000003"
    assert server.cli_json("aim", "public", "retire", added["tpl_id"])["retired"] is True
    missing = server.cli("aim", "public", "retire", "123456789", check=False)
    assert missing.returncode == 1 and "KM.80040007" in missing.stderr
    # Start-up installs only what has no row: a retired or changed one stays as the operator left it.
    assert server.cli_json("aim", "public", "install") == []
    assert added["tpl_id"] in {r["tpl_id"] for r in server.cli_json("aim", "public", "list", "--retired") if r["retired"]}


def test_the_preview_page_and_its_token(server: Server, sdk):
    t = sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id="900000008")).templates[0]
    url = t.preview_url
    assert url.startswith(server.url + "/aim/preview/900000008?token=")
    with httpx.Client(timeout=30) as web:
        page = web.get(url)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "X-Robots-Tag" in page.headers and page.headers["referrer-policy"] == "no-referrer"
        html = page.text
        for text in ("航班行程单", "CA1708 12月10日 已出票", "北京首都T3", "杭州萧山T4", "08:05 起飞", "在线值机"):
            assert text in html, text
        assert 'data-action="OPEN_POPUP"' in html and "https://air.example.com/checkin/NX7K2P" in html
        logo = re.search(r'src="(/aim/public/airline-logo\.png)"', html).group(1)
        picture = web.get(server.url + logo)
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
        # A wrong or missing token, another template's token and an unknown id all answer the same 404.
        token = url.split("token=")[1]
        for bad in (url[:-1] + ("A" if url[-1] != "A" else "B"), url.split("?")[0],
                    f"{server.url}/aim/preview/900000007?token={token}", f"{server.url}/aim/preview/123456789?token={token}"):
            assert web.get(bad).status_code == 404, bad
        assert web.get(server.url + "/aim/public/..%2F__init__.png").status_code == 404
        assert web.get(server.url + "/aim/public/").status_code == 404


def test_the_preview_draws_the_templates_materials(server: Server, sdk):
    rid = data_of(upload(sdk, "image", image_bytes(640, 360), image_rate="sixteenToNine"))["aim_resource_id"]
    tid = create(sdk, sample_request("StandardImageAndText", sources={"sixteenToNine": rid}))
    url = sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id=tid)).templates[0].preview_url
    with httpx.Client(timeout=30) as web:
        html = web.get(url).text
        assert f'src="/aim/materials/{rid}"' in html
        picture = web.get(f"{server.url}/aim/materials/{rid}")
        assert picture.status_code == 200 and picture.content == image_bytes(640, 360)


def test_the_reviewer_gets_the_preview_link(server: Server, sdk):
    tid = create(sdk, sample_request("Notification1"))
    with server.admin() as admin:
        items = admin.get("/admin/v1/reviews", params={"object_id": tid, "object_type": "aim_template", "state": "all"}).json()["reviews"]
        link = items[0]["links"]["preview_url"]
        shown = admin.get(f"/admin/v1/reviews/{items[0]['review_id']}").json()
    assert shown["links"]["preview_url"] == link
    cli = server.cli_json("review", "list", "--state", "all", "--object-type", "aim_template", "--object-id", tid)
    assert cli["reviews"][0]["links"]["preview_url"] == link
    assert link == sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id=tid)).templates[0].preview_url
    with httpx.Client(timeout=30) as web:
        page = web.get(link)
    assert page.status_code == 200 and "Hi Alice, offer 1" in page.text and "1 under review" in page.text
