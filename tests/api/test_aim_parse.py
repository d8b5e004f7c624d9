"""Parses over real HTTP: an SMS carrying a link reaches the virtual phone
through the sandbox; a capable handset resolves it once (however often the
phone shows it), a browser opening the card page never parses, a wrong
signature does not resolve, a group link stops at its resolving_times; the
shortchain receipt is checked field by field at a real receiver; the
template report counts exposures, clicks and resolves."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from huaweicloudsdkkoomessage.v1 import (
    ListAimResolveDetailsRequest,
    ListAimTemplateReportsRequest,
    ListAimTemplateReportsRequestBody,
    VariableAttributes,
)

from tests.api.links_support import FEATURE_PHONE, PARCEL, individual, number_of, plain_template, resolve_task
from tests.api.send_support import Sender, ready_sender, send, wait_final
from tests.api.sms_support import file_filing, koo_error, make_template
from tests.api.test_callbacks_delivery import register
from tests.support.harness import Server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

LINK_SMS = "您的包裹已到，详情 ${1}"


@pytest.fixture
def sender(server: Server) -> Sender:
    s = ready_sender(server)
    file_filing(server, s.creds, area="aim.short_link")  # auto-approved
    s.link_tpl = make_template(s.sdk, s.signature_id, content=LINK_SMS,  # type: ignore[attr-defined]
                               variables=[VariableAttributes(variable_index=1, variable_type="NEWTEXT", variable_desc="link")])
    return s


def deliver(server: Server, s: Sender, number: str, aim_url: str) -> str:
    msg_id = send(s.sdk, s.link_tpl, [number], [aim_url]).result[0].msg_id  # type: ignore[attr-defined]
    assert wait_final(server, s.creds, msg_id)["status"] == "delivered"
    return msg_id


def phone_list(server: Server, number: str) -> str:
    r = httpx.get(f"{server.url}/phone/{number}/messages")
    assert r.status_code == 200
    return r.text


def shortchains(rx: Receiver) -> list:
    return [r for r in rx.accepted if r.json().get("callback_type") == "shortchain"]


def detail(s: Sender, task_id: str):
    got = s.sdk.list_aim_resolve_details(ListAimResolveDetailsRequest(task_id=task_id, offset=0, limit=10))
    return got.resolve_details


def metered(server: Server, s: Sender) -> int:
    return server.cli_json("messages", "stats", "--tenant", s.creds.name)["metered"]["aim.parse"]


def report(s: Sender, tpl_id: str, **kw):
    now = datetime.now(UTC)
    body = ListAimTemplateReportsRequestBody(tpl_ids=[tpl_id], begin_time=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                             end_time=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"), **kw)
    return s.sdk.list_aim_template_reports(ListAimTemplateReportsRequest(body=body))


def test_capable_phone_parses_once_and_the_receipt_matches(server: Server, sender: Sender):
    number = number_of("HUAWEI")
    with Receiver() as rx:
        register(sender.sdk, rx.url("/single"), 0)
        task = individual(sender.sdk, [number], signs=[sender.signature_name])
        link = task.params[0]
        deliver(server, sender, number, link.aim_url)
        first = phone_list(server, number)
        assert f"客户{number[-4:]}" in first and "SF1234567890" in first and 'data-kind="aim"' in first and "Show original" in first
        for _ in range(3):  # the phone's refresh and reloads show the same card
            assert f"客户{number[-4:]}" in phone_list(server, number)
        assert httpx.get(f"{server.url}/phone/{number}").status_code == 200
        wait_until(lambda: shortchains(rx), 15, what="the shortchain receipt")
        (d,) = detail(sender, task.task_id)
        assert (d.resolved_status, d.cust_flag) == ("success", number) and d.resolved_time
        assert metered(server, sender) == 1
        got = shortchains(rx)
        assert len(got) == 1  # plain SMS receipts (callback_type sms) arrive too
        envelope = got[0].json()
        assert set(envelope) == {"request_id", "domain_id", "callback_type", "body", "retry"}
        assert (envelope["callback_type"], envelope["retry"], envelope["domain_id"]) == ("shortchain", False, sender.creds.tenant_id)
        assert isinstance(envelope["body"], str)
        body = json.loads(envelope["body"])
        assert body == {"task_id": task.task_id, "cust_flag": number, "tpl_id": PARCEL, "aim_url": link.aim_url, "aim_code": link.aim_code,
                        "status": 0, "describe": "success"}
        # A browser opening the link is an exposure, never a parse.
        page = httpx.get(f"{server.url}/s/{link.aim_code}")
        assert page.status_code == 200 and f"客户{number[-4:]}" in page.text
        assert metered(server, sender) == 1 and len(shortchains(rx)) == 1


def test_a_wrong_signature_does_not_resolve(server: Server, sender: Sender):
    number = number_of("HUAWEI")
    task = individual(sender.sdk, [number], signs=["另一个签名"])
    deliver(server, sender, number, task.params[0].aim_url)
    html = phone_list(server, number)
    assert "sms_signs" in html and "Show original" not in html and task.params[0].aim_url in html
    (d,) = detail(sender, task.task_id)
    assert d.resolved_status == "fail" and metered(server, sender) == 0


def test_an_incapable_phone_shows_the_link_and_parses_nothing(server: Server, sender: Sender):
    task = individual(sender.sdk, [FEATURE_PHONE], signs=[sender.signature_name])
    deliver(server, sender, FEATURE_PHONE, task.params[0].aim_url)
    html = phone_list(server, FEATURE_PHONE)
    assert re.search(r'<a class="aim-link" href="http://[^"]+/s/' + task.params[0].aim_code, html) and "cannot show cards" in html
    assert detail(sender, task.task_id)[0].resolved_status == "unresolved"


def gateway(server: Server, aim_url: str, mobile: str, sign: str, message_id: str) -> dict:
    with server.admin() as c:
        r = c.post("/admin/v1/aim/resolves", json={"aim_url": aim_url, "mobile": mobile, "sms_sign": sign, "message_id": message_id})
    assert r.status_code == 200, r.text
    return r.json()


def test_group_link_stops_at_resolving_times_through_the_gateway(server: Server, sender: Sender):
    tpl = plain_template(sender.sdk)
    task = resolve_task(sender.sdk, tpl, [{"cust_flag": "campaign"}], code_type="group", times=2, signs=[sender.signature_name])
    url = task.params[0].aim_url
    a, b, c = (number_of("HUAWEI") for _ in range(3))
    first = gateway(server, url, a, sender.signature_name, "m-1")
    assert first["status"] == 0 and "Your offer is here" in first["card_html"]
    assert gateway(server, url, a, sender.signature_name, "m-1")["repeated"] is True  # the same message again
    assert gateway(server, url, b, sender.signature_name, "m-2")["status"] == 0
    third = gateway(server, url, c, sender.signature_name, "m-3")
    assert third["status"] == 4 and "resolving_times" in third["describe"]
    assert gateway(server, url, number_of("OPPO"), sender.signature_name, "m-4")["status"] == 4  # exhausted first
    assert metered(server, sender) == 2
    unknown = gateway(server, "127.0.0.1:1/s/zzzzzzzz", a, sender.signature_name, "m-5")
    assert unknown["status"] == 1


def test_reports_count_exposures_clicks_and_resolves(server: Server, sender: Sender):
    number = number_of("HUAWEI")
    task = individual(sender.sdk, [number], signs=[sender.signature_name])
    code = task.params[0].aim_code
    assert gateway(server, task.params[0].aim_url, number, sender.signature_name, "r-1")["status"] == 0
    browsers = [httpx.Client(base_url=server.url) for _ in range(2)]
    for client in browsers:
        assert client.get(f"/s/{code}").status_code == 200
    for client in browsers:
        r = client.post(f"/s/{code}/events", json={"events": [{"kind": "expose"}, {"kind": "click", "component": "button#4:OPEN_URL"}]})
        assert r.json() == {"stored": 2}
    browsers[0].post(f"/s/{code}/events", json={"events": [{"kind": "click", "component": "button#4:OPEN_URL"}, {"kind": "bogus"}]})
    phone = httpx.post(f"{server.url}/s/{code}/events", json={"number": "86" + number, "events": [{"kind": "expose"}]})
    assert phone.json() == {"stored": 1}
    stranger = httpx.post(f"{server.url}/s/{code}/events", json={"number": "8613000000000", "events": [{"kind": "expose"}]})
    assert stranger.status_code == 403
    (row,) = report(sender, PARCEL).template_reports
    assert (row.expose_pv, row.expose_uv, row.click_pv, row.click_uv, row.resolving_times) == (3, 3, 3, 2, 1)
    assert row.start_time.endswith("T00:00:00Z") and row.end_time.endswith("T23:59:59Z")
    # The browsers' handset (the link's number) is a HUAWEI: a maker filter keeps or drops everything.
    assert report(sender, PARCEL, factory_type=["huawei"]).template_reports[0].expose_pv == 3
    assert report(sender, PARCEL, factory_type=["oppo"]).template_reports == []
    for client in browsers:
        client.close()


def test_report_limits(server: Server, sender: Sender):
    body = ListAimTemplateReportsRequestBody(tpl_ids=[PARCEL], begin_time="2026-01-01T00:00:00Z", end_time="2026-04-02T00:00:00Z")
    exc = koo_error(lambda: sender.sdk.list_aim_template_reports(ListAimTemplateReportsRequest(body=body)))
    assert exc.status_code == 400 and "end_time" in exc.error_msg and "90 days" in exc.error_msg
    body = ListAimTemplateReportsRequestBody(tpl_ids=[str(i) for i in range(101)], begin_time="2026-01-01T00:00:00Z", end_time="2026-01-02T00:00:00Z")
    exc = koo_error(lambda: sender.sdk.list_aim_template_reports(ListAimTemplateReportsRequest(body=body)))
    assert "tpl_ids" in exc.error_msg and "100" in exc.error_msg


def test_the_template_must_be_active_at_the_handsets_maker(server: Server, sender: Sender):
    from huaweicloudsdkkoomessage.v1 import UpdatePersonalTemplateStateDataRequest, UpdatePersonalTemplateStateRequest

    task = individual(sender.sdk, [number_of("OPPO"), number_of("XIAOMI")], signs=[sender.signature_name])
    oppo, xiaomi = task.params  # the parcel card is active at HUAWEI and XIAOMI only
    refused = gateway(server, oppo.aim_url, oppo.cust_flag, sender.signature_name, "k-1")
    assert refused["status"] == 6 and "maker" in refused["describe"] and "card_html" not in refused
    assert gateway(server, xiaomi.aim_url, xiaomi.cust_flag, sender.signature_name, "k-2")["status"] == 0
    # A template disabled after its links were made: they no longer parse.
    tpl = plain_template(sender.sdk, ("HUAWEI",))
    group = resolve_task(sender.sdk, tpl, [{"cust_flag": "g"}], code_type="group", times=5, signs=[sender.signature_name])
    sender.sdk.update_personal_template_state(UpdatePersonalTemplateStateRequest(tpl_id=tpl, body=UpdatePersonalTemplateStateDataRequest(tpl_state=0)))
    assert gateway(server, group.params[0].aim_url, number_of("HUAWEI"), sender.signature_name, "k-3")["status"] == 6
    assert metered(server, sender) == 1


def test_card_page_redirects_explains_and_slows_guessing(server: Server, sender: Sender):
    with server.admin() as c:
        assert c.post("/admin/v1/aim/domains", json={"name": "landing.example.com", "kind": "landing"}).status_code == 200
    task = resolve_task(sender.sdk, PARCEL, [{"cust_flag": number_of("HUAWEI"), "dync_params": {"name": "a", "waybill": "b", "courier": "c", "eta": "d"},
                                              "custom_url": "https://landing.example.com/p?id=7"}], signs=[sender.signature_name])
    code = task.params[0].aim_code
    r = httpx.get(f"{server.url}/s/{code}", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (302, "https://landing.example.com/p?id=7") and "tdv=" in r.headers["set-cookie"]
    assert report(sender, PARCEL).template_reports[0].expose_pv == 1  # counted on the redirect
    with httpx.Client(base_url=server.url) as browser:
        unknown = browser.get("/s/Zz9Zz9Zz")
        assert unknown.status_code == 404 and "Link not found" in unknown.text and "Traceback" not in unknown.text
        statuses = [browser.get(f"/s/Nope{i:04d}").status_code for i in range(30)]
    assert statuses[0] == 404 and 429 in statuses  # 20 guesses, then one a second
    # Another client from the same address is limited too.  The bucket refills one a second, so on a
    # loaded machine one of these may find a token (404) before the next is refused.
    limited = next((r for r in (httpx.get(f"{server.url}/s/Nope9{i:03d}") for i in range(10)) if r.status_code != 404), None)
    assert limited is not None and limited.status_code == 429 and "Too many tries" in limited.text and limited.headers["retry-after"]
    assert httpx.get(f"{server.url}/s/{code}", follow_redirects=False).status_code == 302  # known codes are not limited


def _expire(server: Server, code: str) -> None:
    """Move a link's expiry into the past in the server's database (validity is whole days)."""
    import asyncio

    from sqlalchemy import update
    from sqlalchemy.ext.asyncio import create_async_engine

    from tidings.store.models.aim import AimLink

    async def go() -> None:
        engine = create_async_engine(server.db_url)
        async with engine.begin() as conn:
            await conn.execute(update(AimLink).where(AimLink.code == code).values(expires_at=datetime(2020, 1, 1)))
        await engine.dispose()

    asyncio.run(go())


def test_an_expired_link_neither_shows_nor_parses(server: Server, sender: Sender):
    number = number_of("HUAWEI")
    task = individual(sender.sdk, [number], signs=[sender.signature_name])
    link = task.params[0]
    _expire(server, link.aim_code)
    page = httpx.get(f"{server.url}/s/{link.aim_code}")
    assert page.status_code == 410 and "Link expired" in page.text
    outcome = gateway(server, link.aim_url, number, sender.signature_name, "e-1")
    assert outcome["status"] == 2 and "expired" in outcome["describe"]
    assert detail(sender, task.task_id)[0].resolved_status == "fail" and metered(server, sender) == 0
