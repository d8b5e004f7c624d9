"""The one card renderer: a template's stored ``pages`` (KooMessage's editor
format, cards.md §4) plus one recipient's variable values -> HTML.

A pure function, so every place a card is shown draws it the same way: the
preview page (reviewers, tenants), the card page behind a short link, the
virtual phone and the console.  The caller supplies ``resolve``, which turns an
image or video ``src`` (a material id or a URL) into the URL the page may use,
so materials are served only through paths the caller controls.

What it guarantees:
- every piece of template text and every variable value is HTML-escaped
  (Jinja autoescape; the reference preview renders ``item.text`` as HTML, we
  never do); ``${name}`` is filled from ``values`` and left visible when the
  recipient has no value, so a reviewer sees what is missing;
- style values from the template are filtered to a list of properties and a
  character set that cannot open ``url(...)``, a new declaration or a tag;
- links carry only schemes the action allows (no ``javascript:`` target);
- the page is scaled to the requested width like the reference preview
  (``scale = width / canvas width``, origin top left, cards.md §5).

The HTML needs :data:`CARD_CSS` and :data:`CARD_JS` (shipped in
``tidings/aim/static/``) on the page; :func:`render_document` wraps a card
into a standalone page with both inlined.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape
from markupsafe import Markup, escape

Resolver = Callable[[str], "str | None"]

_HERE = Path(__file__).parent
CARD_CSS = (_HERE / "static" / "card.css").read_text(encoding="utf-8")
CARD_JS = (_HERE / "static" / "card.js").read_text(encoding="utf-8")

# The editor's design canvas when a page does not say (cards.md §4 example).
CANVAS_WIDTH = 342
CANVAS_HEIGHT = 456


class CardError(ValueError):
    """The stored pages cannot be drawn (not JSON, or no page)."""


# ---------------------------------------------------------------- variables

_VAR = re.compile(r"\$\{([^}]{1,64})\}")


def fill(text: Any, values: Mapping[str, str]) -> str:
    """``${name}`` -> the recipient's value; unknown names stay as written."""
    if text is None:
        return ""
    text = str(text)
    if "${" not in text:
        return text
    return _VAR.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


# Characters a variable value may keep inside a URL; the query separators
# (& = ? #) and spaces are encoded so a value cannot add parameters.
_URL_VALUE_SAFE = "/:@-._~!$'()*+,;"


def fill_url(target: Any, values: Mapping[str, str]) -> str:
    """Fill a URL template.  A placeholder that is the whole target is a whole
    URL (inserted as is, then checked like any URL); inside a URL a value is
    percent-encoded."""
    target = str(target or "").strip()
    whole = _VAR.fullmatch(target)
    if whole:
        return str(values.get(whole.group(1), target))
    return _VAR.sub(
        lambda m: quote(str(values[m.group(1)]), safe=_URL_VALUE_SAFE) if m.group(1) in values else m.group(0),
        target,
    )


# ------------------------------------------------------------------- styles

# Editor style keys (camelCase) the card may set; geometry comes from x/y/w/h.
_STYLE_KEYS = {
    "color", "backgroundColor", "fontSize", "fontWeight", "fontStyle", "fontFamily", "textAlign",
    "lineHeight", "letterSpacing", "textDecoration", "opacity", "borderRadius", "border", "borderColor",
    "borderWidth", "borderStyle", "padding", "paddingTop", "paddingBottom", "paddingLeft", "paddingRight",
    "verticalAlign", "whiteSpace", "textIndent", "boxShadow", "overflow",
}  # fmt: skip
_UNITLESS = {"opacity", "fontWeight", "lineHeight"}
# No quotes, colons, semicolons, braces or angle brackets: a value cannot end
# the declaration, open a url() with a scheme, or leave the attribute.
_SAFE_VALUE = re.compile(r"^[#\w\s.,%()+\-/]{0,80}$")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _kebab(key: str) -> str:
    return _CAMEL.sub("-", key).lower()


def css(style: Any) -> str:
    """The allowed part of an editor ``style`` object as a CSS declaration list."""
    if not isinstance(style, Mapping):
        return ""
    out = []
    for key, value in style.items():
        if key not in _STYLE_KEYS or value is None or value == "":
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            text = f"{value:g}" if key in _UNITLESS else f"{value:g}px"
        else:
            text = str(value).strip()
            if not _SAFE_VALUE.match(text) or "url" in text.lower() or "expression" in text.lower():
                continue
        out.append(f"{_kebab(key)}:{text}")
    return ";".join(out)


def _num(value: Any, default: float = 0) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return default


def _px(value: float) -> str:
    return f"{value:g}px"


def shown(flag: Any) -> bool:
    """The editor writes visibility as booleans, 0/1 or words; absent means shown."""
    if flag is None or isinstance(flag, Undefined):
        return True
    if isinstance(flag, str):
        return flag.strip().lower() not in {"false", "0", "hidden", "none", "no", ""}
    return bool(flag)


# ------------------------------------------------------------------ actions

_WEB = ("http://", "https://")
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:", "file:", "blob:")


def _ev(event: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = event.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


@dataclass
class Action:
    """What clicking a component does, as HTML attributes.  ``href`` is set
    when a plain link does the job (navigation, tel:, sms:, mailto:, the
    calendar file, the map); the rest is done by card.js from ``data``."""

    kind: str
    href: str = ""
    new_window: bool = False
    download: str = ""
    data: dict[str, str] = field(default_factory=dict)


def attrs(a: Action | None) -> Markup:
    """The HTML attributes of a clickable component (escaped)."""
    if a is None:
        return Markup("")
    out = []
    if a.href:
        out.append(f' href="{escape(a.href)}"')
        if a.download:
            out.append(f' download="{escape(a.download)}"')
        if a.new_window:
            out.append(' target="_blank" rel="noopener noreferrer"')
    else:
        out.append(' role="button" tabindex="0"')
    out.append(f' data-action="{escape(a.kind)}"')
    out.extend(f' data-{key}="{escape(value)}"' for key, value in a.data.items() if value)
    return Markup("".join(out))


def tag(a: Action | None) -> str:
    """A link when a plain link does the job, else a div card.js handles."""
    return "a" if a is not None and a.href else "div"


def _web(url: str) -> str:
    return url if url.lower().startswith(_WEB) else ""


def _deeplink(url: str) -> str:
    low = url.lower()
    if not url or ":" not in url or low.startswith(_UNSAFE_SCHEMES):
        return ""
    return url


def _ics_time(text: str) -> str:
    digits = re.sub(r"\D", "", text)[:14]
    if len(digits) < 12:
        return ""
    digits = digits.ljust(14, "0")
    return f"{digits[:8]}T{digits[8:]}"


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_file(title: str, description: str, begin: str, end: str, location: str = "") -> str:
    """A one-event iCalendar file (RFC 5545) in the handset's local time."""
    start = _ics_time(begin)
    stop = _ics_time(end) or start
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tidings//card//EN",
        "BEGIN:VEVENT",
        f"UID:{abs(hash((title, begin, end)))}@tidings",
        f"DTSTAMP:{start or '19700101T000000'}Z",
        f"SUMMARY:{_ics_text(title)}",
    ]
    if start:
        lines += [f"DTSTART:{start}", f"DTEND:{stop}"]
    if description:
        lines.append(f"DESCRIPTION:{_ics_text(description)}")
    if location:
        lines.append(f"LOCATION:{_ics_text(location)}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def _floor(event: Mapping[str, Any], values: Mapping[str, str], package: str) -> str:
    """Where OPEN_APP goes when the app is not installed (cards.md §3 floor_type)."""
    floor_type = _ev(event, "floorType", "floor_type") or "0"
    url = fill_url(_ev(event, "floorUrl", "floor_url", "browserFloorUrl"), values)
    if floor_type in {"1", "2"}:
        return _web(url)
    if floor_type == "3":
        return _deeplink(url)
    return f"market://details?id={quote(package, safe='.')}" if package else ""


def action(event: Any, values: Mapping[str, str], resolve: Resolver) -> Action | None:
    """The wired click of an editor ``event`` (None when there is none)."""
    if not isinstance(event, Mapping):
        return None
    kind = str(event.get("action") or "").strip().upper()
    if not kind:
        return None
    target = _ev(event, "target")
    if kind in {"OPEN_URL", "OPEN_BROWSER"}:
        return Action(kind, href=_web(fill_url(target, values)), new_window=kind == "OPEN_BROWSER")
    if kind == "DIAL_PHONE":
        return Action(kind, href="tel:" + quote(fill(target, values), safe="+"))
    if kind == "OPEN_SMS":
        body = fill(_ev(event, "body"), values)
        href = "sms:" + quote(fill(target, values), safe="+")
        return Action(kind, href=href + (f"?body={quote(body, safe='')}" if body else ""))
    if kind == "OPEN_EMAIL":
        query = [
            f"{key}={quote(text, safe='')}"
            for key, text in (("subject", fill(_ev(event, "subject"), values)), ("body", fill(_ev(event, "body"), values)))
            if text
        ]
        address = quote(fill(target, values), safe="@+.")
        return Action(kind, href=f"mailto:{address}" + ("?" + "&".join(query) if query else ""))
    if kind == "OPEN_SCHEDULE":
        ics = calendar_file(
            fill(target, values),
            fill(_ev(event, "description", "content"), values),
            _ev(event, "beginTime", "begin_time"),
            _ev(event, "endTime", "end_time"),
        )
        return Action(kind, href="data:text/calendar;charset=utf-8," + quote(ics, safe=""), download="event.ics")
    if kind == "OPEN_MAP":
        place = fill(target, values)
        address = fill(_ev(event, "address", "content"), values)
        lat, lon = _ev(event, "latitude"), _ev(event, "longitude")
        try:
            lat_f, lon_f = float(lat), float(lon)
        except ValueError:
            search = quote(" ".join(x for x in (place, address) if x), safe="")
            return Action(kind, href=f"https://www.openstreetmap.org/search?query={search}", new_window=True,
                          data={"geo": f"geo:0,0?q={search}"})  # fmt: skip
        la, lo = repr(lat_f), repr(lon_f)  # every digit given, nothing but a number
        return Action(
            kind,
            href=f"https://www.openstreetmap.org/?mlat={la}&mlon={lo}#map=17/{la}/{lo}",
            new_window=True,
            data={"geo": f"geo:{la},{lo}?q={la},{lo}({quote(place, safe='')})"},
        )
    if kind == "OPEN_POPUP":
        return Action(kind, data={
            "title": fill(target, values),
            "content": fill(_ev(event, "content", "description"), values),
            "button": fill(_ev(event, "txtButton", "text_button", "textButton"), values) or "OK",
        })  # fmt: skip
    if kind == "COPY_PARAMETER":
        return Action(kind, data={"copy": fill(target, values)})
    if kind == "VIEW_PIC":
        picture = resolve(fill(target, values)) if target else ""
        return Action(kind, href=picture or "", data={"pic": picture or ""})
    if kind == "OPEN_QUICK":
        link = _deeplink(fill_url(target, values))
        # hap://app/<package>/<path> has a web twin that opens the quick app
        # where the platform can, and its H5 elsewhere.
        floor = "https://hapjs.org/app/" + link[len("hap://app/"):] if link.startswith("hap://app/") else ""
        return Action(kind, href=link, data={"floor": floor})
    if kind == "OPEN_APP":
        package = _ev(event, "packageNames", "packageName", "package_name")
        return Action(kind, href=_deeplink(fill_url(target, values)),
                      data={"floor": _floor(event, values, package), "package": package})  # fmt: skip
    return Action(kind)


# ---------------------------------------------------------------- rendering

_ENV = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CARD = _ENV.get_template("card.html")
_DOCUMENT = _ENV.get_template("card_document.html")


def default_resolver(src: str) -> str | None:
    """Full web URLs only; material ids need the caller's resolver."""
    return src if src.lower().startswith(_WEB) else None


def parse_pages(pages: Any) -> list[dict]:
    if isinstance(pages, (str, bytes)):
        try:
            pages = orjson.loads(pages)
        except orjson.JSONDecodeError as exc:
            raise CardError(f"pages is not JSON: {exc}") from None
    if isinstance(pages, Mapping):
        pages = [pages]
    if not isinstance(pages, list) or not pages or not isinstance(pages[0], Mapping):
        raise CardError("pages holds no page")
    if not isinstance(pages[0].get("content"), list):
        raise CardError("the first page has no content list")
    return pages


class _Draw:
    """The helpers the template calls, bound to one recipient and resolver."""

    __slots__ = ("values", "resolve")

    def __init__(self, values: Mapping[str, str], resolve: Resolver):
        self.values = values
        self.resolve = resolve

    def text(self, node: Any) -> str:
        """A text of the template or of a nested ``{textValue}`` node, filled."""
        if isinstance(node, Mapping):
            if not shown(node.get("visibility")):
                return ""
            node = node.get("textValue", node.get("text"))
        return fill(node, self.values)

    def src(self, node: Any) -> str:
        if isinstance(node, Mapping):
            if not shown(node.get("visibility")):
                return ""
            node = node.get("src")
        if not node:
            return ""
        url = self.resolve(fill(node, self.values)) or ""
        low = url.lower()
        return url if low.startswith(_WEB) or url.startswith("/") or low.startswith("data:image/") else ""

    @staticmethod
    def slides(item: Mapping[str, Any]) -> list:
        """A sideslip's cards; the editor's export has used several names."""
        for name in ("list", "sideslipArr", "slides", "cardList"):
            value = item.get(name)
            if isinstance(value, list):
                return value
        return []

    def act(self, node: Any, own_src: str = "") -> Action | None:
        """The click of a component (or of a bare event).  VIEW_PIC without a
        target shows the image's own picture, larger."""
        event = node.get("event") if isinstance(node, Mapping) and "event" in node else node
        wired = action(event, self.values, self.resolve)
        if wired and wired.kind == "VIEW_PIC" and not wired.href and own_src:
            wired.href = own_src
            wired.data["pic"] = own_src
        return wired


def _box(item: Mapping[str, Any]) -> str:
    parts = [
        f"left:{_px(_num(item.get('x')))}",
        f"top:{_px(_num(item.get('y')))}",
        f"width:{_px(_num(item.get('w')))}",
        f"height:{_px(_num(item.get('h')))}",
        f"z-index:{int(_num(item.get('z')))}",
    ]
    angle = _num(item.get("angle"))
    if angle:
        parts.append(f"transform:rotate({angle:g}deg)")
    style = css(item.get("style"))
    if style:
        parts.append(style)
    return ";".join(parts)


def render_card(
    pages: Any,
    values: Mapping[str, str] | None = None,
    resolve: Resolver | None = None,
    *,
    width: int | None = None,
) -> Markup:
    """Draw the first page of ``pages`` (cards.md §5: only ``pages[0]`` is
    shown) ``width`` CSS pixels wide (default: the design canvas width)."""
    page = parse_pages(pages)[0]
    raw_style = page.get("style")
    style: Mapping[str, Any] = raw_style if isinstance(raw_style, Mapping) else {}
    canvas_w = _num(style.get("width"), CANVAS_WIDTH) or CANVAS_WIDTH
    canvas_h = _num(style.get("height"), CANVAS_HEIGHT) or CANVAS_HEIGHT
    scale = (width / canvas_w) if width else 1.0
    items = [
        (item, _box(item))
        for item in page.get("content") or []
        if isinstance(item, Mapping) and shown(item.get("visible"))
    ]
    # Backgrounds first, then by z: the order the editor stacks them.
    items.sort(key=lambda pair: (not (pair[0].get("isBgimg") or pair[0].get("isBg")), _num(pair[0].get("z"))))
    return Markup(
        _CARD.render(
            items=items,
            draw=_Draw(values or {}, resolve or default_resolver),
            canvas_w=canvas_w,
            canvas_h=canvas_h,
            scale=scale,
            card_id=str(page.get("cardId") or ""),
            px=_px,
            num=_num,
            attrs=attrs,
            tag=tag,
            shown=shown,
        )
    )


def render_document(card: Markup | str, *, title: str, lead: str = "", details: Mapping[str, str] | None = None) -> str:
    """A standalone HTML page around one card, with the card's CSS and JS inline."""
    return _DOCUMENT.render(card=card, title=title, lead=lead, details=details or {}, css=Markup(CARD_CSS), js=Markup(CARD_JS))
