"""Characters no free text may carry: C0 and C1 controls (line feed excepted
where the field allows it), DEL, bidirectional overrides, embeddings, isolates
and marks, and lone surrogates.

A NUL or ESC in an SMS reaches handsets and terminals as it is; a right-to-left
override (U+202E) makes ``gnp.exe`` read as ``exe.png``; a lone surrogate
cannot be encoded as UTF-8 at all and fails later, far from the request.
Pure: used by the template variable check (a per-number refusal) and by the
API's guard on every other free-text field (a 400 naming the field).
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_FORBIDDEN_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

RULE = "must not contain control characters, bidirectional overrides or lone surrogates"


def forbidden_character(value: str, *, allow_newline: bool = True) -> str | None:
    """``U+XXXX`` of the first forbidden character in ``value``, or None."""
    m = (_FORBIDDEN if allow_newline else _FORBIDDEN_OR_NEWLINE).search(value)
    return f"U+{ord(m.group()):04X}" if m else None
