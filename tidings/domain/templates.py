"""SMS template rules (pure): ``${n}`` variables, their types and value
limits, opt-out wording for marketing, rendering.

Value limits per variable type follow the ``template_params`` description in
openapi.json; where it is silent Tidings decides (docs/sms-configuration.md):

=========  ======  ===========================================================
type       length  allowed characters
=========  ======  ===========================================================
PHONE      1-15    digits, ``+``, ``-`` (mobile, landline, 95/400/800 numbers)
CHARDIGIT  1-20    ASCII letters and digits only (codes, order numbers)
DATETIME   1-20    digits, ``- / : .`` space and 年月日时分秒点号
MONEY      1-20    digits, ``.``, Chinese numerals (IP addresses pass too)
TEXT       1-20    anything except ``. 。 ' < > { }``
NEWTEXT    1-100   a short link (Tidings' choice: custom domains are longer)
=========  ======  ===========================================================

No value may carry a control character, a bidirectional override or a lone
surrogate (:mod:`tidings.domain.text`); a line feed only in ``TEXT``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tidings.domain.text import RULE, forbidden_character

TEMPLATE_TYPES = ("NOTIFY_TYPE", "PROMOTION_TYPE")
VARIABLE_TYPES = ("PHONE", "NEWTEXT", "CHARDIGIT", "DATETIME", "MONEY", "TEXT")
MAX_VARIABLES = 20

MAX_LENGTH: dict[str, int] = {
    "PHONE": 15,
    "CHARDIGIT": 20,
    "DATETIME": 20,
    "MONEY": 20,
    "TEXT": 20,
    "NEWTEXT": 100,
}

_PLACEHOLDER = re.compile(r"\$\{(\d+)\}")
# Malformed placeholders a user most likely meant as variables: ${}, ${a}, $ {1}.
_BROKEN_PLACEHOLDER = re.compile(r"\$\{(?!\d+\})[^}]*\}?")

_CHARSETS: dict[str, re.Pattern[str]] = {
    "PHONE": re.compile(r"^\+?[0-9][0-9\-]*$"),
    "CHARDIGIT": re.compile(r"^[A-Za-z0-9]+$"),
    "DATETIME": re.compile(r"^[0-9\-/:. 年月日时分秒点号]+$"),
    "MONEY": re.compile(r"^[0-9.零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟萬億]+$"),
    "TEXT": re.compile(r"^[^.。'<>{}]+$"),
    "NEWTEXT": re.compile(r"^\S+$"),
}
_CHARSET_WORDS = {
    "PHONE": "digits, + and - only",
    "CHARDIGIT": "letters and digits only",
    "DATETIME": "digits, - / : . and 年月日时分秒点号 only",
    "MONEY": "digits, a decimal point and Chinese numerals only",
    "TEXT": "no . 。 ' < > { }",
    "NEWTEXT": "a link without spaces",
}

# Accepted opt-out wordings for PROMOTION_TYPE content (matched without spaces,
# case-insensitive): "回T退订", "回TD退订", "拒收请回复R", "回N退订", "退订回T" ...
_OPT_OUT = re.compile(r"(回复?(T|TD|N|R|0)(退订|取关|拒收))|(拒收请回复?(R|T|TD))|(退订回复?(T|TD|N|R|0))", re.IGNORECASE)
OPT_OUT_EXAMPLES = ("回T退订", "回TD退订", "拒收请回复R", "退订回T", "回T取关")


@dataclass(frozen=True, slots=True)
class TemplateVariable:
    index: int  # 1-based, ${index}
    type: str  # PHONE | NEWTEXT | CHARDIGIT | DATETIME | MONEY | TEXT
    max_length: int  # the length limit for this variable's value


@dataclass(frozen=True, slots=True)
class SendTemplate:
    template_id: str
    tenant_id: str
    template_type: str  # NOTIFY_TYPE | PROMOTION_TYPE
    content: str  # with ${1}.. placeholders
    variables: tuple[TemplateVariable, ...]
    adopted: bool  # flow_status == Adopted
    signature_id: str
    signature_name: str
    signature_approved: bool  # REVIEW_PASSED
    channel_num: str | None  # the signature's channel number
    app_id: str
    app_status: str  # CREATED | LAUNCHED | SUSPENDED


@dataclass(frozen=True, slots=True)
class DeclaredVariable:
    """One entry of ``variable_attributes`` as the client sent it."""

    index: int
    type: str
    desc: str = ""


def placeholders(content: str) -> list[int]:
    """The distinct variable indexes used in ``content``, in order of first use."""
    seen: list[int] = []
    for m in _PLACEHOLDER.finditer(content):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def check_definition(content: str, declared: list[DeclaredVariable], template_type: str) -> str | None:
    """Why a template definition is invalid, or None.  Content variables must
    be ``${1}..${n}`` without gaps, each declared exactly once with a known
    type (TEXT with a description), and nothing declared that is not used."""
    broken = _BROKEN_PLACEHOLDER.search(content)
    if broken:
        return f"template_content has a malformed variable {broken.group(0)!r}: write variables as ${{1}}, ${{2}} ..."
    used = placeholders(content)
    if len(used) > MAX_VARIABLES:
        return f"template_content has {len(used)} variables; at most {MAX_VARIABLES} are allowed"
    if used and sorted(used) != list(range(1, len(used) + 1)):
        return f"template_content variables must be numbered ${{1}}..${{{len(used)}}} without gaps; found {', '.join(f'${{{n}}}' for n in sorted(used))}"
    seen: set[int] = set()
    for i, var in enumerate(declared):
        field = f"variable_attributes[{i}]"
        if var.index in seen:
            return f"{field}.variable_index {var.index} is declared twice"
        seen.add(var.index)
        if var.type not in VARIABLE_TYPES:
            return f"{field}.variable_type must be one of {', '.join(VARIABLE_TYPES)}"
        if var.type == "TEXT" and not var.desc.strip():
            return f"{field}.variable_desc is required when variable_type is TEXT"
        if var.index not in used:
            return f"{field}.variable_index {var.index} does not appear in template_content as ${{{var.index}}}"
    missing = [n for n in used if n not in seen]
    if missing:
        return f"variable_attributes must declare ${{{missing[0]}}} used in template_content"
    if template_type == "PROMOTION_TYPE" and not has_opt_out(content):
        return "template_content of a PROMOTION_TYPE template must carry opt-out wording such as " + " / ".join(OPT_OUT_EXAMPLES[:3])
    return None


def has_opt_out(content: str) -> bool:
    return _OPT_OUT.search(content.replace(" ", "")) is not None


def variables_of(declared: list[DeclaredVariable]) -> tuple[TemplateVariable, ...]:
    return tuple(sorted((TemplateVariable(v.index, v.type, MAX_LENGTH[v.type]) for v in declared), key=lambda v: v.index))


def check_params(variables: tuple[TemplateVariable, ...] | list[TemplateVariable], params: list[str]) -> str | None:
    """None when ``params`` fill the variables, else a reason naming the
    variable and its limit."""
    if len(params) != len(variables):
        return f"template_params has {len(params)} values but the template has {len(variables)} variables"
    for var, value in zip(sorted(variables, key=lambda v: v.index), params, strict=True):
        name = f"template_params[{var.index - 1}] (${{{var.index}}}, {var.type})"
        if not isinstance(value, str) or not value:
            return f"{name} must not be empty"
        if len(value) > var.max_length:
            return f"{name} must be at most {var.max_length} characters"
        if (bad := forbidden_character(value, allow_newline=var.type == "TEXT")) is not None:
            return f"{name} {RULE} (found {bad})"
        pattern = _CHARSETS.get(var.type)
        if pattern is not None and not pattern.match(value):
            return f"{name} allows {_CHARSET_WORDS[var.type]}"
    return None


def render(content: str, params: list[str]) -> str:
    """Fill ``${n}`` with ``params[n-1]``; a placeholder without a value stays."""

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return params[n - 1] if 0 < n <= len(params) else m.group(0)

    return _PLACEHOLDER.sub(sub, content)


def is_code_template(t: SendTemplate) -> bool:
    """A verification-code template: a notification whose only variable is
    one CHARDIGIT value (the code)."""
    return t.template_type == "NOTIFY_TYPE" and len(t.variables) == 1 and t.variables[0].type == "CHARDIGIT"


def full_text(signature_name: str, rendered: str) -> str:
    """What the handset shows."""
    return f"【{signature_name}】{rendered}"
