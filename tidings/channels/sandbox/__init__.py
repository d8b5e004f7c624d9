"""The sandbox carrier (the embedded default channel) and its virtual
handsets.  See :mod:`.carrier`, :mod:`.magic` and docs/sandbox.md."""

from __future__ import annotations

import uuid

from tidings.channels.base import Uplink
from tidings.context import AppContext
from tidings.domain.numbers import normalize
from tidings.timeutil import utcnow

from .carrier import NAME, SandboxCarrier, SandboxConfig
from .magic import behaviour, card_capable

MAX_REPLY_LENGTH = 500


class ReplyError(ValueError):
    pass


async def reply_from_handset(ctx: AppContext, from_number: str, to_channel_num: str, text: str) -> str:
    """A virtual handset answers: store the uplink and route it exactly like a
    carrier's (to the application owning ``to_channel_num``).  Returns the
    uplink id (``smsMsgId``).  ``from_number`` may be written any way the send
    API accepts; international handsets are allowed here."""
    from tidings.dispatch.intake import store_uplinks

    try:
        source = normalize(from_number.strip(), international=True)
    except ValueError as exc:
        raise ReplyError(f"from: {exc}") from None
    dest = (to_channel_num or "").strip()
    if not dest.isdigit() or len(dest) > 21:
        raise ReplyError("to: a channel number is 1-21 digits")
    if not text or not text.strip():
        raise ReplyError("text must not be empty")
    if len(text) > MAX_REPLY_LENGTH:
        raise ReplyError(f"text must be at most {MAX_REPLY_LENGTH} characters")
    uid = str(uuid.uuid4())
    await store_uplinks(ctx, [Uplink(source=source, destination=dest, text=text, received_at=utcnow(), channel=NAME)], [uid])
    return uid


__all__ = ["NAME", "SandboxCarrier", "SandboxConfig", "ReplyError", "behaviour", "card_capable", "reply_from_handset"]
