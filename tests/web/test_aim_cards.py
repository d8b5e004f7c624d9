"""Cards in real headless Chromium: the preview page of a template of each of
the 29 layouts (materials uploaded through the SDK, variables filled with the
examples) and of each public template, in one browser session.  Asserts the
visible texts, that every picture loaded, the wired actions, and works the
pop-up, copy, picture viewer, calendar file, app floor URL and navigation.
Screenshots go to <artifacts>/aim-cards/.

Nothing leaves the machine: every *.example.com address the cards link to is
answered by the browser context itself."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from huaweicloudsdkkoomessage.v1 import ListAimTemplatesRequest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.api.aim_support import create, data_of, upload
from tests.support.harness import Server
from tidings.aim import mp4, public
from tidings.aim.layouts import IMAGE_RATES, LAYOUTS
from tidings.aim.render import fill
from tidings.aim.samples import sample_request

pytestmark = [pytest.mark.browser, pytest.mark.heavy]

EXAMPLE_SITES = re.compile(r"^https?://([a-z0-9-]+\.)*example\.com(/.*)?$")
SIZES = {"sixteenToNine": (640, 360), "oneToOne": (400, 400), "threeToOne": (600, 200), "fortyEightToSixtyFive": (480, 650),
         "threeToFour": (480, 640), "twentyOneToNine": (630, 270)}  # fmt: skip
COLOURS = [(10, 89, 247), (255, 122, 41), (22, 163, 98), (108, 72, 220), (232, 52, 12), (0, 150, 170)]


@pytest.fixture
def page(browser, server: Server):
    context = browser.new_context(viewport={"width": 420, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True)  # fmt: skip
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    context.route(EXAMPLE_SITES, lambda route: route.fulfill(status=200, content_type="text/html",
                                                             body=f"<title>landing</title><p id=landed>{route.request.url}</p>"))
    yield context.new_page()
    context.close()


def picture(rate: str, n: int) -> bytes:
    w, h = SIZES[rate]
    img = Image.new("RGB", (w, h), COLOURS[n % len(COLOURS)])
    d = ImageDraw.Draw(img)
    d.ellipse([w // 4, h // 4, 3 * w // 4, 3 * h // 4], fill=(255, 255, 255))
    d.text((12, 10), rate, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def uploaded_sources(sdk) -> dict[str, str]:
    """One image material per rate and a video with its cover, as sample_request's ``sources``."""
    sources = {rate: data_of(upload(sdk, "image", picture(rate, n), image_rate=rate, name=f"{rate}.png"))["aim_resource_id"]
               for n, rate in enumerate(IMAGE_RATES)}  # fmt: skip
    sources["video"] = data_of(upload(sdk, "video", mp4.minimal(8000, 2048), mime="video/mp4", name="clip.mp4"))["aim_resource_id"]
    return sources


def preview_url(sdk, tpl_id: str) -> str:
    return sdk.list_aim_templates(ListAimTemplatesRequest(tpl_id=tpl_id)).templates[0].preview_url


def shown_contents(req: dict) -> list[dict]:
    """What the card shows: the first page, or every page of a horizontal swipe (one slide per page)."""
    pages = sorted(req["pages"], key=lambda p: p["page_order"])
    return [c for p in (pages if LAYOUTS[req["card_id"]].component == "sideslip" else pages[:1]) for c in p["contents"]]


def check_card(page, req: dict, values: dict[str, str], shot) -> None:
    card = page.locator("#card .tc-card")
    expect(card).to_be_visible()
    contents = shown_contents(req)
    for c in contents:
        if c["type"] in ("text", "button"):
            expect(card).to_contain_text(fill(c["content"], values).split("\n")[0])
    title = next((c for c in contents if c.get("is_text_title") == "true"), None)
    if title:
        expect(card.get_by_text(fill(title["content"], values), exact=True).first).to_be_visible()
    # Every picture loaded (through the preview's material route or the shipped files).
    images = card.locator("img")
    wanted = sum(c["type"] == "image" for c in contents)
    assert images.count() >= wanted, (req["card_id"], images.count(), wanted)
    broken = page.evaluate("""() => [...document.querySelectorAll('#card img')]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
    assert broken == [], broken
    for video in card.locator("video").all():
        for attr in ("src", "poster"):
            url = video.evaluate(f"v => v.{attr}")  # absolute
            assert url, attr
            got = page.request.get(url)
            assert got.status == 200 and got.headers["content-type"] in ("video/mp4", "image/png"), (attr, got.status)
    # Every click of the request is wired, with the kind it asked for.
    wired = sorted(c["action_type"] for c in contents if c.get("action_type"))
    drawn = sorted(a for a in card.locator("[data-action]").evaluate_all("els => els.map(e => e.dataset.action)"))
    assert drawn == wired, (req["card_id"], drawn, wired)
    for link in card.locator('[data-action="OPEN_URL"], [data-action="OPEN_BROWSER"]').all():
        assert re.match(r"^https?://", link.get_attribute("href") or "")
    assert "${" not in card.inner_text()
    card.screenshot(path=str(shot))


def test_a_template_of_every_layout_previews_as_a_card(server: Server, sdk, page, artifacts):
    folder = artifacts / "aim-cards"
    folder.mkdir(exist_ok=True)
    sources = uploaded_sources(sdk)
    values = {"name": "Alice"}
    for card_id in LAYOUTS:
        req = sample_request(card_id, sources=sources)
        tpl_id = create(sdk, req)
        page.goto(preview_url(sdk, tpl_id))
        expect(page.locator("#title")).to_have_text(req["tpl_name"])
        check_card(page, req, values, folder / f"layout-{card_id}.png")


def test_every_public_template_previews_and_its_actions_work(server: Server, sdk, page, artifacts):
    folder = artifacts / "aim-cards"
    folder.mkdir(exist_ok=True)
    for tpl in public.library().values():
        page.goto(preview_url(sdk, tpl.tpl_id))
        expect(page.locator("#lead")).to_have_text(tpl.body["sms_example"])
        check_card(page, tpl.body, tpl.examples, folder / f"public-{tpl.tpl_id}.png")
    card = page.locator("#card .tc-card")

    # Pop-up (flight): title, content and the button that closes it.
    page.goto(preview_url(sdk, "900000008"))
    card.get_by_text("行李额度").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("经济舱免费托运20公斤")
    page.screenshot(path=str(folder / "action-popup.png"))
    dialog.get_by_role("button", name="知道了").click()
    expect(dialog).to_have_count(0)

    # Copy (coupon): the filled code reaches the clipboard.
    page.goto(preview_url(sdk, "900000006"))
    card.get_by_text("复制券码").click()
    expect(page.get_by_role("status")).to_have_text("Copied: CAFE2026")
    assert page.evaluate("navigator.clipboard.readText()") == "CAFE2026"

    # Picture viewer (train): the seat map opens over the page.
    page.goto(preview_url(sdk, "900000009"))
    card.get_by_text("车厢座位图").click()
    viewer = page.locator(".tc-viewer img")
    expect(viewer).to_be_visible()
    assert viewer.evaluate("i => i.complete && i.naturalWidth") == 640
    page.screenshot(path=str(folder / "action-viewpic.png"))

    # Calendar (appointment): an .ics file with the event.
    page.goto(preview_url(sdk, "900000002"))
    with page.expect_download() as download:
        card.get_by_text("加入日历").click()
    assert download.value.suggested_filename == "event.ics"
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "SUMMARY:门诊预约" in ics and "DTSTART:20261208T093000" in ics

    # Map, phone, e-mail and SMS are plain links.
    assert card.locator("a", has_text="查看位置").get_attribute("href").startswith("https://www.openstreetmap.org/?mlat=30.2541&mlon=120.1614")
    page.goto(preview_url(sdk, "900000001"))
    assert card.locator("a", has_text="联系快递员").get_attribute("href") == "tel:95338"
    page.goto(preview_url(sdk, "900000011"))
    assert unquote(card.locator("a", has_text="短信订阅进展").get_attribute("href")) == "sms:10010?body=订阅故障进展"
    page.goto(preview_url(sdk, "900000010"))
    assert card.locator("a", has_text="邮件申诉").get_attribute("href").startswith("mailto:security@account.example.com?subject=")

    # App (bill due): no app takes the deeplink here, so the floor H5 opens.
    page.goto(preview_url(sdk, "900000003"))
    card.get_by_text("立即还款").click()
    page.wait_for_url("https://bank.example.com/bill/pay", timeout=10_000)

    # On a screen narrower than the drawn width the card shrinks to its box by the same rule.
    page.set_viewport_size({"width": 300, "height": 800})
    page.goto(preview_url(sdk, "900000010"))
    box = card.bounding_box()
    assert 250 < box["width"] <= 300 - 24 + 0.5, box
    assert abs(box["height"] - box["width"] * 372 / 342) < 1, box  # StandardImageAndText's canvas is 342x372
    assert card.locator(".tc-page").evaluate("p => p.getBoundingClientRect().width") == pytest.approx(box["width"], abs=1)
    page.set_viewport_size({"width": 420, "height": 900})

    # Navigation (parcel): the filled tracking link.
    page.goto(preview_url(sdk, "900000001"))
    card.get_by_text("查看物流").click()
    page.wait_for_url("https://express.example.com/track/SF1234567890", timeout=10_000)
