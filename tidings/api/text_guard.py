"""Every free-text field of every request is refused with 400 naming the
field when it carries a control character (line feed allowed), a
bidirectional override or a lone surrogate (:mod:`tidings.domain.text`):
query parameters, JSON bodies and URL-encoded forms alike, before
authentication, before anything is stored.

Per-recipient values are skipped here, so one recipient's bad value does not
refuse the other numbers of the request: the SMS send operations refuse
``template_params`` per number (``E200028``), as KooMessage does; the
smart-message send task refuses ``sms_params`` per number (``E200028``) and
``dync_params`` per link (``failed_short_chains``), and ``create_resolve_task``
``dync_params`` per link (docs/smart-messages.md).  An operation whose such
field applies to every number (the send flow) checks it itself.

Cheap on the hot path: the raw body is first searched for anything that could
decode to such a character (a JSON escape, a C1 or bidi byte sequence, DEL);
only a body containing one is walked, and FastAPI's parse is reused.  That
search starts with the bytes such a sequence begins with (``memchr`` per byte,
~0.3 ms for a 2.7 MB material upload, where the regular expression alone took
~6 ms): a body with none of them cannot match.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from tidings.domain.text import RULE, forbidden_character
from tidings.errors import invalid

PER_NUMBER_FIELDS = frozenset({"template_params", "sms_params", "dync_params"})

_SUSPECT = re.compile(rb"\\[bfnrtu]|\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
# The first byte of every alternative of _SUSPECT.
_SUSPECT_FIRST = (b"\\", b"\x7f", b"\xc2", b"\xd8", b"\xe2")


def suspect(body: bytes) -> bool:
    """Whether ``body`` may hold a forbidden character (then it is parsed and walked)."""
    return any(first in body for first in _SUSPECT_FIRST) and _SUSPECT.search(body) is not None


def _check(field: str, value: str) -> None:
    if (bad := forbidden_character(value)) is not None:
        raise invalid(field or "body", f"{RULE} (found {bad})")


def _walk(value: Any, path: str) -> None:
    if isinstance(value, str):
        _check(path, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in PER_NUMBER_FIELDS:
                continue
            _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]")


async def refuse_control_characters(request: Request) -> None:
    for name, value in request.query_params.multi_items():
        _check(name, value)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        for name, field in form.multi_items():
            if isinstance(field, str):
                _check(name, field)
        return
    if "json" not in content_type:
        return
    body = await request.body()
    if not suspect(body):
        return
    try:
        data = await request.json()
    except ValueError:
        return  # not JSON: the operation's own parsing answers that
    _walk(data, "")
