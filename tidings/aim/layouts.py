"""The 29 card layouts (pure data): which makers show each one, its design
canvas, and its slots.

KooMessage publishes the layouts and the layout x maker matrix (cards.md §1)
but not where each ``position_number`` sits on the card.  Tidings defines it
here, once per ``card_id``: a slot has a kind (text, image, video, button),
whether it is the card's title, its text limits, the ``image_rate`` an image
material must have, and its box on the design canvas (x, y, w, h in canvas
pixels, 342 wide like the editor's example).  ``pages.py`` places components
at these boxes; ``rules.py`` checks requests against them.  The table of slots
per layout is printed in docs/smart-messages.md (``python -m tidings.aim.layouts``).

Positions are numbered left to right, then top to bottom, as upstream says.
Image carousels take their images at positions 1..5 (one per image, at most
5); the horizontal-swipe layouts (Carousel, CarouselTitle) take one slide per
page, up to 10 pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MAKERS = ("HUAWEI", "XIAOMI", "OPPO", "VIVO", "MEIZU", "SAMSUNG")
# How the template-status callback and FactoryInfo spell the makers (callbacks.md §4).
MAKER_WIRE = {"HUAWEI": "HuaWei", "XIAOMI": "XiaoMi", "OPPO": "OPPO", "VIVO": "VIVO", "MEIZU": "MEIZU", "SAMSUNG": "SAMSUNG"}

IMAGE_RATES: dict[str, tuple[int, int]] = {
    "oneToOne": (1, 1),
    "sixteenToNine": (16, 9),
    "threeToOne": (3, 1),
    "fortyEightToSixtyFive": (48, 65),
    "twentyOneToNine": (21, 9),
    "threeToFour": (3, 4),
}

Kind = Literal["text", "image", "video", "button"]
CANVAS_WIDTH = 342


@dataclass(frozen=True, slots=True)
class Slot:
    position: int
    kind: Kind
    x: int
    y: int
    w: int
    h: int
    required: bool = True
    title: bool = False  # the card's main title (is_text_title "true")
    max_len: int = 0  # text and button characters
    oppo_len: int = 0  # OPPO shows fewer characters (0: same as max_len)
    image_rate: str | None = None  # images and video covers
    vivo_min: tuple[int, int] | None = None  # VIVO's minimum pixels for this image (cards.md §7)
    background: bool = False  # full-card background image (red packets)
    label: str = ""  # what the slot is for, shown in the docs and the editor view


@dataclass(frozen=True, slots=True)
class Layout:
    card_id: str
    name: str
    makers: tuple[str, ...]
    editor_id: str  # the editor format's internal cardId
    height: int  # design canvas height (width is CANVAS_WIDTH)
    slots: tuple[Slot, ...]
    component: str = ""  # a composite editor component (swiper, sideslip, eCommerce ...) instead of plain ones
    max_pages: int = 1
    max_images: int = 0  # image carousels: at most this many images
    sub_types: tuple[int, ...] = ()  # allowed sub_type values (empty: sub_type not used)
    huawei_only_sub_types: tuple[int, ...] = ()
    video_ratio: bool = False  # ShortVideo: the video item needs ``ratio``
    button_type_position: int = 0  # EcommerceCouponVertical: this button needs ``button_type``
    honours_visible: bool = False  # only these layouts honour ``visible`` 0
    note: str = ""
    by_position: dict[int, Slot] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_position.update({s.position: s for s in self.slots})

    def slot(self, position: int) -> Slot | None:
        return self.by_position.get(position)

    @property
    def title_slot(self) -> Slot | None:
        return next((s for s in self.slots if s.title), None)


# --- slot builders (keep the table below readable) ----------------------------------------
W = CANVAS_WIDTH
PAD = 16
INNER = W - 2 * PAD


def title(pos: int, y: int, max_len: int = 36, oppo_len: int = 24, x: int = PAD, w: int = INNER, required: bool = True) -> Slot:
    return Slot(pos, "text", x, y, w, 24, required=required, title=True, max_len=max_len, oppo_len=oppo_len, label="title")


def text(pos: int, y: int, h: int = 40, max_len: int = 60, x: int = PAD, w: int = INNER, required: bool = True, label: str = "text",
         oppo_len: int = 0) -> Slot:
    return Slot(pos, "text", x, y, w, h, required=required, max_len=max_len, oppo_len=oppo_len, label=label)


def image(pos: int, y: int, rate: str, w: int = W, x: int = 0, required: bool = True, vivo_min: tuple[int, int] | None = None,
          label: str = "image", background: bool = False) -> Slot:
    rw, rh = IMAGE_RATES[rate]
    return Slot(pos, "image", x, y, w, round(w * rh / rw), required=required, image_rate=rate, vivo_min=vivo_min, label=label,
                background=background)


def video(pos: int, y: int, rate: str = "sixteenToNine", w: int = W, vivo_min: tuple[int, int] | None = None) -> Slot:
    rw, rh = IMAGE_RATES[rate]
    return Slot(pos, "video", 0, y, w, round(w * rh / rw), image_rate=rate, vivo_min=vivo_min, label="video (cover at this rate)")


def button(pos: int, y: int, max_len: int = 9, x: int = PAD, w: int = INNER, required: bool = True, label: str = "button") -> Slot:
    return Slot(pos, "button", x, y, w, 40, required=required, max_len=max_len, label=label)


HALF = (INNER - 12) // 2


def two_buttons(first: int, y: int, second_required: bool = False) -> tuple[Slot, Slot]:
    return (button(first, y, w=HALF), button(first + 1, y, x=PAD + HALF + 12, w=HALF, required=second_required))


V169 = (1088, 612)
V11_SMALL = (320, 320)
V11_LARGE = (1088, 1088)
V4865 = (960, 1300)
V31 = (576, 192)

ALL = MAKERS
H = ("HUAWEI",)


def _carousel_images(rate: str, vivo_min: tuple[int, int]) -> tuple[Slot, ...]:
    first = image(1, 0, rate, vivo_min=vivo_min, label="carousel image 1")
    return (first,) + tuple(
        Slot(p, "image", first.x, first.y, first.w, first.h, required=False, image_rate=rate, vivo_min=vivo_min, label=f"carousel image {p}")
        for p in range(2, 6)
    )


def _carousel(card_id: str, name: str, makers: tuple[str, ...], rate: str, vivo_min: tuple[int, int],
              sub_types: tuple[int, ...] = (), huawei_only_sub_types: tuple[int, ...] = ()) -> Layout:
    images = _carousel_images(rate, vivo_min)
    y = images[0].h + 12
    slots = images + (title(6, y), text(7, y + 32, h=44, max_len=60), button(8, y + 88))
    return Layout(card_id, name, makers, f"com.hbm.carousel.{rate}", y + 140, slots, component="swiper", max_images=5,
                  sub_types=sub_types, huawei_only_sub_types=huawei_only_sub_types)


def _trip(card_id: str, name: str, makers: tuple[str, ...], editor: str) -> Layout:
    slots = (
        title(1, 16),
        text(2, 56, h=40, max_len=12, w=140, label="departure (place and time)"),
        text(3, 56, h=40, max_len=12, x=W - PAD - 140, w=140, label="arrival (place and time)"),
        text(4, 108, h=24, max_len=30, label="date and number"),
        text(5, 140, h=60, max_len=80, label="details (seat, gate, passenger)"),
        *two_buttons(6, 212),
    )
    return Layout(card_id, name, makers, editor, 268, slots)


LAYOUTS: dict[str, Layout] = {
    layout.card_id: layout
    for layout in (
        Layout("MultipleImageAndText", "multi image+text", ALL, "com.hbm.multiImageText", 460, (
            image(1, 0, "sixteenToNine", vivo_min=V169, label="main image"),
            title(2, 204),
            image(3, 240, "oneToOne", w=64, x=PAD, vivo_min=V11_SMALL, label="row image 1"),
            text(4, 240, h=64, max_len=40, x=PAD + 76, w=INNER - 76, label="row text 1"),
            image(5, 316, "oneToOne", w=64, x=PAD, required=False, vivo_min=V11_SMALL, label="row image 2"),
            text(6, 316, h=64, max_len=40, x=PAD + 76, w=INNER - 76, required=False, label="row text 2"),
            button(7, 400, required=False),
        )),
        Layout("StandardImageAndText", "image+text", ALL, "com.hbm.standardImageText", 372, (
            image(1, 0, "sixteenToNine", vivo_min=V169),
            title(2, 204),
            text(3, 236, h=64, max_len=80),
            *two_buttons(4, 316),
        )),
        Layout("PureText", "long text", ("HUAWEI", "OPPO", "SAMSUNG"), "com.hbm.pureText", 330, (
            title(1, 16),
            text(2, 52, h=200, max_len=500),
            *two_buttons(3, 272),
        )),
        Layout("VideoImageAndText", "video+image+text", ("HUAWEI", "SAMSUNG"), "com.hbm.videoImageText", 392, (
            video(1, 0, vivo_min=V169),
            image(2, 204, "oneToOne", w=64, x=PAD, label="icon"),
            title(3, 204, x=PAD + 76, w=INNER - 76),
            text(4, 236, h=40, max_len=60, x=PAD + 76, w=INNER - 76),
            *two_buttons(5, 336),
        )),
        Layout("Video", "video", ("HUAWEI", "OPPO", "VIVO", "SAMSUNG"), "com.hbm.video", 372, (
            video(1, 0, vivo_min=V169),
            title(2, 204),
            text(3, 236, h=64, max_len=80),
            *two_buttons(4, 316),
        )),
        Layout("ECImageAndText", "e-commerce", ("HUAWEI", "OPPO", "VIVO", "SAMSUNG"), "com.hbm.ecImageText", 520, (
            image(1, 0, "oneToOne", vivo_min=V11_LARGE, label="product image"),
            title(2, 354),
            text(3, 386, h=28, max_len=12, label="price"),
            text(4, 418, h=40, max_len=40, label="description"),
            *two_buttons(5, 468),
        ), sub_types=(1, 2, 3, 4, 5), huawei_only_sub_types=(2, 3, 4, 5)),
        Layout("RedPacket", "red packet", ("HUAWEI", "XIAOMI", "OPPO", "VIVO", "SAMSUNG"), "com.hbm.redpacket", 456, (
            Slot(1, "image", 0, 0, W, 456, image_rate="threeToFour", background=True, label="background (oppo_background / vivo_background allowed)"),
            image(2, 44, "oneToOne", w=70, x=136, vivo_min=V11_SMALL, label="logo"),
            title(3, 128),
            text(4, 236, h=69, max_len=108, x=31, w=280),
            button(5, 381, x=70, w=202),
        ), sub_types=(1, 2), huawei_only_sub_types=(2,), note="VIVO's high-end series show no red packets (cards.md §2)"),
        Layout("RedPacketPersonal", "personalised red packet", ("HUAWEI", "VIVO"), "com.hbm.redpacketPersonal", 456, (
            Slot(1, "image", 0, 0, W, 456, image_rate="threeToFour", background=True, label="background (vivo_background allowed)"),
            image(2, 44, "oneToOne", w=70, x=136, vivo_min=V11_SMALL, label="logo"),
            title(3, 128),
            text(4, 170, h=48, max_len=12, x=31, w=280, label="amount"),
            text(5, 236, h=69, max_len=108, x=31, w=280),
            button(6, 381, x=70, w=202),
        ), sub_types=(1, 2), huawei_only_sub_types=(2,)),
        Layout("ImageTextAndVideo", "image+text+video", ("HUAWEI", "SAMSUNG"), "com.hbm.imageTextVideo", 560, (
            image(1, 0, "sixteenToNine"),
            title(2, 204),
            text(3, 236, h=64, max_len=80),
            video(4, 312),
            button(5, 508),
        )),
        Layout("Notification1", "general notification", ("HUAWEI", "XIAOMI", "VIVO", "SAMSUNG"), "com.hbm.notification1", 312, (
            image(1, 0, "threeToOne", vivo_min=V31, label="banner"),
            title(2, 126),
            text(3, 158, h=88, max_len=120),
            button(4, 258),
        )),
        Layout("Notification2", "enhanced notification", ("HUAWEI", "XIAOMI", "VIVO"), "com.hbm.notification2", 404, (
            image(1, 0, "threeToOne", vivo_min=V31, label="banner"),
            title(2, 126),
            text(3, 158, h=40, max_len=40, label="key line 1"),
            text(4, 206, h=40, max_len=40, label="key line 2"),
            text(5, 254, h=80, max_len=100, required=False, label="details"),
            *two_buttons(6, 348),
        )),
        Layout("Carousel", "horizontal swipe 1", ("HUAWEI", "OPPO", "MEIZU", "SAMSUNG"), "com.hbm.sideslip", 330, (
            image(1, 0, "sixteenToNine", w=210, x=PAD, label="slide image"),
            title(2, 130, w=210),
            text(3, 162, h=64, max_len=60, w=210),
            button(4, 238, w=210),
        ), component="sideslip", max_pages=10, note="one slide per page"),
        Layout("CarouselTitle", "horizontal swipe 2", ("HUAWEI", "MEIZU", "SAMSUNG"), "com.hbm.sideslipTitle", 360, (
            title(1, 8, w=210),
            image(2, 40, "sixteenToNine", w=210, x=PAD, label="slide image"),
            text(3, 170, h=64, max_len=60, w=210),
            button(4, 246, w=210),
        ), component="sideslip", max_pages=10, note="one slide per page"),
        _carousel("CarouselSquareImage", "image carousel 1:1", ("HUAWEI", "OPPO", "VIVO", "SAMSUNG"), "oneToOne", V11_LARGE),
        _carousel("CarouselImageSixteenToNine", "image carousel 16:9", ("HUAWEI", "OPPO", "VIVO", "SAMSUNG"), "sixteenToNine", V169),
        _carousel("CarouselVerticalImage", "image carousel 48:65", ("HUAWEI", "OPPO", "VIVO", "SAMSUNG"), "fortyEightToSixtyFive", V4865,
                  sub_types=(1, 2, 3, 4, 5, 6), huawei_only_sub_types=(2, 3, 4, 5, 6)),
        Layout("CardVoucher", "single coupon", ("HUAWEI", "OPPO", "VIVO"), "com.hbm.cardVoucher", 260, (
            image(1, 16, "oneToOne", w=48, x=PAD, label="merchant logo"),
            title(2, 16, x=PAD + 60, w=INNER - 60),
            text(3, 72, h=56, max_len=8, w=120, label="amount"),
            text(4, 72, h=24, max_len=20, x=PAD + 132, w=INNER - 132, label="condition"),
            text(5, 104, h=24, max_len=30, x=PAD + 132, w=INNER - 132, label="validity"),
            text(6, 144, h=44, max_len=40, required=False, label="notes"),
            button(7, 204),
        ), component="cardVoucher", sub_types=(1, 2), huawei_only_sub_types=(2,)),
        Layout("CardVouchers", "multiple coupons (<= 4)", H, "com.hbm.cardVouchers", 452, (
            title(1, 16),
            *(s for k in range(4) for s in (
                text(2 + 3 * k, 52 + 92 * k, h=40, max_len=8, w=100, required=k == 0, label=f"coupon {k + 1} amount"),
                text(3 + 3 * k, 52 + 92 * k, h=40, max_len=30, x=PAD + 112, w=INNER - 112 - 84, required=k == 0, label=f"coupon {k + 1} condition"),
                button(4 + 3 * k, 52 + 92 * k, max_len=4, x=W - PAD - 72, w=72, required=k == 0, label=f"coupon {k + 1} button"),
            )),
        ), component="cardVouchers", honours_visible=True),
        Layout("Ecommerce", "multi-product e-commerce", H, "com.hbm.moreGoods", 470, (
            title(1, 12),
            text(2, 40, h=24, max_len=30, required=False, label="subtitle"),
            *(s for k in range(3) for s in (
                image(3 + 4 * k, 76 + 128 * k, "oneToOne", w=100, x=PAD, required=k == 0, label=f"product {k + 1} image"),
                text(4 + 4 * k, 76 + 128 * k, h=40, max_len=30, x=PAD + 112, w=INNER - 112, required=k == 0, label=f"product {k + 1} name"),
                text(5 + 4 * k, 124 + 128 * k, h=24, max_len=12, x=PAD + 112, w=100, required=k == 0, label=f"product {k + 1} price"),
                button(6 + 4 * k, 140 + 128 * k, max_len=6, x=W - PAD - 90, w=90, required=k == 0, label=f"product {k + 1} button"),
            )),
        ), component="moreGoods", honours_visible=True),
        _trip("Trip1", "air ticket", ("HUAWEI", "SAMSUNG"), "com.hbm.trip.air"),
        _trip("Trip2", "train ticket", ("HUAWEI", "SAMSUNG"), "com.hbm.trip.train"),
        _trip("Trip3", "bus ticket", ("HUAWEI", "SAMSUNG"), "com.hbm.trip.bus"),
        Layout("PlaneTrip", "enhanced air ticket", H, "com.hbm.planeTrip", 330, (
            image(1, 16, "oneToOne", w=32, x=PAD, label="airline logo"),
            title(2, 16, x=PAD + 44, w=INNER - 44),
            text(3, 60, h=48, max_len=12, w=130, label="departure"),
            text(4, 60, h=48, max_len=12, x=W - PAD - 130, w=130, label="arrival"),
            text(5, 116, h=40, max_len=20, w=130, label="departure time"),
            text(6, 116, h=40, max_len=20, x=W - PAD - 130, w=130, label="arrival time"),
            text(7, 164, h=48, max_len=60, required=False, label="tip"),
            *two_buttons(8, 228),
        ), component="ticketImage", honours_visible=True),
        Layout("SimplePoster", "poster", H, "com.hbm.poster", 523, (
            image(1, 0, "fortyEightToSixtyFive", label="poster"),
            button(2, 467, x=70, w=202, required=False),
        )),
        Layout("NativePureText", "hypertext plain", H, "com.hbm.nativePureText", 330, (
            title(1, 16),
            text(2, 52, h=200, max_len=1000),
            button(3, 272, required=False),
        )),
        Layout("NativeImageAndText", "hypertext enhanced", H, "com.hbm.nativeImageText", 420, (
            image(1, 0, "sixteenToNine"),
            title(2, 204),
            text(3, 236, h=120, max_len=500),
            button(4, 368, required=False),
        )),
        Layout("ShortVideo", "short-drama video", H, "com.hbm.shortVideo", 560, (
            Slot(1, "video", 0, 0, W, 456, image_rate="threeToFour", label="video (ratio threeToFour or oneToOne)"),
            title(2, 468),
            text(3, 500, h=24, max_len=40, required=False),
            button(4, 500, x=W - PAD - 90, w=90, max_len=6, required=False),
        ), video_ratio=True),
        Layout("ShortVideoImage", "short-drama image", H, "com.hbm.shortVideoImage", 560, (
            image(1, 0, "threeToFour", label="cover image"),
            title(2, 468),
            text(3, 500, h=24, max_len=40, required=False),
            button(4, 500, x=W - PAD - 90, w=90, max_len=6, required=False),
        ), sub_types=(1, 2), note="absent from the vendor matrix; Tidings treats it like the other short-drama layout (HUAWEI)"),
        Layout("EcommerceCouponVertical", "e-commerce coupon, vertical", H, "com.hbm.ecCouponVertical", 560, (
            image(1, 0, "oneToOne", label="product image"),
            title(2, 354),
            text(3, 386, h=28, max_len=12, w=140, label="price"),
            text(4, 420, h=32, max_len=8, w=100, required=False, label="coupon amount"),
            text(5, 420, h=32, max_len=20, x=PAD + 112, w=INNER - 112 - 100, required=False, label="coupon condition"),
            button(6, 500, w=HALF, label="buy button"),
            button(7, 420, max_len=4, x=W - PAD - 88, w=88, label="coupon button (button_type)"),
        ), sub_types=(1, 2), button_type_position=7),
    )
}

CARD_IDS = tuple(LAYOUTS)


def layouts_for(maker: str) -> list[str]:
    return [cid for cid, layout in LAYOUTS.items() if maker in layout.makers]


def slot_table() -> str:
    """The Markdown table of slots per layout (docs/smart-messages.md)."""
    lines = ["| card_id | makers | canvas | pages | position: slot |", "|---|---|---|---|---|"]
    for layout in LAYOUTS.values():
        parts = []
        for s in layout.slots:
            bits = [s.kind + (" title" if s.title else "")]
            if s.max_len:
                bits.append(f"≤{s.max_len}" + (f" (OPPO ≤{s.oppo_len})" if s.oppo_len else ""))
            if s.image_rate:
                bits.append(s.image_rate)
            if s.vivo_min:
                bits.append(f"VIVO ≥{s.vivo_min[0]}x{s.vivo_min[1]}")
            if not s.required:
                bits.append("optional")
            bits.append(f"at {s.x},{s.y} {s.w}x{s.h}")
            parts.append(f"{s.position}: {s.label} ({', '.join(bits)})")
        pages = f"≤{layout.max_pages}" if layout.max_pages > 1 else "1"
        lines.append(f"| `{layout.card_id}` | {', '.join(layout.makers)} | {W}x{layout.height} | {pages} | {'; '.join(parts)} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - doc helper
    print(slot_table())
