"""Smart messages on the handset, in real headless Chromium: a recipient's
link opens the card page with that recipient's values, clicks on its
components reach the template report; the virtual phone of a capable number
shows the card natively and toggles to the original SMS and back, an
incapable one shows the link, which opens the card page.  Screenshots under
var/test-artifacts/aim-delivery."""

from __future__ import annotations

import httpx
import pytest
from huaweicloudsdkkoomessage.v1 import ListResolveTasksRequest, VariableAttributes
from playwright.sync_api import expect

from tests.api.links_support import FEATURE_PHONE, PARCEL, individual, number_of
from tests.api.send_support import ready_sender
from tests.api.sms_support import file_filing, make_template
from tests.api.test_aim_parse import LINK_SMS, deliver, report
from tests.support.harness import Server
from tests.support.wait import wait_until

pytestmark = pytest.mark.browser

# Clicks are counted by the beacon's capture listener; the page then stays
# put (no network outside the server here) instead of following the link.
STAY = """document.addEventListener('click', function (e) {
  var a = e.target.closest && e.target.closest('.tc-card a[href]');
  if (a) e.preventDefault();
});"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 460, "height": 900}, locale="zh-CN", timezone_id="UTC")
    context.add_init_script(STAY)
    yield context.new_page()
    context.close()


@pytest.fixture
def sent(server: Server):
    s = ready_sender(server)
    file_filing(server, s.creds, area="aim.short_link")
    s.link_tpl = make_template(s.sdk, s.signature_id, content=LINK_SMS,  # type: ignore[attr-defined]
                               variables=[VariableAttributes(variable_index=1, variable_type="NEWTEXT", variable_desc="link")])
    capable = number_of("HUAWEI")
    task = individual(s.sdk, [capable, FEATURE_PHONE], signs=[s.signature_name])
    links = {p.cust_flag: p for p in task.params}
    for number in (capable, FEATURE_PHONE):
        deliver(server, s, number, links[number].aim_url)
    return s, capable, links


def test_recipient_link_shows_their_values_and_clicks_reach_the_report(server: Server, page, sent, artifacts):
    s, _, links = sent
    out = artifacts / "aim-delivery"
    out.mkdir(parents=True, exist_ok=True)
    link = links[FEATURE_PHONE]
    page.goto(f"{server.url}/s/{link.aim_code}")
    expect(page.locator("#card .tc-card")).to_be_visible()
    expect(page.locator("#card")).to_contain_text(f"客户{FEATURE_PHONE[-4:]}")
    expect(page.locator("#card")).to_contain_text("SF1234567890")
    page.screenshot(path=str(out / "card-page.png"), full_page=True)
    buttons = page.locator("#card .tc-button")
    expect(buttons).to_have_count(2)
    buttons.nth(0).click()
    buttons.nth(1).click()
    page.locator("#card .tc-image").first.click()
    page.evaluate("window.tidingsBeacon.flush(false)")

    def counted():
        rows = report(s, PARCEL).template_reports
        return rows and rows[0].click_pv >= 3 and rows[0].expose_pv >= 1 and rows[0]
    row = wait_until(counted, 15, what="the clicks in the template report")
    assert (row.click_pv, row.click_uv, row.expose_uv) == (3, 1, 1)
    # A reload is another exposure of the same browser, still no parse.
    page.reload()
    expect(page.locator("#card .tc-card")).to_be_visible()
    page.evaluate("window.tidingsBeacon.flush(false)")
    row = wait_until(lambda: (r := report(s, PARCEL).template_reports[0]).expose_pv >= 2 and r, 15, what="the second exposure")
    assert (row.expose_pv, row.expose_uv, row.resolving_times) == (2, 1, 0)


def test_virtual_phone_toggles_card_and_original(server: Server, page, sent, artifacts):
    s, capable, links = sent
    out = artifacts / "aim-delivery"
    out.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server.url}/phone/{capable}")
    item = page.locator("li[data-kind=aim]").first
    card, original, toggle = item.locator(".aim-card-box"), item.locator(".aim-original"), item.locator("[data-toggle]")
    expect(card).to_contain_text(f"客户{capable[-4:]}")
    expect(original).to_be_hidden()
    page.screenshot(path=str(out / "phone-card.png"), full_page=True)
    toggle.click()
    expect(original).to_be_visible()
    expect(original).to_contain_text(links[capable].aim_url)
    expect(card).to_be_hidden()
    expect(toggle).to_have_text("Show card")
    # The list refreshes itself; the choice survives it.
    page.wait_for_function("document.getElementById('messages').dataset.last !== undefined", timeout=15000)
    expect(page.locator("li[data-kind=aim] .aim-original").first).to_be_visible()
    page.screenshot(path=str(out / "phone-original.png"), full_page=True)
    page.locator("li[data-kind=aim] [data-toggle]").first.click()
    expect(page.locator("li[data-kind=aim] .aim-card-box").first).to_be_visible()
    # Drawn once: the phone's refreshes were not parses.
    details = httpx.get(f"{server.url}/phone/{capable}/messages")
    assert details.status_code == 200
    assert s.sdk.list_resolve_tasks(ListResolveTasksRequest(cust_flag=capable)).resolve_tasks[0].params[0].resolved_times == 1


def test_incapable_phone_opens_the_card_page(server: Server, page, sent, artifacts):
    _, _, links = sent
    page.goto(f"{server.url}/phone/{FEATURE_PHONE}")
    anchor = page.locator("li[data-kind=aim] a.aim-link").first
    expect(anchor).to_have_text(links[FEATURE_PHONE].aim_url)
    expect(page.locator("li[data-kind=aim] .aim-note").first).to_contain_text("cannot show cards")
    with page.expect_popup() as popup:
        anchor.click()
    card_page = popup.value
    expect(card_page.locator("#card")).to_contain_text(f"客户{FEATURE_PHONE[-4:]}")
    card_page.screenshot(path=str(artifacts / "aim-delivery" / "feature-phone-card-page.png"), full_page=True)
