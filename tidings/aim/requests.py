"""The wire models of the smart-message template operations (openapi.json
``/v1/aim/template*``): field names and limits exactly as the SDK sends them.
Field limits live here (Pydantic names the field and the limit); the rules
that look across fields live in :mod:`tidings.aim.rules`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ACTION_TYPES = (
    "OPEN_URL", "OPEN_QUICK", "OPEN_APP", "DIAL_PHONE", "OPEN_SMS", "OPEN_EMAIL",
    "OPEN_SCHEDULE", "OPEN_MAP", "OPEN_BROWSER", "OPEN_POPUP", "COPY_PARAMETER", "VIEW_PIC",
)
ActionType = Literal[
    "OPEN_URL", "OPEN_QUICK", "OPEN_APP", "DIAL_PHONE", "OPEN_SMS", "OPEN_EMAIL",
    "OPEN_SCHEDULE", "OPEN_MAP", "OPEN_BROWSER", "OPEN_POPUP", "COPY_PARAMETER", "VIEW_PIC",
]
# Written out for the type checker; a unit test holds them equal to layouts.py's tables.
CardId = Literal[
    "MultipleImageAndText", "StandardImageAndText", "PureText", "VideoImageAndText", "Video", "ECImageAndText", "RedPacket",
    "RedPacketPersonal", "ImageTextAndVideo", "Notification1", "Notification2", "Carousel", "CarouselTitle", "CarouselSquareImage",
    "CarouselImageSixteenToNine", "CarouselVerticalImage", "CardVoucher", "CardVouchers", "Ecommerce", "Trip1", "Trip2", "Trip3",
    "PlaneTrip", "SimplePoster", "NativePureText", "NativeImageAndText", "ShortVideo", "ShortVideoImage", "EcommerceCouponVertical",
]
ImageRate = Literal["oneToOne", "sixteenToNine", "threeToOne", "fortyEightToSixtyFive", "twentyOneToNine", "threeToFour"]
Maker = Literal["HUAWEI", "XIAOMI", "OPPO", "VIVO", "MEIZU", "SAMSUNG"]


class Action(BaseModel):
    model_config = ConfigDict(extra="ignore")

    target: str  # limits per action_type: rules.TARGET_LIMIT
    content: str | None = Field(default=None, max_length=100)
    package_name: str | None = Field(default=None, max_length=50)
    floor_url: str | None = Field(default=None, max_length=1000)
    floor_type: Literal[0, 1, 2, 3] | None = None
    subject: str | None = None
    body: str | None = None
    description: str | None = Field(default=None, max_length=100)
    begin_time: str | None = Field(default=None, max_length=100)
    end_time: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=100)
    longitude: str | None = Field(default=None, max_length=20)
    latitude: str | None = Field(default=None, max_length=20)
    text_button: str | None = Field(default=None, max_length=12)
    mode: Literal[0, 1] | None = None


class Content(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["text", "image", "video", "button", "followPub"]
    content: str | None = Field(default=None, max_length=1000)
    content_child: str | None = Field(default=None, max_length=1000)
    src_type: Literal[1, 2] | None = None
    src: str | None = Field(default=None, max_length=1000)
    cover: str | None = Field(default=None, max_length=1000)
    is_text_title: Literal["true", "false"] = "false"
    action_type: ActionType | None = None
    position_number: int = Field(ge=1, le=100)
    visible: Literal[0, 1] | None = None
    currency_display: Literal[0, 1] = 1
    oppo_background: str | None = Field(default=None, max_length=1000)
    vivo_background: str | None = Field(default=None, max_length=1000)
    ratio: Literal["threeToFour", "oneToOne"] | None = None
    action: Action | None = None
    button_type: Literal["static", "dynamic"] | None = None


class Page(BaseModel):
    page_order: int = Field(ge=1, le=10)
    contents: list[Content] = Field(min_length=1, max_length=50)


class Param(BaseModel):
    type: Literal[1] = 1
    name: str = Field(min_length=1, max_length=20)
    example: str = Field(min_length=1, max_length=100)


class Factory(BaseModel):
    factory_type: str = Field(min_length=1, max_length=16)  # any case on input (cards.md §2)
    state: Literal[0, 1]


class CreateTemplate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tpl_name: str = Field(min_length=1, max_length=17)
    card_id: CardId
    use_id: Literal[1, 2]
    scene: str | None = Field(default=None, max_length=10)
    sub_type: int | None = None
    sms_example: str | None = Field(default=None, max_length=70)
    sms_signs: list[str] | None = Field(default=None, max_length=3)
    sms_template: str | None = Field(default=None, max_length=1000)
    pages: list[Page] = Field(min_length=1, max_length=10)
    params: list[Param] | None = Field(default=None, max_length=20)
    factorys: list[Factory] | None = Field(default=None, max_length=6)


class TemplateState(BaseModel):
    tpl_state: Literal[0, 1]
    # Tidings' extension: why the tenant disables it (shown as disable_desc).
    disable_desc: str | None = Field(default=None, max_length=100)


class UploadMaterial(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_type: Literal["image", "video", "thumbnail"]
    material_id: str | None = Field(default=None, max_length=36)
    file_type: Literal["url", "stream"]
    file_url: str | None = Field(default=None, max_length=1000)
    file_stream: str | None = None
    image_rate: ImageRate | None = None
    file_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=50)


class DeleteMaterials(BaseModel):
    material_ids: list[str] = Field(min_length=1, max_length=20)


class PrimaryThumbnail(BaseModel):
    aim_resource_id: str = Field(min_length=1, max_length=36)
    thumbnail_id: str = Field(min_length=1, max_length=36)
