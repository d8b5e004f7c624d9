"""The sandbox carrier (the embedded default channel) and its virtual
handsets.  See :mod:`.carrier`, :mod:`.magic` and docs/sandbox.md."""

from __future__ import annotations

import uuid

from tidings.channels.base import ChannelEvents, Uplink
from tidings.domain.numbers import normalize
from tidings.timeutil import utcnow

from .carrier import NAME, SandboxCarrier, SandboxConfig
from .magic import behaviour, card_capable

MAX_REPLY_LENGTH = 500


class ReplyError(ValueError):
    pass


async def reply_from_handset(events: ChannelEvents, from_number: str, to_channel_num: str, text: str) -> str:
    """A virtual handset answers: the uplink goes to ``events`` (the pipeline's
    intake) exactly like a carrier's, which stores it and routes it to the
    application owning ``to_channel_num``.  Returns the uplink id
    (``smsMsgId``).  ``from_number`` may be written any way the send API
    accepts; international handsets are allowed here."""
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
    await events.on_uplinks([Uplink(source=source, destination=dest, text=text, received_at=utcnow(), channel=NAME, id=uid)])
    return uid


__all__ = ["NAME", "SandboxCarrier", "SandboxConfig", "ReplyError", "behaviour", "card_capable", "reply_from_handset"]
