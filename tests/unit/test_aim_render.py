"""The card renderer against the editor format: the upstream example, every
component type, every action, escaping, styles and the resolver."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from tests.unit.card_fixtures import COMPONENTS, IMG, UPSTREAM_EXAMPLE, VALUES, ev, item, page
from tidings.aim import pages
from tidings.aim.layouts import LAYOUTS
from tidings.aim.render import CardError, calendar_file, css, fill, fill_url, render_card, render_document
from tidings.aim.requests import CreateTemplate
from tidings.aim.samples import sample_request


class Dom(HTMLParser):
    """Elements with their attributes and own text, enough to assert on."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, **{k: (v or "") for k, v in attrs}, "text": ""}
        self.elements.append(el)
        if tag not in {"img", "br", "input", "source"}:
            self._open.append(el)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for el in self._open:
            el["text"] += data

    def find(self, **attrs) -> list[dict]:
        return [e for e in self.elements if all(e.get(k) == v for k, v in attrs.items())]

    def one(self, **attrs) -> dict:
        found = self.find(**attrs)
        assert len(found) == 1, (attrs, found)
        return found[0]

    def texts(self) -> str:
        return " ".join(e["text"] for e in self.elements)


def dom(pages, values=None, resolve=None, width=None) -> Dom:
    return Dom(str(render_card(pages, values, resolve, width=width)))


def test_the_upstream_example_renders_scaled_to_the_requested_width():
    d = dom(UPSTREAM_EXAMPLE, width=230)
    card = d.one(**{"class": "tc-card"})
    assert card["data-card"] == "com.hbm.redpacket"
    # scale = 230 / 342; the outer box takes the scaled size, the page the canvas size.
    assert card["style"] == "width:230px;height:306.667px"
    assert "transform:scale(0.672515)" in d.one(**{"class": "tc-page"})["style"]
    title = d.one(**{"class": "tc-item tc-text tc-title"})
    assert title["text"] == "Up to 20 CNY phone credit"
    assert "left:0px;top:128px;width:342px;height:23px;z-index:2" in title["style"]
    assert "text-align:center" in title["style"] and "font-weight:700" in title["style"]
    button = d.one(**{"class": "tc-item tc-button"})
    assert (button["tag"], button["href"], button["target"]) == ("a", "https://www.example.com/promo", "_blank")
    assert button["text"] == "Claim now"
    images = [e["src"] for e in d.find(tag="img")]
    # The background is drawn first, whatever its z.
    assert images == ["https://cdn.example.com/redpacketBg.png", "https://cdn.example.com/logo.jpg"]
    assert d.one(tag="a", href="https://www.example.com/promo", **{"class": "tc-item tc-image"})


def test_without_a_width_the_card_keeps_its_canvas_size():
    card = dom(UPSTREAM_EXAMPLE).one(**{"class": "tc-card"})
    assert card["style"] == "width:342px;height:456px"


@pytest.mark.parametrize("kind", sorted(COMPONENTS))
def test_every_component_type_draws_its_texts_and_pictures(kind):
    d = dom(page(COMPONENTS[kind]), VALUES)
    wrapper = [e for e in d.elements if e.get("class", "").startswith("tc-item")]
    assert wrapper, f"{kind} drew nothing"
    expected = {
        "text": (["Hello Wang"], []),
        "button": (["Open Wang"], []),
        "image": ([], [IMG + "banner.png"]),
        "video": ([], []),
        "swiper": ([], [IMG + "s1.png", IMG + "s2.png", IMG + "s3.png"]),
        "sideslip": (["Slide one", "First body", "Buy", "Slide two", "More"], [IMG + "p1.png", IMG + "p2.png"]),
        "eCommerce": (["¥", "99.00", "199.00", "Running shoes", "Light and fast, for Wang", "Details", "Buy now"],
                      [IMG + "g1.png", IMG + "g2.png"]),
        "cardVoucher": (["20", "Coffee coupon", "Over 100", "Code SAVE20", "Valid until 2026-12-31", "Copy code"], [IMG + "logo.png"]),
        "cardVouchers": (["Your coupons", "10", "满50可用", "8.5", "Any store", "Online only", "Use", "Get"], []),
        "moreGoods": (["Picked for you", "3 items", "Teapot", "¥59", "Porcelain", "Cups", "¥29", "Buy"],
                      [IMG + "icon.png", IMG + "m1.png", IMG + "m2.png"]),
        "ticketImage": (["CA1234", "08:05", "Beijing PEK", "10:55", "Shanghai SHA", "Gate", "C12",
                         "Boarding closes 20 minutes before departure"], [IMG + "airline.png"]),
    }[kind]  # fmt: skip
    texts = d.texts()
    for text in expected[0]:
        assert text in texts, (kind, text)
    assert [e["src"] for e in d.find(tag="img")] == expected[1]


def test_video_has_its_source_poster_and_controls():
    video = dom(page(COMPONENTS["video"])).one(tag="video")
    assert (video["src"], video["poster"]) == (IMG + "clip.mp4", IMG + "cover.jpg")
    assert "controls" in video


def test_swiper_dots_autoplay_and_slide_actions():
    d = dom(page(COMPONENTS["swiper"]))
    swiper = d.one(**{"class": "tc-item tc-swiper"})
    assert (swiper["data-autoplay"], swiper["data-loop"]) == ("1", "1")
    assert len(d.find(tag="i")) == 3
    assert d.one(tag="a", **{"class": "tc-slide"})["href"] == "https://a.example.com/1"


def test_sideslip_image_height_follows_the_proportion():
    d = dom(page(COMPONENTS["sideslip"]))
    first = d.find(**{"class": "tc-sl-img"})[0]
    assert first["style"] == "height:117px"  # 208 * 9 / 16


def test_hidden_items_and_hidden_coupons_are_not_drawn():
    hidden = item("text", text="secret", visible=False)
    assert "secret" not in str(render_card(page(hidden, COMPONENTS["text"]), VALUES))
    assert "Hidden one" not in str(render_card(page(COMPONENTS["cardVouchers"])))


def test_template_text_and_values_are_escaped():
    evil = item("text", text='<script>alert(1)</script> ${name}')
    html = str(render_card(page(evil), {"name": '<img src=x onerror="alert(2)">'}))
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html


def test_variables_fill_texts_and_urls():
    assert fill("Hi ${name}, ${missing}", {"name": "Li"}) == "Hi Li, ${missing}"
    assert fill_url("https://x.example.com/o/${order}?u=${name}", VALUES) == "https://x.example.com/o/A%201%262?u=Wang"
    # A placeholder that is the whole target is a whole URL.
    assert fill_url("${link}", {"link": "https://y.example.com/a?b=1"}) == "https://y.example.com/a?b=1"
    d = dom(page(COMPONENTS["button"]), VALUES)
    assert d.one(tag="a")["href"] == "https://shop.example.com/o/A%201%262"


def test_styles_keep_only_safe_properties_and_values():
    assert css({"color": "#fff", "fontSize": 14, "opacity": 0.5, "fontWeight": "700"}) == (
        "color:#fff;font-size:14px;opacity:0.5;font-weight:700"
    )
    assert css({"backgroundColor": "red;position:fixed"}) == ""
    assert css({"backgroundColor": "url(x.png)"}) == ""
    assert css({"color": 'red" onclick="x'}) == ""
    assert css({"position": "fixed", "backgroundImage": "x", "color": "expression(alert(1))"}) == ""


def _action(event: dict, values=VALUES, resolve=None) -> dict:
    return dom(page(item("button", text="go", event=event)), values, resolve).one(**{"class": "tc-item tc-button"})


def test_navigation_actions_are_links_with_web_schemes_only():
    assert _action(ev("OPEN_URL", "https://h5.example.com/${name}"))["href"] == "https://h5.example.com/Wang"
    browser = _action(ev("OPEN_BROWSER", "http://site.example.com"))
    assert (browser["href"], browser["target"]) == ("http://site.example.com", "_blank")
    for bad in ("javascript:alert(1)", "data:text/html,x", "${evil}"):
        inert = _action(ev("OPEN_URL", bad), {"evil": "javascript:alert(1)"})
        assert inert["tag"] == "div" and "href" not in inert and inert["data-action"] == "OPEN_URL"


def test_phone_sms_and_mail_actions():
    assert _action(ev("DIAL_PHONE", "${phone}"), {"phone": "+86 95588"})["href"] == "tel:%2B86%2095588".replace("%2B", "+")
    assert _action(ev("OPEN_SMS", "10086", body="CXLL ${name}"))["href"] == "sms:10086?body=CXLL%20Wang"
    mail = _action(ev("OPEN_EMAIL", "help@example.com", subject="Order ${order}", body="Hi"))
    assert mail["href"] == "mailto:help@example.com?subject=Order%20A%201%262&body=Hi"


def test_calendar_action_is_an_ics_file():
    el = _action(ev("OPEN_SCHEDULE", "Dentist ${name}", description="Bring card", beginTime="2026-12-03 09:30:00",
                    endTime="2026-12-03 10:00:00"))  # fmt: skip
    assert el["download"] == "event.ics"
    assert el["href"].startswith("data:text/calendar;charset=utf-8,")
    ics = unquote(el["href"].split(",", 1)[1])
    for line in ("BEGIN:VEVENT", "SUMMARY:Dentist Wang", "DTSTART:20261203T093000", "DTEND:20261203T100000",
                 "DESCRIPTION:Bring card", "END:VCALENDAR"):  # fmt: skip
        assert line in ics.split("\r\n")
    assert "SUMMARY:a\\, b\\; c" in calendar_file("a, b; c", "", "", "")


def test_map_action_links_to_the_place():
    el = _action(ev("OPEN_MAP", "Head office", address="1 Main St", latitude="30.25", longitude="120.16"))
    assert el["href"] == "https://www.openstreetmap.org/?mlat=30.25&mlon=120.16#map=17/30.25/120.16"
    assert el["data-geo"] == "geo:30.25,120.16?q=30.25,120.16(Head%20office)"
    by_name = _action(ev("OPEN_MAP", "Head office", address="1 Main St"))
    assert by_name["href"] == "https://www.openstreetmap.org/search?query=Head%20office%201%20Main%20St"


def test_popup_copy_and_picture_viewer_carry_their_data():
    popup = _action(ev("OPEN_POPUP", "Notice", content="Shop closes at ${time}", txtButton="Got it"), {"time": "9pm"})
    assert (popup["role"], popup["data-title"], popup["data-content"], popup["data-button"]) == (
        "button", "Notice", "Shop closes at 9pm", "Got it")
    copy = _action(ev("COPY_PARAMETER", "${code}"))
    assert (copy["data-action"], copy["data-copy"]) == ("COPY_PARAMETER", "SAVE20")
    pic = _action(ev("VIEW_PIC", "mat-1"), resolve=lambda src: f"/m/{src}")
    assert (pic["href"], pic["data-pic"]) == ("/m/mat-1", "/m/mat-1")
    # An image without a big picture of its own shows itself larger.
    image = dom(page(item("image", src=IMG + "a.png", event=ev("VIEW_PIC", "")))).one(tag="a")
    assert image["data-pic"] == IMG + "a.png"


def test_app_and_quick_app_actions_have_floor_urls():
    app = _action(ev("OPEN_APP", "shop://item/${order}", packageNames="com.example.shop", floorType=1,
                     floorUrl="https://shop.example.com/item"))  # fmt: skip
    assert (app["href"], app["data-floor"], app["data-package"]) == (
        "shop://item/A%201%262", "https://shop.example.com/item", "com.example.shop")
    market = _action(ev("OPEN_APP", "shop://x", packageNames="com.example.shop"))
    assert market["data-floor"] == "market://details?id=com.example.shop"
    quick = _action(ev("OPEN_QUICK", "hap://app/com.example.quick/page?id=1"))
    assert (quick["href"], quick["data-floor"]) == (
        "hap://app/com.example.quick/page?id=1", "https://hapjs.org/app/com.example.quick/page?id=1")
    assert "href" not in _action(ev("OPEN_APP", "javascript:alert(1)", packageNames="p"))


def test_materials_go_through_the_resolver():
    pages = page(item("image", src="1234567890abcdef"), item("image", src="unknown"), item("image", src="evil"))
    resolved = {"1234567890abcdef": "/aim/preview/1/m/1234567890abcdef", "evil": "javascript:alert(1)"}
    d = dom(pages, resolve=resolved.get)
    assert [e["src"] for e in d.find(tag="img")] == ["/aim/preview/1/m/1234567890abcdef"]
    assert len(d.find(**{"class": "tc-missing"})) == 2
    # Without a resolver only web URLs are shown.
    assert not dom(pages).find(tag="img")


def test_pages_that_are_not_a_card_are_refused():
    for bad in ("not json", "[]", "{}", "[1]"):
        with pytest.raises(CardError):
            render_card(bad)


def test_the_document_inlines_the_assets_and_escapes_its_texts():
    html = render_document(render_card(UPSTREAM_EXAMPLE), title="<T>", lead="SMS <1>", details={"tpl_id": "123"})
    assert "&lt;T&gt;" in html and "SMS &lt;1&gt;" in html
    assert ".tc-card{" in html and "window.tidingsCard" in html
    assert "Claim now" in html


@pytest.mark.parametrize("card_id", sorted(LAYOUTS))
def test_the_stored_pages_of_every_layout_render(card_id):
    """pages.py's output for each layout's sample request: the title with its
    value, every image and every button of the request on the card."""
    req = CreateTemplate.model_validate(sample_request(card_id))
    d = dom(pages.to_json(req), {"name": "Wang"}, width=360)
    texts = d.texts()
    first = sorted(req.pages, key=lambda p: p.page_order)[0]
    for content in first.contents:
        if content.type in ("text", "button") and content.content:
            assert fill(content.content, {"name": "Wang"}) in texts, (card_id, content.position_number)
    shown_src = {e["src"] for e in d.find(tag="img")} | {e.get("poster", "") for e in d.find(tag="video")}
    shown_src |= {e.get("src", "") for e in d.find(tag="video")}
    for content in first.contents:
        if content.type in ("image", "video"):
            assert content.src in shown_src, (card_id, content.position_number)
    # A sideslip draws every page as a slide; other layouts show the first page.
    shown_pages = req.pages if LAYOUTS[card_id].component == "sideslip" else [first]
    wired = [c for p in shown_pages for c in p.contents if c.action_type]
    assert len(d.find(**{"data-action": "OPEN_BROWSER"})) == len(wired), card_id
