"""The virtual phone in real headless Chromium: what a person sees on the
handset after SDK sends, the list refreshing itself, and a reply reaching the
application's uplink address."""

from __future__ import annotations

import random

import httpx
import pytest
from playwright.sync_api import expect

from tests.api.send_support import ready_sender, send, wait_final
from tests.support.harness import Server
from tests.support.receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 460, "height": 860}, locale="en-US", timezone_id="UTC")
    yield context.new_page()
    context.close()


def fresh_number() -> str:
    # An ordinary handset (not in the sandbox's magic 170 block), unique per test run.
    return f"139{random.randrange(10**8):08d}"


def test_the_handset_shows_its_messages_newest_first_and_replies(server: Server, page, artifacts):
    with Receiver() as rx:
        sender = ready_sender(server, uplink=rx.url("/uplink"))
        number = fresh_number()
        first = send(sender.sdk, sender.code_tpl, [number], ["204816"]).result[0].msg_id
        wait_final(server, sender.creds, first)
        second = send(sender.sdk, sender.notice_tpl, ["+86" + number], ["王女士"]).result[0].msg_id
        wait_final(server, sender.creds, second)

        page.goto(f"{server.url}/phone/{number}")
        expect(page.locator("#number")).to_have_text("+86" + number)
        bubbles = page.locator("#messages li.msg")
        expect(bubbles).to_have_count(2)
        # Newest first, like a handset's list: sender port, 【signature】, text, status.
        top, below = bubbles.nth(0), bubbles.nth(1)
        expect(top.locator(".from")).to_have_text(sender.channel_num)
        expect(top.locator(".text")).to_have_text(f"【{sender.signature_name}】尊敬的王女士，您的订单已发货。")
        expect(top.locator(".status")).to_have_text("Delivered")
        expect(below.locator(".text")).to_have_text(f"【{sender.signature_name}】您的验证码是204816，5分钟内有效。")
        expect(below.locator(".status")).to_have_text("Delivered")
        expect(top.locator("time")).not_to_be_empty()

        # A message sent while the page is open appears without a reload.
        # (The notice template: a second code within a minute would hit the frequency limit.)
        result = send(sender.sdk, sender.notice_tpl, [number], ["李先生"]).result[0]
        assert result.send_status == "000000"
        wait_final(server, sender.creds, result.msg_id)
        expect(bubbles).to_have_count(3, timeout=15_000)
        expect(bubbles.nth(0).locator(".text")).to_contain_text("尊敬的李先生")
        page.screenshot(path=str(artifacts / "virtual-phone.png"), full_page=True)

        # Reply: the default recipient is the port the handset heard from.
        expect(page.locator("input[name=to]")).to_have_value(sender.channel_num)
        page.locator("textarea[name=text]").fill("好的，收到 👍")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("status")).to_have_text("Reply sent")
        # The reply shows in the list as the handset's own message, newest first.
        mine = page.locator("#messages li.msg.mine")
        expect(mine).to_have_count(1)
        expect(bubbles.nth(0)).to_have_class("msg mine")
        expect(mine.locator(".from")).to_have_text(f"To {sender.channel_num}")
        expect(mine.locator(".text")).to_have_text("好的，收到 👍")
        expect(mine.locator(".status")).to_have_text("Sent")
        page.screenshot(path=str(artifacts / "virtual-phone-replied.png"), full_page=True)

        (uplink,) = rx.wait_for(lambda reqs: len(reqs) >= 1, timeout=30)
        form = uplink.form()
        assert form["body"] == "好的，收到 👍"
        assert form["to"] == sender.channel_num
        assert form["from"] == "+86" + number
        assert form["smsMsgId"] and form["createTime"].endswith("Z")


def test_a_bad_reply_is_explained_on_the_page(server: Server, page):
    number = fresh_number()
    page.goto(f"{server.url}/phone/{number}")
    expect(page.get_by_text("No messages yet")).to_be_visible()
    page.locator("input[name=to]").fill("not-a-port")
    page.locator("textarea[name=text]").fill("hello")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Reply not sent")
    # What the person typed is kept for another try.
    expect(page.locator("textarea[name=text]")).to_have_value("hello")


def test_a_reply_to_a_number_no_application_owns_says_so(server: Server, page):
    number = fresh_number()
    page.goto(f"{server.url}/phone/{number}")
    page.locator("input[name=to]").fill("10659999999")
    page.locator("textarea[name=text]").fill("anyone there?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Reply sent")
    mine = page.locator("#messages li.msg.mine")
    expect(mine.locator(".text")).to_have_text("anyone there?")
    expect(mine.locator(".status")).to_have_text("Sent · no application owns this number")


def test_not_a_number(server: Server, page):
    response = page.goto(f"{server.url}/phone/hello")
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("is not a phone number")


def test_the_list_fragment_is_html_for_the_refresh(server: Server):
    r = httpx.get(f"{server.url}/phone/{fresh_number()}/messages")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "No messages yet" in r.text
