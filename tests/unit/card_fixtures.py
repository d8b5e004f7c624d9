"""Editor-format pages (cards.md §4) for the renderer's tests and bench: the
upstream red-packet example and one fixture per component type of cards.md §5."""

from __future__ import annotations

import json

# cards.md §4, verbatim.
UPSTREAM_EXAMPLE = """[{"typeIndex":0,"cardId":"com.hbm.redpacket","label":"page 1","tag":"page1",
  "style":{"width":"342px","height":"456px","opacity":1},
  "content":[
   {"type":"image","x":0,"y":0,"w":342,"h":456,"z":0,"isBgimg":true,"visible":true,
    "src":"https://cdn.example.com/redpacketBg.png","style":{"borderRadius":0},"event":{"action":"","target":""}},
   {"type":"image","x":136,"y":44,"w":70,"h":70,"z":0,"visible":true,"proportion":[1,1],
    "src":"https://cdn.example.com/logo.jpg","style":{"borderRadius":"70px"},
    "event":{"action":"OPEN_BROWSER","target":"https://www.example.com/promo","navType":2,"floorType":0}},
   {"type":"text","x":0,"y":128,"w":342,"h":23,"z":2,"title":"true","textMaxlength":36,"textOPPOLength":24,
    "text":"Up to 20 CNY phone credit","style":{"color":"#ffffff","fontSize":"14px","textAlign":"center","fontWeight":"700"},"event":{}},
   {"type":"text","x":31,"y":236,"w":280,"h":69,"z":2,"divTextAreaContent":"true","textMaxlength":108,
    "text":"Sign in to the app and join the event","style":{"color":"#ffffff","fontSize":"14px"},"event":{}},
   {"type":"button","x":70,"y":381,"w":202,"h":40,"z":3,"text":"Claim now","maxLength":9,
    "style":{"backgroundColor":"#ff9800","color":"#ffffff","borderRadius":"32px","fontSize":"16px"},
    "event":{"action":"OPEN_BROWSER","target":"https://www.example.com/promo"}}
  ]}]"""

IMG = "https://img.example.com/"


def page(*items: dict, width: int = 342, height: int = 456, card_id: str = "com.hbm.test") -> str:
    return json.dumps([{
        "typeIndex": 0, "cardId": card_id, "label": "page 1", "tag": "page1",
        "style": {"width": f"{width}px", "height": f"{height}px", "opacity": 1},
        "content": list(items),
    }])  # fmt: skip


def item(kind: str, x: int = 0, y: int = 0, w: int = 342, h: int = 40, z: int = 1, **fields) -> dict:
    return {"type": kind, "x": x, "y": y, "w": w, "h": h, "z": z, "visible": True, "style": {}, "event": {}, **fields}


def ev(action: str, target: str = "", **fields) -> dict:
    return {"action": action, "target": target, **fields}


TEXT = item("text", text="Hello ${name}", title="true", style={"color": "#333333", "fontSize": "16px"})
BUTTON = item("button", y=400, text="Open ${name}", event=ev("OPEN_URL", "https://shop.example.com/o/${order}"))
IMAGE = item("image", h=192, src=IMG + "banner.png", event=ev("VIEW_PIC", IMG + "banner-big.png"))
VIDEO = item("video", h=192, src=IMG + "clip.mp4", cover=IMG + "cover.jpg")
SWIPER = item("swiper", h=192, swiper={
    "autoplay": True, "loop": True, "showIndicatorPoint": True,
    "swiperArr": [{"src": IMG + "s1.png", "event": ev("OPEN_URL", "https://a.example.com/1")},
                  {"src": IMG + "s2.png"}, {"src": IMG + "s3.png"}],
})  # fmt: skip
SIDESLIP = item("sideslip", h=330, proportionM=9, proportionD=16, contentShow=True, list=[
    {"src": IMG + "p1.png", "title": "Slide one", "content": "First body",
     "buts": [{"text": "Buy", "event": ev("OPEN_BROWSER", "https://b.example.com/1")}]},
    {"src": IMG + "p2.png", "title": "Slide two", "content": "Second body", "buts": [{"text": "More"}]},
])  # fmt: skip
ECOMMERCE = item("eCommerce", h=456, content={
    "imageList": {"visibility": True, "listItem": [{"image": {"src": IMG + "g1.png"}}, {"image": {"src": IMG + "g2.png"}}]},
    "video": {"visibility": False, "src": "", "cover": ""},
    "divTextArea1": {"currencyText": {"visibility": True, "textValue": "¥"}, "text1": {"textValue": "99.00"},
                     "text2": {"textValue": "199.00"}},
    "divTextArea2": {"textTitle": {"textValue": "Running shoes"}, "textContent": {"textValue": "Light and fast, for ${name}"}},
    "divButton": [{"textValue": "Details", "event": ev("OPEN_URL", "https://shop.example.com/d")},
                  {"textValue": "Buy now", "event": ev("OPEN_APP", "shop://item/1", packageNames="com.example.shop",
                                                        floorType=2, floorUrl="https://shop.example.com/item/1")}],
})  # fmt: skip
CARD_VOUCHER = item("cardVoucher", h=260, content={
    "voucheType": 0,
    "divText": {"text1": {"textValue": "Coffee coupon"}, "text2": {"textValue": "20"}, "text3": {"textValue": "Over 100"},
                "text4": {"textValue": "Valid until 2026-12-31"}, "text5": {"textValue": "Code ${code}"}},
    "divImage": {"src": IMG + "logo.png", "event": ev("VIEW_PIC", "")},
    "divButton": {"textValue": "Copy code", "event": ev("COPY_PARAMETER", "${code}")},
})  # fmt: skip
CARD_VOUCHERS = item("cardVouchers", h=452, content={
    "divText": {"text1": {"textValue": "Your coupons"}},
    "buttomType": 1,
    "divItemList": [
        {"voucheType": 0, "fullMinus": {"reduction": "10", "money": "50"}, "divText": {"text5": {"textValue": "Any store"}},
         "divButton": {"textValue": "Use", "event": ev("OPEN_URL", "https://c.example.com/1")}},
        {"voucheType": 1, "discount": {"fracture": "8.5", "money": "100"}, "divText": {"text5": {"textValue": "Online only"}},
         "divButton": {"textValue": "Get"}},
        {"voucheType": 0, "visible": False, "fullMinus": {"reduction": "99", "money": "1"}, "divText": {"text5": {"textValue": "Hidden one"}}},
    ],
})  # fmt: skip
MORE_GOODS = item("moreGoods", h=470, content={
    "divheader": {"text1": {"textValue": "Picked for you"}, "text2": {"textValue": "3 items"},
                  "imageIcon": {"visibility": True, "src": IMG + "icon.png"}},
    "divItemList": [
        {"divTextImage": {"image1": {"src": IMG + "m1.png"}},
         "divTextButton": {"text4": {"textValue": "Teapot"}, "text5": {"textValue": "¥59"}, "text7": {"textValue": "Porcelain"},
                           "button1": {"textValue": "Buy", "event": ev("OPEN_URL", "https://m.example.com/1")}}},
        {"divTextImage": {"image1": {"src": IMG + "m2.png"}},
         "divTextButton": {"text4": {"textValue": "Cups"}, "text5": {"textValue": "¥29"}, "button1": {"textValue": "Buy"}}},
    ],
})  # fmt: skip
TICKET_IMAGE = item("ticketImage", h=330, content={
    "divList1": {"list": [{"img": {"src": IMG + "airline.png"}, "text": {"textValue": "CA1234"}}]},
    "divList2": {"list": [{"textUp": {"textValue": "08:05"}, "textDown": {"textValue": "Beijing PEK"}},
                          {"textUp": {"textValue": "10:55"}, "textDown": {"textValue": "Shanghai SHA"}}]},
    "divList3": {"list": [{"textUp": {"textValue": "Gate"}, "textDown": {"textValue": "${gate}"}}]},
    "divTip": {"text": {"textValue": "Boarding closes 20 minutes before departure"}},
})  # fmt: skip

COMPONENTS = {
    "text": TEXT, "button": BUTTON, "image": IMAGE, "video": VIDEO, "swiper": SWIPER, "sideslip": SIDESLIP,
    "eCommerce": ECOMMERCE, "cardVoucher": CARD_VOUCHER, "cardVouchers": CARD_VOUCHERS, "moreGoods": MORE_GOODS,
    "ticketImage": TICKET_IMAGE,
}  # fmt: skip

VALUES = {"name": "Wang", "order": "A 1&2", "code": "SAVE20", "gate": "C12"}


def ten_components() -> str:
    """The bench's card: ten components with variables (issue 23 "Speed")."""
    return page(
        item("image", h=192, z=0, src=IMG + "banner.png", event=ev("VIEW_PIC", "")),
        item("text", x=16, y=204, w=310, h=24, title="true", text="Parcel for ${name} is on its way"),
        item("text", x=16, y=236, w=310, h=40, text="Order ${order} left ${city} at ${time}."),
        item("text", x=16, y=280, w=310, h=20, text="Courier: ${courier}"),
        item("text", x=16, y=304, w=310, h=20, text="Tracking number ${tracking}"),
        item("image", x=16, y=330, w=48, h=48, src=IMG + "logo.png"),
        item("button", x=16, y=390, w=150, h=40, text="Track", event=ev("OPEN_URL", "https://t.example.com/${tracking}")),
        item("button", x=176, y=390, w=150, h=40, text="Call", event=ev("DIAL_PHONE", "${phone}")),
        item("button", x=16, y=440, w=150, h=40, text="Copy number", event=ev("COPY_PARAMETER", "${tracking}")),
        item("button", x=176, y=440, w=150, h=40, text="Remind me",
             event=ev("OPEN_SCHEDULE", "Parcel ${tracking}", description="Pick up", beginTime="2026-12-03 09:00:00",
                      endTime="2026-12-03 10:00:00")),
        height=500,
    )


BENCH_VALUES = {
    "name": "Wang", "order": "20261202-0042", "city": "Hangzhou", "time": "09:40", "courier": "Li Lei",
    "tracking": "SF1234567890", "phone": "+8613800138000",
}  # fmt: skip
