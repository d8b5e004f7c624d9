"""Recipient numbers: what a send request may name, and the one form we store.

Rules (openapi.json, ``to``): at most 21 characters; mainland China mobile
numbers with ``+86`` optional; other countries only where the operator enables
an international route for the tenant (``settings["international"]``).

Accepted spellings of a mainland number: ``13800138000``, ``+8613800138000``,
``8613800138000``, ``008613800138000``.  Anything else must be written in
international form (``+<country code><number>`` or ``00<country code>...``).
Only digits after the optional ``+``/``00``: no spaces, dashes or brackets
(a careful client sends a clean number; guessing at formatting hides bugs).

The stored and routed form is E.164 without ``+`` (``8613800138000``): what
SMPP carriers expect as a destination address and what the virtual phone uses
in its URL.

Validity comes from ``phonenumbers``' metadata.  The mainland mobile check is
on the hot path (500 numbers a request, thousands a second), so it matches the
library's own CN mobile pattern directly (~1 µs) instead of running the full
parser (~30 µs); every other country goes through the parser.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

MAX_LENGTH = 21
CN_CODE = "86"


def _cn_mobile_pattern() -> str:
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    pattern = meta.mobile.national_number_pattern if meta is not None and meta.mobile is not None else None
    if pattern is None:  # phonenumbers ships CN's metadata; without it nothing here works
        raise RuntimeError("phonenumbers has no mobile pattern for CN")
    return str(pattern)


_CN_MOBILE = re.compile(_cn_mobile_pattern())
_DIGITS = re.compile(r"[0-9]+")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class NumberError(ValueError):
    """The number cannot be sent to; the message says why."""


def normalize(raw: str, *, international: bool = False) -> str:
    """``raw`` as E.164 digits without ``+``, or :class:`NumberError`."""
    if not isinstance(raw, str) or not raw:
        raise NumberError("the number is empty")
    if len(raw) > MAX_LENGTH:
        raise NumberError(f"the number is longer than {MAX_LENGTH} characters")
    if raw.startswith("+"):
        digits, explicit = raw[1:], True
    elif raw.startswith("00"):
        digits, explicit = raw[2:], True
    else:
        digits, explicit = raw, False
    if not _DIGITS.fullmatch(digits):
        raise NumberError("the number may contain only digits after an optional leading +")

    if not explicit:
        if len(digits) == 11 and digits[0] == "1":
            national = digits
        elif len(digits) == 13 and digits.startswith("861"):
            national = digits[2:]
        else:
            raise NumberError("not a mainland China mobile number; write other numbers as +<country code><number>")
        if not _CN_MOBILE.fullmatch(national):
            raise NumberError("not a valid mainland China mobile number")
        return CN_CODE + national

    if digits.startswith(CN_CODE):
        national = digits[2:]
        if not _CN_MOBILE.fullmatch(national):
            raise NumberError("not a valid mainland China mobile number")
        return digits
    if not international:
        raise NumberError("international numbers are not enabled for this account")
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise NumberError("not a valid international number") from None
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise NumberError("not a valid mobile number")
    return f"{parsed.country_code}{parsed.national_number}"


def is_mainland(e164: str) -> bool:
    return e164.startswith(CN_CODE) and len(e164) == 13


def display(e164: str) -> str:
    """How people write it: the 11 digits for mainland numbers, ``+...`` otherwise."""
    return e164[2:] if is_mainland(e164) else "+" + e164
