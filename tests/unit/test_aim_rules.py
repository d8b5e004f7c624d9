"""The smart-message template rules, layouts and the stored pages (pure)."""

from __future__ import annotations

import copy
import re

import orjson
import pytest

from tests.support.harness import SHARED
from tidings.aim import pages, rules
from tidings.aim.layouts import CANVAS_WIDTH, IMAGE_RATES, LAYOUTS, MAKERS
from tidings.aim.requests import CreateTemplate
from tidings.aim.samples import sample_request


def check(body: dict) -> rules.Checked:
    return rules.check_create(CreateTemplate.model_validate(body))


def refused(body: dict) -> rules.Refusal:
    with pytest.raises(rules.Refusal) as info:
        check(body)
    return info.value


def first(body: dict, kind: str, page: int = 0) -> dict:
    return next(c for c in body["pages"][page]["contents"] if c["type"] == kind)


def test_there_are_29_layouts_and_the_matrix_is_the_contracts():
    assert len(LAYOUTS) == 29
    table = (SHARED / "koomessage" / "cards.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (`[^|]+`) \| [^|]+ \|((?: [x ]* \|){6})", table, re.MULTILINE)
    seen = set()
    for ids, marks in rows:
        cells = [c.strip() for c in marks.strip().strip("|").split("|")]
        makers = tuple(m for m, c in zip(MAKERS, cells, strict=False) if c == "x")
        for card_id in re.findall(r"`([A-Za-z0-9]+)`", ids):
            seen.add(card_id)
            assert LAYOUTS[card_id].makers == makers, card_id
    assert seen == set(LAYOUTS) - {"ShortVideoImage"}  # the matrix omits it (see layouts.py)


@pytest.mark.parametrize("card_id", list(LAYOUTS))
def test_every_layout_has_boxes_inside_its_canvas_and_a_valid_sample(card_id):
    layout = LAYOUTS[card_id]
    for slot in layout.slots:
        assert slot.x >= 0 and slot.x + slot.w <= CANVAS_WIDTH and slot.y >= 0 and slot.y + slot.h <= layout.height
        assert (slot.image_rate in IMAGE_RATES) if slot.kind in ("image", "video") else slot.max_len > 0
    checked = check(sample_request(card_id, layout.makers))
    assert checked.makers == layout.makers and checked.params == ("${name}",)


def test_a_maker_that_does_not_show_the_layout_is_refused_naming_both():
    body = sample_request("PureText", ("HUAWEI",))
    body["factorys"].append({"factory_type": "xiaomi", "state": 1})
    err = refused(body)
    assert err.code == rules.LAYOUT_MAKER and "XIAOMI" in err.message and "PureText" in err.message
    body["factorys"][-1]["state"] = 0  # listed but not chosen: fine
    assert check(body).factory_states == {"HUAWEI": 1, "XIAOMI": 0}


def test_makers_are_read_in_any_case_once_each_and_one_must_be_chosen():
    body = sample_request("StandardImageAndText")
    body["factorys"] = [{"factory_type": "HuaWei", "state": 1}, {"factory_type": "HUAWEI", "state": 1}]
    assert "given twice" in refused(body).message
    body["factorys"] = [{"factory_type": "HONOR", "state": 1}]
    assert "factorys[0].factory_type" in refused(body).message
    body["factorys"] = [{"factory_type": "OPPO", "state": 0}]
    assert refused(body).code == rules.EMPTY


@pytest.mark.parametrize("maker, action, ok", [
    ("OPPO", "DIAL_PHONE", False), ("OPPO", "OPEN_QUICK", True), ("VIVO", "OPEN_EMAIL", False), ("VIVO", "OPEN_MAP", False),
    ("VIVO", "DIAL_PHONE", True), ("MEIZU", "VIEW_PIC", False), ("SAMSUNG", "OPEN_SCHEDULE", False), ("SAMSUNG", "VIEW_PIC", False),
    ("HUAWEI", "VIEW_PIC", True), ("XIAOMI", "OPEN_EMAIL", True),
])
def test_per_maker_action_rules(maker, action, ok):
    actions = {
        "DIAL_PHONE": {"target": "+8613800000000"}, "OPEN_QUICK": {"target": "hap://app/com.example/page"},
        "OPEN_EMAIL": {"target": "a@example.com", "subject": "Hi", "body": "Hello"},
        "OPEN_MAP": {"target": "Office", "address": "1 Road", "longitude": "113.94", "latitude": "22.54"},
        "VIEW_PIC": {"target": "https://cdn.example.com/big.png"},
        "OPEN_SCHEDULE": {"target": "Meeting", "description": "Q3", "begin_time": "2026-12-01 10:00:00", "end_time": "2026-12-01 11:00:00"},
    }
    body = sample_request("StandardImageAndText", (maker,))
    button = first(body, "button")
    button["action_type"], button["action"] = action, actions[action]
    if ok:
        check(body)
    else:
        err = refused(body)
        assert err.code == rules.ACTION_MAKER and maker in err.message and action in err.message


@pytest.mark.parametrize("action_type, action, words", [
    ("OPEN_URL", {"target": "http://plain.example.com"}, "HTTPS"),
    ("OPEN_URL", {"target": "https://e.com/" + "a" * 1000}, "at most 1000"),
    ("DIAL_PHONE", {"target": "1" * 21}, "at most 20"),
    ("OPEN_SMS", {"target": "10086"}, "body"),
    ("OPEN_EMAIL", {"target": "a@example.com", "subject": "s" * 101, "body": "b"}, "subject"),
    ("OPEN_SCHEDULE", {"target": "T", "description": "d", "begin_time": "2026-12-01", "end_time": "2026-12-01 11:00:00"}, "yyyy-MM-dd HH:mm:ss"),
    ("OPEN_SCHEDULE", {"target": "T", "description": "d", "begin_time": "2026-12-02 10:00:00", "end_time": "2026-12-01 11:00:00"}, "before"),
    ("OPEN_MAP", {"target": "P", "address": "a", "longitude": "200", "latitude": "1"}, "longitude"),
    ("OPEN_POPUP", {"target": "t" * 31, "content": "c", "text_button": "OK"}, "at most 30"),
    ("OPEN_POPUP", {"target": "T", "content": "c", "text_button": "OK", "mode": 1}, "mode"),
    ("OPEN_POPUP", {"target": "T", "content": "c"}, "text_button"),
    ("COPY_PARAMETER", {"target": "c" * 21}, "at most 20"),
    ("OPEN_APP", {"target": "app://x"}, "package_name"),
    ("OPEN_QUICK", {"target": "https://not-a-quick-app"}, "hap://"),
    ("DIAL_PHONE", {"target": "${name}"}, "no dynamic parameters"),
])
def test_the_action_table(action_type, action, words):
    body = sample_request("StandardImageAndText")
    button = first(body, "button")
    button["action_type"], button["action"] = action_type, action
    err = refused(body)
    assert "pages[0].contents[" in err.message and words in err.message


def test_open_app_floor_types_per_maker():
    body = sample_request("StandardImageAndText", ("HUAWEI", "OPPO"))
    button = first(body, "button")
    button["action_type"], button["action"] = "OPEN_APP", {"target": "app://x", "package_name": "com.example", "floor_type": 2}
    assert "floor_url" in refused(body).message  # OPPO with floor 2 needs a floor_url
    button["action"]["floor_url"] = "https://www.example.com/app"
    check(body)
    button["action"]["floor_type"] = 3
    assert refused(body).code == rules.ACTION_MAKER
    body["factorys"] = [{"factory_type": "HUAWEI", "state": 1}]
    button["action"]["floor_type"], button["action"]["floor_url"] = 1, "http://plain.example.com"
    assert "floor_type 2" in refused(body).message


def test_slots_positions_kinds_titles_limits_and_required():
    body = sample_request("StandardImageAndText")
    body["pages"][0]["contents"][0]["position_number"] = 42
    assert "42 is not one of them" in refused(body).message
    body = sample_request("StandardImageAndText")
    body["pages"][0]["contents"][0]["type"] = "video"
    assert "is a image" in refused(body).message or "is a image" in refused(body).message
    body = sample_request("StandardImageAndText")
    body["pages"][0]["contents"].pop(0)
    err = refused(body)
    assert err.code == rules.EMPTY and "position 1" in err.message
    body = sample_request("StandardImageAndText")
    text = next(c for c in body["pages"][0]["contents"] if c["position_number"] == 3)
    text["content"] = "x" * 81
    assert "at most 80 characters" in refused(body).message
    text["content"], text["is_text_title"] = "fine", "true"
    assert "is not the title" in refused(body).message
    body = sample_request("StandardImageAndText", ("OPPO",))
    title = next(c for c in body["pages"][0]["contents"] if c.get("is_text_title") == "true")
    title["content"] = "Hi ${name}, " + "t" * 20
    assert "OPPO shows at most 24" in refused(body).message
    body = sample_request("StandardImageAndText")
    body["pages"][0]["contents"].append(dict(body["pages"][0]["contents"][0]))
    assert "already used" in refused(body).message


def test_carousels_take_at_most_5_images_and_pages_per_layout():
    body = sample_request("CarouselSquareImage")
    image = first(body, "image")
    for pos in range(2, 6):
        body["pages"][0]["contents"].append({**copy.deepcopy(image), "position_number": pos})
    check(body)
    stored = orjson.loads(pages.to_json(CreateTemplate.model_validate(body)))
    swiper = stored[0]["content"][0]
    assert swiper["type"] == "swiper" and len(swiper["swiper"]["swiperArr"]) == 5
    body["pages"][0]["contents"].append({**copy.deepcopy(image), "position_number": 6, "type": "image"})
    assert "position 6" in refused(body).message  # a sixth image has no slot
    body = sample_request("StandardImageAndText")
    body["pages"].append({**copy.deepcopy(body["pages"][0]), "page_order": 2})
    assert "takes 1 page" in refused(body).message
    slides = sample_request("Carousel")
    assert len(slides["pages"]) == 2 and check(slides)
    slides["pages"][1]["page_order"] = 3
    assert "page_order" in refused(slides).message


def test_forbidden_characters_and_runs_of_spaces_anywhere():
    for bad in ("a<b", "a>b", "a&b", "a  b"):
        body = sample_request("StandardImageAndText")
        body["scene"] = bad[:10]
        assert refused(body).field == "scene"
    body = sample_request("StandardImageAndText")
    first(body, "button")["action"]["target"] = "https://e.com/?a=1&b=2"
    assert refused(body).field.endswith("action.target")


def test_use_id_test_wording():
    body = sample_request("StandardImageAndText", name="test card")
    assert "use_id 1" in refused(body).message
    body["use_id"] = 2
    assert "main title" in refused(body).message
    title = next(c for c in body["pages"][0]["contents"] if c.get("is_text_title") == "true")
    title["content"] = "测试 ${name}"
    check(body)
    body["tpl_name"] = "plain card"
    assert refused(body).field == "tpl_name"


def test_opt_out_text_is_required():
    body = sample_request("StandardImageAndText")
    body["sms_example"] = "Your card has arrived"
    assert refused(body).code == rules.OPT_OUT
    first(body, "text")["content"] = "Hi ${name}, reply R to unsubscribe"
    check(body)


def test_params_declared_and_used_both_ways():
    body = sample_request("StandardImageAndText")
    body["params"].append({"type": 1, "name": "${city}", "example": "Paris"})
    err = refused(body)
    assert err.code == rules.PARAMS and "${city}" in err.message and "used nowhere" in err.message
    body = sample_request("StandardImageAndText")
    body["params"] = []
    assert "does not declare" in refused(body).message
    body = sample_request("StandardImageAndText")
    body["params"][0]["name"] = "name"
    assert "must be ${name}" in refused(body).message
    body = sample_request("StandardImageAndText")
    first(body, "text")["content"] = "Hi ${name"
    assert "malformed" in refused(body).message
    body = sample_request("StandardImageAndText")
    first(body, "image")["src"] = "https://cdn.example.com/${name}.png"
    assert "cannot take dynamic parameters" in refused(body).message


def test_vivo_needs_signatures_and_a_typed_sms_template():
    body = sample_request("StandardImageAndText", ("VIVO",))
    check(body)
    for key, value, words in [
        ("sms_signs", [], "sms_signs"), ("sms_template", None, "sms_template"),
        ("sms_template", "Dear [文本1-100] 拒收请回复R", "min <= max <= 99"),
        ("sms_template", "Dear [文本x] 拒收请回复R", "must look like"),
        ("sms_template", "x" * 300 + "[数字0-71]", "at most 370"),
        ("sms_signs", ["【Tidings】"], "without its brackets"),
    ]:
        bad = copy.deepcopy(body)
        bad[key] = value
        err = refused(bad)
        assert words in err.message, (key, value, err.message)
    assert rules.sms_template_length("ab[文本0-20]c[数字0-4]") == 3 + 24


def test_sources_urls_material_references_and_vivo_pixels():
    body = sample_request("StandardImageAndText", ("HUAWEI", "VIVO"), sources={"sixteenToNine": "700000000000000001"})
    refs = check(body).materials
    assert [(r.resource_id, r.kind, r.image_rate, r.vivo_min) for r in refs] == [("700000000000000001", "image", "sixteenToNine", (1088, 612))]
    ref = refs[0]
    facts = rules.MaterialFacts("image", "sixteenToNine", 1920, 1080, False)
    assert rules.check_material(ref, facts) is None
    assert "does not exist" in rules.check_material(ref, None).message
    assert "does not exist" in rules.check_material(ref, rules.MaterialFacts("image", "sixteenToNine", 1920, 1080, True)).message
    assert "image_rate oneToOne" in rules.check_material(ref, rules.MaterialFacts("image", "oneToOne", 1920, 1080, False)).message
    assert "a video" in rules.check_material(ref, rules.MaterialFacts("video", None, 0, 0, False)).message
    assert "1088x612" in rules.check_material(ref, rules.MaterialFacts("image", "sixteenToNine", 800, 450, False)).message
    body = sample_request("StandardImageAndText")
    first(body, "image")["src"] = "ftp://cdn.example.com/x.png"
    assert "http(s) URL" in refused(body).message
    body = sample_request("Video")
    first(body, "video").pop("cover")
    assert "cover" in refused(body).message


def test_layout_specific_fields():
    body = sample_request("ShortVideo")
    first(body, "video").pop("ratio")
    assert "ratio" in refused(body).message
    body = sample_request("EcommerceCouponVertical")
    next(c for c in body["pages"][0]["contents"] if c["position_number"] == 7).pop("button_type")
    assert "button_type" in refused(body).message
    body = sample_request("StandardImageAndText")
    first(body, "image")["oppo_background"] = "https://cdn.example.com/bg.png"
    assert "vendor backgrounds" in refused(body).message
    body = sample_request("RedPacket", ("HUAWEI", "OPPO"))
    body["sub_type"] = 2
    assert "HUAWEI only" in refused(body).message
    body["sub_type"] = 7
    assert "must be one of 1, 2" in refused(body).message
    body = sample_request("PureText")
    body["sub_type"] = 1
    assert "takes no sub_type" in refused(body).message


def test_stored_pages_put_each_slot_at_its_box_and_keep_params():
    req = CreateTemplate.model_validate(sample_request("StandardImageAndText"))
    stored = orjson.loads(pages.to_json(req))
    layout = LAYOUTS["StandardImageAndText"]
    assert stored[0]["style"] == {"width": "342px", "height": f"{layout.height}px", "opacity": 1}
    assert stored[0]["cardId"] == layout.editor_id
    for item in stored[0]["content"]:
        slot = layout.slot(item["position"])
        assert (item["x"], item["y"], item["w"], item["h"], item["type"]) == (slot.x, slot.y, slot.w, slot.h, slot.kind)
    title = next(i for i in stored[0]["content"] if i.get("title") == "true")
    assert "${name}" in title["text"]
    button = next(i for i in stored[0]["content"] if i["type"] == "button")
    assert button["event"]["action"] == "OPEN_BROWSER" and button["event"]["target"].startswith("https://")


@pytest.mark.parametrize("card_id, component", [
    ("ECImageAndText", "eCommerce"), ("CardVoucher", "cardVoucher"), ("CardVouchers", "cardVouchers"), ("Ecommerce", "moreGoods"),
    ("PlaneTrip", "ticketImage"), ("Carousel", "sideslip"), ("CarouselTitle", "sideslip"), ("CarouselImageSixteenToNine", "swiper"),
])
def test_composite_layouts_get_their_editor_component(card_id, component):
    stored = orjson.loads(pages.to_json(CreateTemplate.model_validate(sample_request(card_id))))
    assert stored[0]["content"][0]["type"] == component
    if component == "sideslip":
        assert len(stored) == 1 and len(stored[0]["content"][0]["list"]) == 2


def test_material_ids_are_kept_for_the_renderer():
    req = CreateTemplate.model_validate(sample_request("Video", sources={"video": "700000000000000002", "sixteenToNine": "700000000000000003"}))
    video = next(i for i in pages.build(req)[0]["content"] if i["type"] == "video")
    assert video["srcType"] == 1 and video["resourceId"] == "700000000000000002" and video["coverResourceId"] == "700000000000000003"


def test_image_rate_tolerance():
    assert rules.rate_matches(1920, 1080, "sixteenToNine", 0.02)
    assert rules.rate_matches(1000, 1010, "oneToOne", 0.02)
    assert not rules.rate_matches(1000, 1100, "oneToOne", 0.02)


def test_the_docs_show_the_slot_table_of_the_code():
    from pathlib import Path

    from tidings.aim.layouts import slot_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "smart-messages.md").read_text(encoding="utf-8")
    assert slot_table() in docs, "run `tidings aim layouts` and paste the table into docs/smart-messages.md"


def test_the_wire_literals_are_the_layout_tables():
    from typing import get_args

    from tidings.aim.requests import CardId, ImageRate, Maker

    assert get_args(CardId) == tuple(LAYOUTS) and get_args(ImageRate) == tuple(IMAGE_RATES) and get_args(Maker) == MAKERS


def test_visible_0_hides_only_where_the_layout_honours_it():
    body = sample_request("StandardImageAndText")
    first(body, "text")["visible"] = 0
    stored = pages.build(CreateTemplate.model_validate(body))
    assert all(item["visible"] for item in stored[0]["content"])
    body = sample_request("PlaneTrip")
    next(c for c in body["pages"][0]["contents"] if c["position_number"] == 8)["visible"] = 0
    stored = pages.build(CreateTemplate.model_validate(body))
    button = next(item for item in stored[0]["content"] if item.get("position") == 8)
    assert button["visible"] is False
