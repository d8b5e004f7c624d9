"""Draw the sample pictures of the public templates (tidings/aim/public/*.png).

Run once by a developer when the library changes (needs Pillow, which the
package itself does not import):  ``.venv/bin/python tools/draw_public_images.py``.
Flat shapes in a few colours keep each file a few kilobytes; the sizes match
the slots' image_rate (cards.md §7) so the library passes the same material
checks as a tenant's template.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "tidings" / "aim" / "public"

BLUE, NAVY, SKY = (10, 89, 247), (18, 38, 84), (214, 229, 255)
ORANGE, RED, GOLD = (255, 122, 41), (232, 52, 12), (255, 196, 61)
GREEN, MINT, GREY, WHITE = (22, 163, 98), (208, 244, 226), (236, 239, 243), (255, 255, 255)
PURPLE, LILAC = (108, 72, 220), (232, 224, 255)


def canvas(w: int, h: int, top: tuple, bottom: tuple) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (w, h), top)
    d = ImageDraw.Draw(img)
    for y in range(h):  # a vertical gradient in 8 bands compresses well
        t = (y * 8 // h) / 7
        d.line([(0, y), (w, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return img, d


def save(img: Image.Image, name: str) -> None:
    img.save(OUT / f"{name}.png", optimize=True)


def truck(d: ImageDraw.ImageDraw, x: int, y: int, s: float) -> None:
    d.rounded_rectangle([x, y, x + 200 * s, y + 100 * s], 10 * s, fill=WHITE)
    d.rounded_rectangle([x + 200 * s, y + 30 * s, x + 270 * s, y + 100 * s], 12 * s, fill=ORANGE)
    d.rectangle([x + 215 * s, y + 42 * s, x + 255 * s, y + 65 * s], fill=SKY)
    for cx in (x + 50 * s, x + 215 * s):
        d.ellipse([cx - 22 * s, y + 82 * s, cx + 22 * s, y + 126 * s], fill=NAVY)
        d.ellipse([cx - 9 * s, y + 95 * s, cx + 9 * s, y + 113 * s], fill=GREY)
    d.rectangle([x + 20 * s, y + 25 * s, x + 120 * s, y + 40 * s], fill=ORANGE)


def parcel_banner() -> None:
    img, d = canvas(576, 192, (255, 237, 222), (255, 214, 186))
    d.ellipse([380, -80, 660, 200], fill=(255, 196, 150))
    truck(d, 60, 30, 0.95)
    for i, x in enumerate(range(340, 560, 60)):
        d.rounded_rectangle([x, 120 - i * 8, x + 44, 164 - i * 8], 6, fill=(196, 140, 84))
        d.line([x + 22, 120 - i * 8, x + 22, 164 - i * 8], fill=(150, 100, 60), width=3)
    save(img, "parcel-banner")


def clinic() -> None:
    img, d = canvas(640, 360, (226, 244, 255), (190, 225, 250))
    d.rounded_rectangle([170, 90, 470, 330], 16, fill=WHITE)
    d.rectangle([170, 90, 470, 130], fill=BLUE)
    d.rectangle([300, 170, 340, 270], fill=RED)
    d.rectangle([270, 200, 370, 240], fill=RED)
    d.ellipse([40, 250, 140, 350], fill=GREEN)
    d.ellipse([500, 240, 620, 360], fill=GREEN)
    save(img, "appointment")


def bill_banner() -> None:
    img, d = canvas(576, 192, (233, 240, 255), (205, 220, 255))
    d.rounded_rectangle([70, 24, 230, 176], 12, fill=WHITE)
    for i in range(5):
        d.rounded_rectangle([92, 48 + i * 24, 208 - (i % 2) * 30, 60 + i * 24], 5, fill=SKY if i else BLUE)
    d.ellipse([300, 40, 412, 152], fill=GOLD)
    d.ellipse([318, 58, 394, 134], fill=(255, 221, 120))
    d.ellipse([400, 60, 500, 160], fill=GOLD)
    save(img, "bill-banner")


def product() -> None:
    img, d = canvas(480, 480, (255, 244, 236), (255, 228, 210))
    d.ellipse([60, 340, 420, 420], fill=(240, 200, 180))
    d.rounded_rectangle([110, 160, 370, 370], 30, fill=ORANGE)
    d.arc([170, 80, 310, 240], 180, 360, fill=NAVY, width=14)
    d.rounded_rectangle([150, 220, 330, 250], 10, fill=(255, 170, 110))
    save(img, "order-product")


def coupon_logo() -> None:
    img, d = canvas(240, 240, RED, ORANGE)
    d.ellipse([40, 40, 200, 200], fill=WHITE)
    d.polygon([(120, 62), (136, 104), (182, 104), (145, 130), (158, 174), (120, 148), (82, 174), (95, 130), (58, 104), (104, 104)],
              fill=RED)
    save(img, "coupon-logo")


def event_main() -> None:
    img, d = canvas(640, 360, (60, 30, 140), (120, 70, 220))
    for i, (x, y, r, c) in enumerate([(90, 80, 40, GOLD), (520, 70, 55, (255, 120, 170)), (300, 260, 70, (90, 200, 255)),
                                      (560, 280, 35, GOLD), (150, 280, 28, (255, 120, 170))]):
        d.ellipse([x - r, y - r, x + r, y + r], fill=c)
    d.rounded_rectangle([200, 110, 440, 200], 20, fill=WHITE)
    d.rounded_rectangle([230, 140, 410, 170], 10, fill=PURPLE)
    save(img, "event-main")


def icon(name: str, bg: tuple, draw) -> None:  # noqa: ANN001
    img, d = canvas(320, 320, bg, bg)
    draw(d)
    save(img, name)


def calendar_icon(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle([60, 80, 260, 260], 24, fill=WHITE)
    d.rounded_rectangle([60, 80, 260, 130], 24, fill=RED)
    d.rectangle([60, 110, 260, 130], fill=RED)
    for r in range(3):
        for c in range(4):
            d.rounded_rectangle([82 + c * 44, 146 + r * 36, 112 + c * 44, 172 + r * 36], 5, fill=GREY if (r, c) != (1, 2) else RED)
    d.rectangle([100, 60, 116, 100], fill=NAVY)
    d.rectangle([204, 60, 220, 100], fill=NAVY)


def pin_icon(d: ImageDraw.ImageDraw) -> None:
    d.ellipse([90, 50, 230, 190], fill=RED)
    d.polygon([(100, 150), (220, 150), (160, 270)], fill=RED)
    d.ellipse([130, 90, 190, 150], fill=WHITE)


def airline_logo() -> None:
    img, d = canvas(240, 240, BLUE, NAVY)
    d.polygon([(40, 130), (200, 70), (215, 85), (120, 140), (200, 200), (180, 210), (95, 160), (60, 175), (50, 160)], fill=WHITE)
    save(img, "airline-logo")


def seat_map() -> None:
    img, d = canvas(640, 360, GREY, GREY)
    d.rounded_rectangle([20, 60, 620, 300], 40, fill=WHITE, outline=(180, 186, 196), width=4)
    for col in range(10):
        for row, y in enumerate((90, 140, 210, 260)):
            taken = (col * 3 + row) % 4 == 0
            fill = BLUE if (col, row) == (4, 1) else ((200, 205, 214) if taken else SKY)
            d.rounded_rectangle([60 + col * 54, y - 16, 100 + col * 54, y + 16], 6, fill=fill)
    save(img, "seat-map")


def receipt() -> None:
    img, d = canvas(480, 640, GREY, GREY)
    d.rectangle([60, 40, 420, 600], fill=WHITE)
    d.ellipse([200, 80, 280, 160], fill=GREEN)
    d.line([(218, 122), (236, 140), (264, 102)], fill=WHITE, width=10)
    for i in range(8):
        d.rounded_rectangle([100, 200 + i * 44, 380 - (i % 3) * 50, 214 + i * 44], 6, fill=GREY if i % 4 else MINT)
    for x in range(60, 420, 24):
        d.polygon([(x, 600), (x + 12, 588), (x + 24, 600)], fill=GREY)
    save(img, "receipt")


def security() -> None:
    img, d = canvas(640, 360, (20, 40, 90), (30, 70, 160))
    d.polygon([(320, 50), (440, 100), (430, 220), (320, 310), (210, 220), (200, 100)], fill=WHITE)
    d.polygon([(320, 80), (412, 118), (404, 212), (320, 280), (236, 212), (228, 118)], fill=BLUE)
    d.rounded_rectangle([285, 170, 355, 230], 8, fill=GOLD)
    d.arc([292, 130, 348, 190], 180, 360, fill=GOLD, width=10)
    save(img, "security")


def outage() -> None:
    img, d = canvas(640, 360, (255, 246, 226), (255, 231, 186))
    d.polygon([(320, 60), (470, 300), (170, 300)], fill=GOLD)
    d.polygon([(320, 100), (432, 282), (208, 282)], fill=(255, 228, 150))
    d.rounded_rectangle([306, 150, 334, 230], 10, fill=NAVY)
    d.ellipse([304, 244, 336, 276], fill=NAVY)
    save(img, "outage")


def survey(n: int, top: tuple, bottom: tuple, accent: tuple) -> None:
    img, d = canvas(640, 360, top, bottom)
    d.rounded_rectangle([170, 50, 470, 310], 18, fill=WHITE)
    for i in range(5):
        x = 205 + i * 50
        d.polygon([(x + 20, 120), (x + 26, 136), (x + 42, 136), (x + 29, 146), (x + 34, 162), (x + 20, 152), (x + 6, 162),
                   (x + 11, 146), (x - 2, 136), (x + 14, 136)], fill=accent if i < 5 - n + 2 else GREY)
    for i in range(3):
        d.rounded_rectangle([210, 190 + i * 34, 430 - i * 40, 206 + i * 34], 8, fill=GREY)
    save(img, f"survey-{n}")


def main() -> None:
    parcel_banner()
    clinic()
    bill_banner()
    product()
    coupon_logo()
    event_main()
    icon("icon-calendar", LILAC, calendar_icon)
    icon("icon-pin", MINT, pin_icon)
    airline_logo()
    seat_map()
    receipt()
    security()
    outage()
    survey(1, (226, 244, 255), (190, 225, 250), GOLD)
    survey(2, (232, 224, 255), (210, 196, 255), PURPLE)
    survey(3, (208, 244, 226), (170, 230, 200), GREEN)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.name:24} {path.stat().st_size:6} bytes")


if __name__ == "__main__":
    main()
