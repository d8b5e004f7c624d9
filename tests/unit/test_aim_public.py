"""The shipped public templates: at least the twelve scenarios of issue 23,
each a valid create request with shipped pictures and variable examples."""

from __future__ import annotations

import re

import pytest

from tidings.aim import public
from tidings.aim.layouts import IMAGE_RATES
from tidings.aim.render import render_card

SCENARIOS = {
    "parcel on its way", "appointment reminder", "bill due", "payment received", "order confirmed", "coupon",
    "event invitation", "flight itinerary", "train ticket", "account security alert", "service outage notice", "survey",
}  # fmt: skip


def test_the_library_covers_the_scenarios_with_distinct_ids():
    lib = public.library()
    assert len(lib) >= 12
    assert {t.scenario for t in lib.values()} >= SCENARIOS
    assert all(re.fullmatch(r"9000000\d\d", tpl_id) for tpl_id in lib)


@pytest.mark.parametrize("tpl_id", sorted(public.library()))
def test_each_public_card_renders_with_its_examples_and_pictures(tpl_id):
    tpl = public.library()[tpl_id]
    assert tpl.request.params and all(p.example for p in tpl.request.params)
    html = str(render_card(tpl.pages, tpl.examples, public.asset_url))
    assert "${" not in html, "every variable has an example"
    pictures = re.findall(r'(?:src|data-pic)="(/aim/public/[a-z0-9-]+\.png)"', html)
    assert pictures, "each public card has sample pictures"
    for url in pictures:
        assert public.asset("pub-" + url.rsplit("/", 1)[1][:-4]) is not None


def test_shipped_pictures_are_small_pngs_with_a_known_rate():
    files = sorted(public.HERE.glob("*.png"))
    assert files
    for path in files:
        width, height = public.png_size(path)
        assert path.stat().st_size < 20_000
        assert any(public.rules.rate_matches(width, height, rate, public.RATE_TOLERANCE) for rate in IMAGE_RATES), path.name


def test_a_public_template_passes_the_tenant_rules():
    body = dict(public.library()["900000001"].body)
    with pytest.raises(public.LibraryError, match="opt-out"):
        public.check({**body, "sms_example": "", "pages": [{"page_order": 1, "contents": [
            c | ({"content": "x"} if c.get("position_number") == 5 else {}) for c in body["pages"][0]["contents"]]}]})
    contents = [dict(c) for c in body["pages"][0]["contents"]]
    contents[0]["src"] = "pub-nonexistent"
    with pytest.raises(public.LibraryError, match="pub-nonexistent does not exist"):
        public.check({**body, "pages": [{"page_order": 1, "contents": contents}]})
    contents[0]["src"] = "pub-appointment"  # 16:9 where the banner needs 3:1
    with pytest.raises(public.LibraryError, match="threeToOne"):
        public.check({**body, "pages": [{"page_order": 1, "contents": contents}]})


def test_asset_names_cannot_leave_the_folder():
    for bad in ("pub-../__init__", "pub-/etc/passwd", "pub-", "parcel-banner", "pub-Parcel-Banner"):
        assert public.asset(bad) is None
    assert public.asset_url("pub-parcel-banner") == "/aim/public/parcel-banner.png"


def test_the_preview_resolves_only_the_tenants_live_materials():
    from tidings.aim.preview import resolver

    resolve = resolver({"709865109224830123": "/aim/materials/709865109224830123"})
    assert resolve("709865109224830123") == "/aim/materials/709865109224830123"
    assert resolve("123456789012345678") is None  # another tenant's, recycled or unknown
    assert resolve("pub-parcel-banner") == "/aim/public/parcel-banner.png"
    assert resolve("pub-nothing") is None
    assert resolve("https://cdn.example.com/a.png") == "https://cdn.example.com/a.png"
    assert resolve("javascript:alert(1)") is None
