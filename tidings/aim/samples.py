"""A valid create request for any layout, with sample texts, URLs and one
``${name}`` parameter: used by the tests, the bench and the preview checks
(one place instead of a fixture per caller)."""

from __future__ import annotations

from typing import Any

from tidings.aim.layouts import LAYOUTS, Slot

SAMPLE_IMAGE = "https://cdn.example.com/card/{rate}.png"
SAMPLE_VIDEO = "https://cdn.example.com/card/clip.mp4"
OPT_OUT_EXAMPLE = "Your card has arrived. 拒收请回复R"


def _text_for(slot: Slot, page: int) -> str:
    if slot.title:
        return f"Hi ${{name}}, offer {page + 1}"
    words = f"{slot.label.capitalize()} on card {page + 1}" if slot.max_len >= 20 else "8.8"
    return words[: slot.max_len]


def sample_request(card_id: str, makers: tuple[str, ...] | None = None, *, sources: dict[str, str] | None = None,
                   name: str | None = None) -> dict[str, Any]:
    """A request body for ``card_id`` that passes every rule.  ``sources`` maps
    an image_rate (or ``"video"``) to a material ``aim_resource_id`` to use
    ``src_type 1`` instead of sample URLs."""
    layout = LAYOUTS[card_id]
    makers = makers or layout.makers[:1]
    sources = sources or {}
    title = layout.title_slot
    param_used = title is not None and title.required  # the title says "Hi ${name}"
    pages = []
    for page in range(min(layout.max_pages, 2)):
        contents: list[dict[str, Any]] = []
        for slot in layout.slots:
            if not slot.required:
                continue
            item: dict[str, Any] = {"type": slot.kind, "position_number": slot.position}
            if slot.kind in ("text", "button"):
                item["content"] = _text_for(slot, page) if slot.kind == "text" else "Open"[: slot.max_len]
                if slot.title:
                    item["is_text_title"] = "true"
            if slot.kind in ("image", "video"):
                key = "video" if slot.kind == "video" else slot.image_rate or "oneToOne"
                if key in sources:
                    item["src_type"], item["src"] = 1, sources[key]
                else:
                    item["src_type"] = 2
                    item["src"] = SAMPLE_VIDEO if slot.kind == "video" else SAMPLE_IMAGE.format(rate=slot.image_rate)
                if slot.kind == "video":
                    cover_key = slot.image_rate or "sixteenToNine"
                    item["cover"] = sources.get(cover_key) if "video" in sources else SAMPLE_IMAGE.format(rate=cover_key)
                    if layout.video_ratio:
                        item["ratio"] = "threeToFour"
            if slot.kind in ("image", "button"):
                target = "https://www.example.com/offer"
                if not param_used:
                    target += "?u=${name}"
                    param_used = True
                item["action_type"] = "OPEN_BROWSER"
                item["action"] = {"target": target}
            if layout.button_type_position == slot.position:
                item["button_type"] = "static"
            contents.append(item)
        pages.append({"page_order": page + 1, "contents": contents})
    body: dict[str, Any] = {
        "tpl_name": (name or f"{card_id[:12]} card")[:17],
        "card_id": card_id,
        "use_id": 1,
        "scene": "marketing",
        "sms_example": OPT_OUT_EXAMPLE,
        "pages": pages,
        "params": [{"type": 1, "name": "${name}", "example": "Alice"}],
        "factorys": [{"factory_type": m, "state": 1} for m in makers],
    }
    if "VIVO" in makers:
        body["sms_signs"] = ["Tidings"]
        body["sms_template"] = "Dear [文本1-10], your card is ready: [字母1-20] 拒收请回复R"
    return body
