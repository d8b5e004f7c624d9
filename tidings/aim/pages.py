"""From a create request's ``contents`` to the stored editor-format ``pages``
(cards.md §4): a JSON **string** of pages whose components sit absolutely at
their slot's box on the layout's design canvas (:mod:`tidings.aim.layouts`).

``${name}`` parameters stay in the texts and targets for the renderer to fill.
Sources keep what the request gave: ``srcType`` 1 with the ``aim_resource_id``
in ``src`` (and ``resourceId``), or ``srcType`` 2 with the URL; the renderer
resolves material ids.  Layouts with a composite editor component (swiper,
sideslip, eCommerce, cardVoucher, cardVouchers, moreGoods, ticketImage) get
that component in the shape §5 describes; every other slot becomes a plain
text, button, image or video component.
"""

from __future__ import annotations

from typing import Any

import orjson

from tidings.aim.layouts import CANVAS_WIDTH, IMAGE_RATES, LAYOUTS, Layout, Slot
from tidings.aim.requests import Action, Content, CreateTemplate

TITLE_STYLE = {"color": "#191919", "fontSize": "16px", "fontWeight": "700", "textAlign": "left"}
TEXT_STYLE = {"color": "#595959", "fontSize": "14px", "textAlign": "left"}
BUTTON_STYLE = {"backgroundColor": "#0a59f7", "color": "#ffffff", "borderRadius": "20px", "fontSize": "14px"}

# action field -> editor event field (cards.md §4 ``event``); the last three are Tidings'.
_EVENT_FIELDS = {
    "floor_type": "floorType", "floor_url": "floorUrl", "package_name": "packageNames", "subject": "subject", "body": "body",
    "content": "content", "description": "description", "latitude": "latitude", "longitude": "longitude",
    "text_button": "txtButton", "mode": "mode", "address": "address", "begin_time": "beginTime", "end_time": "endTime",
}


def event(action_type: str | None, action: Action | None) -> dict[str, Any]:
    if not action_type or action is None:
        return {"action": "", "target": ""}
    out: dict[str, Any] = {"action": action_type, "target": action.target}
    for name, key in _EVENT_FIELDS.items():
        value = getattr(action, name)
        if value is not None:
            out[key] = value
    if action_type in ("OPEN_URL", "OPEN_BROWSER"):
        out["navType"] = 1 if action_type == "OPEN_URL" else 2
    if action_type == "COPY_PARAMETER":
        out["copyType"] = 1
    return out


def _box(slot: Slot, z: int = 1) -> dict[str, Any]:
    return {"x": slot.x, "y": slot.y, "w": slot.w, "h": slot.h, "z": z, "angle": 0, "locked": True, "position": slot.position}


def _source(item: Content) -> dict[str, Any]:
    out: dict[str, Any] = {"src": item.src or "", "srcType": item.src_type or 2}
    if item.src_type == 1:
        out["resourceId"] = item.src
    return out


def _plain(slot: Slot, item: Content) -> dict[str, Any]:
    base = {**_box(slot, 0 if slot.background else 2), "visible": item.visible != 0, "tag": f"pos{slot.position}",
            "event": event(item.action_type, item.action)}
    if item.type == "text":
        marker = {"title": "true", "divTextAreaTitle": "true"} if slot.title else {"divTextAreaContent": "true"}
        extra = {"textOPPOLength": slot.oppo_len} if slot.oppo_len else {}
        return {"type": "text", **base, "text": item.content or "", "textMaxlength": slot.max_len, **extra, **marker,
                "style": dict(TITLE_STYLE if slot.title else TEXT_STYLE)}
    if item.type == "button":
        return {"type": "button", **base, "text": item.content or "", "maxLength": slot.max_len, "action": item.action_type or "",
                "target": item.action.target if item.action else "", "style": dict(BUTTON_STYLE),
                **({"buttonType": item.button_type} if item.button_type else {})}
    if item.type == "image":
        rw, rh = IMAGE_RATES[slot.image_rate or "oneToOne"]
        out = {"type": "image", **base, **_source(item), "proportion": [rw, rh], "style": {"borderRadius": 0}}
        if slot.background:
            out["isBgimg"] = True
            for name, key in (("oppo_background", "oppobg"), ("vivo_background", "vivobg")):
                value = getattr(item, name)
                if value:
                    out[key] = {"src": value, "srcType": item.src_type or 2, "proportion": [rw, rh], "w": slot.w, "h": slot.h}
        return out
    # video
    cover = {"cover": item.cover or "", **({"coverResourceId": item.cover} if item.src_type == 1 else {})}
    return {"type": "video", **base, **_source(item), **cover, **({"ratio": item.ratio} if item.ratio else {}), "style": {}}


def _union(slots: list[Slot]) -> dict[str, Any]:
    x0, y0 = min(s.x for s in slots), min(s.y for s in slots)
    x1, y1 = max(s.x + s.w for s in slots), max(s.y + s.h for s in slots)
    return {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0, "z": 2, "angle": 0, "locked": True, "visible": True}


def _tv(value: str | None, visible: bool = True) -> dict[str, Any]:
    return {"textValue": value or "", "visibility": visible}


def _btn(item: Content | None) -> dict[str, Any]:
    if item is None:
        return {"textValue": "", "visibility": False, "event": event(None, None)}
    return {"textValue": item.content or "", "visibility": item.visible != 0, "event": event(item.action_type, item.action)}


def _img(item: Content | None) -> dict[str, Any]:
    if item is None:
        return {"src": "", "visibility": False, "event": event(None, None)}
    return {**_source(item), "visibility": item.visible != 0, "event": event(item.action_type, item.action)}


def _composite(layout: Layout, by_pos: dict[int, Content]) -> tuple[dict[str, Any], set[int]]:
    """The layout's composite component and the positions it consumed."""
    get = by_pos.get

    def text(position: int) -> str:
        item = by_pos.get(position)
        return (item.content or "") if item else ""

    slots = list(layout.slots)
    if layout.component == "swiper":
        images = [p for p in range(1, 6) if p in by_pos]
        box = _union([s for s in slots if s.position == 1])
        item = {"type": "swiper", **box, "swiper": {"autoplay": True, "loop": True, "showIndicatorPoint": True,
                                                    "swiperArr": [_img(by_pos[p]) for p in images]}}
        return item, set(range(1, 6))
    if layout.card_id == "ECImageAndText":
        used = {1, 2, 3, 4, 5, 6}
        price = get(3)
        return {"type": "eCommerce", **_union(slots), "content": {
            "imageList": {"visibility": True, "listItem": [{"image": _img(get(1))}]},
            "video": {"visibility": False, "src": "", "cover": ""},
            "divTextArea1": {"currencyText": {"visibility": (price.currency_display if price else 1) == 1, "textValue": "¥"},
                             "text1": _tv(text(3)), "text2": _tv("", False)},
            "divTextArea2": {"textTitle": _tv(text(2)), "textContent": _tv(text(4))},
            "divButton": [_btn(get(5)), _btn(get(6))],
        }}, used
    if layout.component == "cardVoucher":
        return {"type": "cardVoucher", **_union(slots), "content": {
            "voucheType": 0,
            "divText": {"text1": _tv(text(2)), "text2": _tv(text(3)), "text3": _tv(text(4)), "text4": _tv(text(5)),
                        "text5": _tv(text(6) or text(4))},
            "divImage": _img(get(1)),
            "divButton": _btn(get(7)),
        }}, set(range(1, 8))
    if layout.component == "cardVouchers":
        coupons = []
        for k in range(4):
            amount, cond, btn = get(2 + 3 * k), get(3 + 3 * k), get(4 + 3 * k)
            if amount is None and cond is None and btn is None:
                continue
            coupons.append({"voucheType": 0, "visibility": all(i is None or i.visible != 0 for i in (amount, cond, btn)),
                            "fullMinus": {"reduction": text(2 + 3 * k), "money": text(3 + 3 * k)},
                            "discount": {"fracture": "", "money": ""},
                            "divText": {"text5": _tv(text(3 + 3 * k))}, "divButton": _btn(btn)})
        return {"type": "cardVouchers", **_union(slots), "content": {
            "divText": {"text1": _tv(text(1))}, "buttomType": 1, "divItemList": coupons}}, set(range(1, 14))
    if layout.component == "moreGoods":
        goods = []
        for k in range(3):
            ps = [3 + 4 * k + i for i in range(4)]
            if not any(p in by_pos for p in ps):
                continue
            goods.append({"visibility": all(by_pos[p].visible != 0 for p in ps if p in by_pos),
                          "divTextImage": {"image1": _img(get(ps[0]))},
                          "divTextButton": {"text4": _tv(text(ps[1])), "text5": _tv(text(ps[2])), "text7": _tv("", False),
                                            "button1": _btn(get(ps[3]))}})
        return {"type": "moreGoods", **_union(slots), "content": {
            "divheader": {"text1": _tv(text(1)), "text2": _tv(text(2), 2 in by_pos), "imageIcon": {"visibility": False}},
            "divItemList": goods}}, set(range(1, 15))
    if layout.component == "ticketImage":
        ticket_slots = [s for s in slots if s.position <= 7]
        return {"type": "ticketImage", **_union(ticket_slots), "content": {
            "divList1": {"list": [{"img": _img(get(1)), "text": _tv(text(2))}]},
            "divList2": {"list": [{"textUp": _tv(text(3)), "textDown": _tv(text(5))}]},
            "divList3": {"list": [{"textUp": _tv(text(4)), "textDown": _tv(text(6))}]},
            "divTip": {"text": _tv(text(7), 7 in by_pos)},
        }}, set(range(1, 8))
    return {}, set()


def _slide(layout: Layout, by_pos: dict[int, Content]) -> dict[str, Any]:
    image_pos = next(s.position for s in layout.slots if s.kind == "image")
    title_pos = next(s.position for s in layout.slots if s.title)
    text_pos = next(s.position for s in layout.slots if s.kind == "text" and not s.title)
    button_pos = next(s.position for s in layout.slots if s.kind == "button")
    image = by_pos.get(image_pos)
    return {**_img(image), "title": (by_pos[title_pos].content if title_pos in by_pos else "") or "",
            "content": (by_pos[text_pos].content if text_pos in by_pos else "") or "",
            "buts": [_btn(by_pos.get(button_pos))]}


def _page(layout: Layout, index: int, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"typeIndex": index, "cardId": layout.editor_id, "label": f"page {index + 1}", "tag": f"page{index + 1}",
            "style": {"width": f"{CANVAS_WIDTH}px", "height": f"{layout.height}px", "opacity": 1}, "content": content}


def _shown(layout: Layout, contents: list[Content]) -> list[Content]:
    """``visible`` 0 hides a component only on the layouts that honour it
    (Ecommerce, CardVouchers, PlaneTrip; openapi.json); elsewhere it is ignored."""
    if layout.honours_visible:
        return contents
    return [c.model_copy(update={"visible": None}) if c.visible == 0 else c for c in contents]


def build(req: CreateTemplate) -> list[dict[str, Any]]:
    layout = LAYOUTS[req.card_id]
    ordered = [page.model_copy(update={"contents": _shown(layout, page.contents)}) for page in sorted(req.pages, key=lambda p: p.page_order)]
    if layout.component == "sideslip":
        slides = [_slide(layout, {c.position_number: c for c in page.contents}) for page in ordered]
        box = _union(list(layout.slots))
        rw, rh = IMAGE_RATES["sixteenToNine"]
        return [_page(layout, 0, [{"type": "sideslip", **box, "proportionM": rh, "proportionD": rw, "contentShow": True,
                                   "list": slides}])]
    pages = []
    for index, page in enumerate(ordered):
        by_pos = {c.position_number: c for c in page.contents}
        composite, consumed = _composite(layout, by_pos)
        items = [composite] if composite else []
        for slot in layout.slots:
            if slot.position in by_pos and slot.position not in consumed:
                items.append(_plain(slot, by_pos[slot.position]))
        pages.append(_page(layout, index, items))
    return pages


def to_json(req: CreateTemplate) -> str:
    """The stored ``pages`` string of ``AIMTemplate``."""
    return orjson.dumps(build(req)).decode()
