"""Validation of a smart-message template create request (pure, no I/O).

:func:`check_create` looks across the fields of a request that already passed
the per-field limits of :mod:`tidings.aim.requests` and raises :class:`Refusal`
naming the field and the limit at the first problem:

- the layout x maker matrix and the per-maker action rules (cards.md §1-2),
- the layout's slots (:mod:`tidings.aim.layouts`): kinds, titles, text limits,
  required slots, at most 5 carousel images, one slide per page where allowed,
- the action table (cards.md §3) with its per-field limits and floor types,
- no ``<`` ``>`` ``&`` or runs of spaces in any string, the opt-out text,
  the ``use_id`` test-wording rule,
- ``params``: every ``${name}`` used is declared and every declared one used,
- VIVO's ``sms_signs`` and typed ``sms_template`` (<= 370 characters).

Material references (``src_type 1``) need the store: the result lists them
(:class:`MaterialRef`) and :func:`check_material` judges one against the facts
of the tenant's material.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.aim.codes import (
    ACTION_MAKER,
    EMPTY,
    INVALID,
    LAYOUT_MAKER,
    MATERIAL_REF,
    OPT_OUT,
    PARAMS,
    VIVO_RULES,
)
from tidings.aim.layouts import IMAGE_RATES, LAYOUTS, MAKERS, Layout, Slot
from tidings.aim.requests import Action, Content, CreateTemplate

__all__ = ["ACTION_MAKER", "EMPTY", "INVALID", "LAYOUT_MAKER", "MATERIAL_REF", "OPT_OUT", "PARAMS", "VIVO_RULES", "Refusal", "check_create"]


class Refusal(Exception):
    def __init__(self, code: str, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.code, self.field, self.reason = code, field, reason

    @property
    def message(self) -> str:
        return f"Invalid parameter {self.field}: {self.reason}"


def _invalid(field: str, reason: str, code: str = INVALID) -> Refusal:
    return Refusal(code, field, reason)


# Per-maker action rules (cards.md §2).
OPPO_ACTIONS = frozenset({"OPEN_BROWSER", "OPEN_QUICK", "OPEN_APP", "OPEN_URL"})
NOT_SUPPORTED: dict[str, frozenset[str]] = {
    "VIVO": frozenset({"OPEN_EMAIL", "OPEN_MAP"}),
    "MEIZU": frozenset({"VIEW_PIC"}),
    "SAMSUNG": frozenset({"OPEN_SCHEDULE", "VIEW_PIC"}),
}
# OPEN_APP floor types a maker cannot do (openapi.json AimPersonalTemplateContentAction.floor_type).
FLOOR_NOT_SUPPORTED: dict[str, frozenset[int]] = {
    "XIAOMI": frozenset({1}),
    "OPPO": frozenset({3}),
    "VIVO": frozenset({3}),
    "SAMSUNG": frozenset({0, 2}),
}
PARAM_ACTIONS = frozenset({"OPEN_URL", "OPEN_QUICK", "OPEN_BROWSER", "COPY_PARAMETER"})
TARGET_LIMIT: dict[str, int] = {
    "OPEN_URL": 1000, "OPEN_QUICK": 1000, "OPEN_APP": 1000, "DIAL_PHONE": 20, "OPEN_SMS": 20, "OPEN_EMAIL": 100,
    "OPEN_SCHEDULE": 100, "OPEN_MAP": 100, "OPEN_BROWSER": 1000, "OPEN_POPUP": 30, "COPY_PARAMETER": 20, "VIEW_PIC": 1000,
}

FORBIDDEN = re.compile(r"[<>&]|  ")
TEST_WORDING = re.compile(r"test|测试", re.IGNORECASE)
# The card must tell how to refuse further messages: 拒收请回复R / "reply R to unsubscribe" and
# the usual SMS wordings (matched without spaces, any case).
_OPT_OUT = re.compile(
    r"拒收请回复?R|回复?R拒收|回复?(T|TD|N|R)退订|退订回复?(T|TD|N|R)|replyRto(unsubscribe|optout|opt-out|stop)",
    re.IGNORECASE,
)
OPT_OUT_EXAMPLES = ("拒收请回复R", "reply R to unsubscribe")
PARAM = re.compile(r"\$\{([A-Za-z0-9_]{1,17})\}")
BROKEN_PARAM = re.compile(r"\$\{(?![A-Za-z0-9_]{1,17}\})[^}]*\}?")
SMS_TOKEN = re.compile(r"\[(文本|字母|数字)(\d+)-(\d+)\]")
SMS_TOKEN_LIKE = re.compile(r"\[(文本|字母|数字)[^\]]*\]?")
SMS_TEMPLATE_MAX = 370
SMS_TOKEN_MAX = 99
PHONE = re.compile(r"^\+?[0-9][0-9\-]{0,19}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class MaterialRef:
    """A ``src_type 1`` reference the store must resolve in the tenant's materials."""

    field: str
    resource_id: str
    kind: str  # image | video (a video's cover is an image)
    image_rate: str | None  # the slot's rate (None: any)
    vivo_min: tuple[int, int] | None  # only when VIVO is chosen


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    kind: str  # image | video | thumbnail
    image_rate: str | None
    width: int
    height: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class Checked:
    layout: Layout
    makers: tuple[str, ...]  # chosen (state 1), upper case, in request order
    factory_states: dict[str, int]  # every maker given, upper case
    params: tuple[str, ...]  # declared parameter names, e.g. "${name}"
    materials: tuple[MaterialRef, ...]


def has_opt_out(text: str) -> bool:
    return _OPT_OUT.search(re.sub(r"\s+", "", text)) is not None


def check_create(req: CreateTemplate) -> Checked:
    layout = LAYOUTS[req.card_id]
    states = _factories(req)
    makers = tuple(m for m, s in states.items() if s == 1)
    _matrix(layout, makers)
    _sub_type(req, layout, makers)
    for field, value in _strings(req.model_dump(exclude_none=True)):
        if FORBIDDEN.search(value):
            raise _invalid(field, "must not contain <, > or & or several spaces in a row")
    _use_id(req, layout)
    refs = _pages(req, layout, makers)
    params = _params(req)
    _opt_out(req)
    if "VIVO" in makers:
        _vivo(req)
    return Checked(layout, makers, states, params, tuple(refs))


def check_material(ref: MaterialRef, facts: MaterialFacts | None) -> Refusal | None:
    """Why ``facts`` cannot serve ``ref`` (None: it can).  A missing material
    and another tenant's read the same."""
    if facts is None or facts.deleted:
        return _invalid(ref.field, f"material {ref.resource_id} does not exist (upload it first; src_type 1 takes an aim_resource_id)",
                        MATERIAL_REF)
    kind = "image" if facts.kind == "thumbnail" else facts.kind
    if kind != ref.kind:
        return _invalid(ref.field, f"material {ref.resource_id} is a {facts.kind}; this slot needs a {ref.kind}", MATERIAL_REF)
    if ref.image_rate and facts.kind == "image" and facts.image_rate != ref.image_rate:
        return _invalid(ref.field, f"material {ref.resource_id} has image_rate {facts.image_rate}; this slot needs {ref.image_rate}",
                        MATERIAL_REF)
    if ref.vivo_min and facts.kind != "video":
        mw, mh = ref.vivo_min
        if facts.width < mw or facts.height < mh:
            return _invalid(ref.field, f"VIVO needs at least {mw}x{mh} pixels here; material {ref.resource_id} is "
                                       f"{facts.width}x{facts.height}", MATERIAL_REF)
    return None


# --- parts -----------------------------------------------------------------------------------
def _factories(req: CreateTemplate) -> dict[str, int]:
    states: dict[str, int] = {}
    for i, f in enumerate(req.factorys or []):
        maker = f.factory_type.upper()
        if maker not in MAKERS:
            raise _invalid(f"factorys[{i}].factory_type", f"must be one of {', '.join(MAKERS)} (any case)")
        if maker in states:
            raise _invalid(f"factorys[{i}].factory_type", f"{maker} is given twice")
        states[maker] = f.state
    if not any(s == 1 for s in states.values()):
        raise Refusal(EMPTY, "factorys", "choose at least one maker with state 1 (the makers the template is submitted to)")
    return states


def _matrix(layout: Layout, makers: tuple[str, ...]) -> None:
    for maker in makers:
        if maker not in layout.makers:
            raise _invalid("factorys", f"maker {maker} does not support card_id {layout.card_id} "
                                       f"({layout.card_id} is shown by {', '.join(layout.makers)})", LAYOUT_MAKER)


def _sub_type(req: CreateTemplate, layout: Layout, makers: tuple[str, ...]) -> None:
    if req.sub_type is None:
        return
    if not layout.sub_types:
        raise _invalid("sub_type", f"card_id {layout.card_id} takes no sub_type")
    if req.sub_type not in layout.sub_types:
        raise _invalid("sub_type", f"must be one of {', '.join(map(str, layout.sub_types))} for card_id {layout.card_id}")
    if req.sub_type in layout.huawei_only_sub_types and makers != ("HUAWEI",):
        raise _invalid("sub_type", f"sub_type {req.sub_type} of {layout.card_id} is shown by HUAWEI only; "
                                   f"submit to HUAWEI alone or use {layout.sub_types[0]}", LAYOUT_MAKER)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _title_items(req: CreateTemplate, layout: Layout) -> list[tuple[str, str]]:
    out = []
    for p, page in enumerate(req.pages):
        for c, item in enumerate(page.contents):
            slot = layout.slot(item.position_number)
            if item.is_text_title == "true" or (slot is not None and slot.title and item.type == "text"):
                out.append((f"pages[{p}].contents[{c}].content", item.content or ""))
    return out


def _use_id(req: CreateTemplate, layout: Layout) -> None:
    if req.use_id == 1:
        for field, value in _strings(req.model_dump(exclude_none=True, exclude={"factorys", "card_id"})):
            if TEST_WORDING.search(value):
                raise _invalid(field, "a commercial template (use_id 1) must not contain test wording (test, 测试); use use_id 2 for a trial")
        return
    if not TEST_WORDING.search(req.tpl_name):
        raise _invalid("tpl_name", "a trial commercial template (use_id 2) must contain test wording (test or 测试) in tpl_name and the main title")
    titles = _title_items(req, layout)
    if not titles:
        raise _invalid("pages", "a trial commercial template (use_id 2) needs a main title (is_text_title \"true\") with test wording")
    for field, value in titles:
        if not TEST_WORDING.search(value):
            raise _invalid(field, "a trial commercial template (use_id 2) must contain test wording (test or 测试) in the main title")


def _pages(req: CreateTemplate, layout: Layout, makers: tuple[str, ...]) -> list[MaterialRef]:
    if len(req.pages) > layout.max_pages:
        raise _invalid("pages", f"card_id {layout.card_id} takes {layout.max_pages} page" + ("s" if layout.max_pages > 1 else "")
                       + f"; {len(req.pages)} given")
    orders = [p.page_order for p in req.pages]
    if sorted(orders) != list(range(1, len(orders) + 1)):
        raise _invalid("pages", f"page_order must number the pages 1..{len(orders)} once each; given {orders}")
    refs: list[MaterialRef] = []
    for p, page in enumerate(req.pages):
        seen: dict[int, int] = {}
        images = 0
        for c, item in enumerate(page.contents):
            field = f"pages[{p}].contents[{c}]"
            if item.type == "followPub":
                raise _invalid(f"{field}.type", "followPub (service-account strip) is not supported yet")
            slot = layout.slot(item.position_number)
            if slot is None:
                raise _invalid(f"{field}.position_number", f"card_id {layout.card_id} has positions "
                               f"{', '.join(str(s.position) for s in layout.slots)}; {item.position_number} is not one of them")
            if item.position_number in seen:
                raise _invalid(f"{field}.position_number", f"position {item.position_number} is already used by contents[{seen[item.position_number]}]")
            seen[item.position_number] = c
            if item.type != slot.kind:
                raise _invalid(f"{field}.type", f"position {slot.position} of {layout.card_id} is a {slot.kind} ({slot.label}); {item.type} given")
            images += item.type == "image"
            refs.extend(_item(field, item, slot, layout, makers))
        if layout.max_images and images > layout.max_images:
            raise _invalid(f"pages[{p}].contents", f"card_id {layout.card_id} takes at most {layout.max_images} image items; {images} given")
        for slot in layout.slots:
            if slot.required and slot.position not in seen:
                raise Refusal(EMPTY, f"pages[{p}].contents", f"card_id {layout.card_id} needs position {slot.position} "
                                                             f"({slot.kind}: {slot.label})")
    return refs


def _item(field: str, item: Content, slot: Slot, layout: Layout, makers: tuple[str, ...]) -> list[MaterialRef]:
    if item.is_text_title == "true" and not slot.title:
        raise _invalid(f"{field}.is_text_title", f"position {slot.position} of {layout.card_id} is not the title "
                       f"(the title is position {layout.title_slot.position if layout.title_slot else '-'})")
    if item.type in ("text", "button"):
        text = item.content or ""
        if not text.strip():
            raise Refusal(EMPTY, f"{field}.content", f"a {item.type} needs content")
        if len(text) > slot.max_len:
            raise _invalid(f"{field}.content", f"position {slot.position} of {layout.card_id} takes at most {slot.max_len} characters; {len(text)} given")
        if "OPPO" in makers and slot.oppo_len and len(text) > slot.oppo_len:
            raise _invalid(f"{field}.content", f"OPPO shows at most {slot.oppo_len} characters at position {slot.position} of {layout.card_id}; "
                                               f"{len(text)} given")
    if (item.oppo_background or item.vivo_background) and not slot.background:
        raise _invalid(f"{field}.oppo_background" if item.oppo_background else f"{field}.vivo_background",
                       "only the background of a red-packet layout takes vendor backgrounds")
    if layout.video_ratio and item.type == "video" and item.ratio is None:
        raise Refusal(EMPTY, f"{field}.ratio", f"the video of {layout.card_id} needs ratio threeToFour or oneToOne")
    if item.button_type is not None and slot.position != layout.button_type_position:
        raise _invalid(f"{field}.button_type", "only position 7 of EcommerceCouponVertical takes button_type")
    if layout.button_type_position == slot.position and item.button_type is None:
        raise Refusal(EMPTY, f"{field}.button_type", f"position {slot.position} of {layout.card_id} needs button_type static or dynamic")
    refs: list[MaterialRef] = []
    if item.type in ("image", "video"):
        refs.extend(_sources(field, item, slot, layout, makers))
    if item.type in ("image", "button") and (item.action_type is None or item.action is None):
        raise Refusal(EMPTY, f"{field}.action_type", f"a {item.type} needs action_type and action (a click event)")
    if item.action_type is not None:
        if item.action is None:
            raise Refusal(EMPTY, f"{field}.action", f"action_type {item.action_type} needs action")
        check_action(f"{field}.action", item.action_type, item.action, makers)
    return refs


def _sources(field: str, item: Content, slot: Slot, layout: Layout, makers: tuple[str, ...]) -> list[MaterialRef]:
    if item.src_type is None:
        raise Refusal(EMPTY, f"{field}.src_type", f"a {item.type} needs src_type (1 material id, 2 URL)")
    named = [("src", item.src, item.type, slot.image_rate if item.type == "image" else None)]
    if item.type == "video":
        if not item.cover:
            raise Refusal(EMPTY, f"{field}.cover", "a video needs a cover (material id or URL, like src)")
        rate = item.ratio or slot.image_rate
        named.append(("cover", item.cover, "image", rate))
    for name, value in (("oppo_background", item.oppo_background), ("vivo_background", item.vivo_background)):
        if value:
            named.append((name, value, "image", slot.image_rate))
    vivo = "VIVO" in makers
    refs = []
    for name, value, kind, rate in named:
        if not value:
            raise Refusal(EMPTY, f"{field}.{name}", f"a {item.type} needs {name}")
        if "${" in value:
            raise _invalid(f"{field}.{name}", "images and videos cannot take dynamic parameters")
        if item.src_type == 2:
            if not re.match(r"^https?://[^\s/]+", value):
                raise _invalid(f"{field}.{name}", "with src_type 2 it must be a full http(s) URL on your own server (at most 1000 characters)")
        else:
            vmin = slot.vivo_min if vivo and name in ("src", "cover", "vivo_background") else None
            refs.append(MaterialRef(f"{field}.{name}", value, kind, rate, vmin))
    return refs


def _need(field: str, value: str | None, limit: int, what: str) -> str:
    if value is None or not value.strip():
        raise Refusal(EMPTY, field, f"is required for {what}")
    if len(value) > limit:
        raise _invalid(field, f"must be at most {limit} characters for {what}")
    return value


def check_action(field: str, action_type: str, action: Action, makers: tuple[str, ...]) -> None:
    for maker in makers:
        if maker == "OPPO" and action_type not in OPPO_ACTIONS:
            raise _invalid(f"{field}", f"OPPO supports only {', '.join(sorted(OPPO_ACTIONS))}; {action_type} given", ACTION_MAKER)
        if action_type in NOT_SUPPORTED.get(maker, ()):
            raise _invalid(f"{field}", f"{maker} does not support {action_type}", ACTION_MAKER)
    target = action.target
    limit = TARGET_LIMIT[action_type]
    if not target or not target.strip():
        raise Refusal(EMPTY, f"{field}.target", f"is required for {action_type}")
    if len(target) > limit:
        raise _invalid(f"{field}.target", f"must be at most {limit} characters for {action_type}")
    if "${" in target and action_type not in PARAM_ACTIONS:
        raise _invalid(f"{field}.target", f"{action_type} takes no dynamic parameters (only {', '.join(sorted(PARAM_ACTIONS))} do)")
    what = f"action_type {action_type}"
    if action_type == "OPEN_URL" and not target.lower().startswith("https://"):
        raise _invalid(f"{field}.target", "OPEN_URL needs an HTTPS URL")
    if action_type == "OPEN_BROWSER" and not re.match(r"^https?://", target, re.IGNORECASE):
        raise _invalid(f"{field}.target", "OPEN_BROWSER needs an http(s) URL")
    if action_type == "OPEN_QUICK" and not target.startswith("hap://"):
        raise _invalid(f"{field}.target", "OPEN_QUICK needs a quick-app link hap://app/...")
    if action_type in ("DIAL_PHONE", "OPEN_SMS") and not PHONE.match(target):
        raise _invalid(f"{field}.target", f"{action_type} needs a phone number (digits, + and -, at most 20)")
    if action_type == "OPEN_SMS":
        _need(f"{field}.body", action.body, 100, what)
    elif action_type == "OPEN_EMAIL":
        if not EMAIL.match(target):
            raise _invalid(f"{field}.target", "OPEN_EMAIL needs an e-mail address")
        _need(f"{field}.subject", action.subject, 100, what)
        _need(f"{field}.body", action.body, 100, what)
    elif action_type == "OPEN_SCHEDULE":
        _need(f"{field}.description", action.description, 100, what)
        begin = _time(f"{field}.begin_time", action.begin_time)
        end = _time(f"{field}.end_time", action.end_time)
        if end < begin:
            raise _invalid(f"{field}.end_time", "must not be before begin_time")
    elif action_type == "OPEN_MAP":
        _need(f"{field}.address", action.address, 100, what)
        _coordinate(f"{field}.longitude", action.longitude, 180)
        _coordinate(f"{field}.latitude", action.latitude, 90)
    elif action_type == "OPEN_POPUP":
        _need(f"{field}.content", action.content, 100, what)
        _need(f"{field}.text_button", action.text_button, 12, what)
        if action.mode == 1:
            raise _invalid(f"{field}.mode", "non-modal pop-ups (mode 1) are not supported; use 0")
    elif action_type == "OPEN_APP":
        _need(f"{field}.package_name", action.package_name, 50, what)
        floor = action.floor_type or 0
        for maker in makers:
            if floor in FLOOR_NOT_SUPPORTED.get(maker, ()):
                raise _invalid(f"{field}.floor_type", f"{maker} does not support floor_type {floor}", ACTION_MAKER)
        if floor == 2 and "OPPO" in makers and not action.floor_url:
            raise Refusal(EMPTY, f"{field}.floor_url", "is required with floor_type 2 when OPPO is chosen")
        if action.floor_url:
            if action.floor_url.lower().startswith("http://") and floor != 2:
                raise _invalid(f"{field}.floor_type", "a plain http floor_url needs floor_type 2 (system browser)")
            if not re.match(r"^(https?|hap)://", action.floor_url, re.IGNORECASE):
                raise _invalid(f"{field}.floor_url", "must be an https H5 URL or a quick-app link hap://...")


def _time(field: str, value: str | None) -> datetime:
    if not value:
        raise Refusal(EMPTY, field, "is required for OPEN_SCHEDULE")
    try:
        return datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        raise _invalid(field, "must be yyyy-MM-dd HH:mm:ss") from None


def _coordinate(field: str, value: str | None, bound: int) -> None:
    if not value:
        raise Refusal(EMPTY, field, "is required for OPEN_MAP")
    try:
        number = float(value)
    except ValueError:
        raise _invalid(field, f"must be a number between -{bound} and {bound}") from None
    if not -bound <= number <= bound:
        raise _invalid(field, f"must be between -{bound} and {bound}")


def _used_strings(req: CreateTemplate) -> Iterator[tuple[str, str]]:
    for p, page in enumerate(req.pages):
        for c, item in enumerate(page.contents):
            field = f"pages[{p}].contents[{c}]"
            for name in ("content", "content_child"):
                value = getattr(item, name)
                if value:
                    yield f"{field}.{name}", value
            if item.action is not None:
                for name, value in item.action.model_dump(exclude_none=True).items():
                    if isinstance(value, str):
                        yield f"{field}.action.{name}", value


def _params(req: CreateTemplate) -> tuple[str, ...]:
    declared: dict[str, int] = {}
    for i, param in enumerate(req.params or []):
        if not PARAM.fullmatch(param.name):
            raise _invalid(f"params[{i}].name", "must be ${name} with letters, digits or _ (at most 20 characters in all)", PARAMS)
        if param.name in declared:
            raise _invalid(f"params[{i}].name", f"{param.name} is declared twice", PARAMS)
        declared[param.name] = i
    used: set[str] = set()
    for field, value in _used_strings(req):
        broken = BROKEN_PARAM.search(value)
        if broken:
            raise _invalid(field, f"has a malformed parameter {broken.group(0)!r}: write ${{name}}", PARAMS)
        for m in PARAM.finditer(value):
            name = m.group(0)
            if name not in declared:
                raise _invalid(field, f"uses {name}, which params does not declare", PARAMS)
            used.add(name)
    for name, i in declared.items():
        if name not in used:
            raise _invalid(f"params[{i}].name", f"{name} is declared but used nowhere in the card", PARAMS)
    return tuple(declared)


def _opt_out(req: CreateTemplate) -> None:
    texts = [v for _, v in _used_strings(req)] + [req.sms_example or "", req.sms_template or ""]
    if not any(has_opt_out(t) for t in texts):
        raise Refusal(OPT_OUT, "pages", "the card must carry the opt-out text, e.g. " + " / ".join(OPT_OUT_EXAMPLES)
                      + " (in a text, a button or sms_example)")


def sms_template_length(template: str) -> int:
    """Static text plus each placeholder's maximum (VIVO's rule)."""
    return len(SMS_TOKEN.sub("", template)) + sum(int(m.group(3)) for m in SMS_TOKEN.finditer(template))


def _vivo(req: CreateTemplate) -> None:
    signs = req.sms_signs or []
    if not signs:
        raise Refusal(VIVO_RULES, "sms_signs", "is required when VIVO is chosen (1 to 3 signatures)")
    for i, sign in enumerate(signs):
        if not 1 <= len(sign.strip()) <= 20:
            raise _invalid(f"sms_signs[{i}]", "must be 1 to 20 characters", VIVO_RULES)
        if sign.startswith(("【", "[")):
            raise _invalid(f"sms_signs[{i}]", "give the signature without its brackets", VIVO_RULES)
    template = req.sms_template or ""
    if not template.strip():
        raise Refusal(VIVO_RULES, "sms_template", "is required when VIVO is chosen (the SMS text with typed placeholders)")
    for m in SMS_TOKEN_LIKE.finditer(template):
        token = SMS_TOKEN.fullmatch(m.group(0))
        if token is None:
            raise _invalid("sms_template", f"placeholder {m.group(0)!r} must look like [文本0-20], [字母0-20] or [数字0-4]", VIVO_RULES)
        low, high = int(token.group(2)), int(token.group(3))
        if low > high or high > SMS_TOKEN_MAX:
            raise _invalid("sms_template", f"placeholder {m.group(0)!r} needs min <= max <= {SMS_TOKEN_MAX}", VIVO_RULES)
    length = sms_template_length(template)
    if length > SMS_TEMPLATE_MAX:
        raise _invalid("sms_template", f"static text plus placeholder maxima must be at most {SMS_TEMPLATE_MAX} characters; it is {length}",
                       VIVO_RULES)


def rate_matches(width: int, height: int, image_rate: str, tolerance: float) -> bool:
    """Whether ``width x height`` has the ratio ``image_rate`` within ``tolerance``
    (relative difference of width/height, e.g. 0.02 = 2 %)."""
    rw, rh = IMAGE_RATES[image_rate]
    want = rw / rh
    return abs(width / height - want) <= tolerance * want
