"""The one channel interface every carrier plugs into.

The dispatcher hands a channel batches of :class:`OutboundMessage` and gets one
:class:`SubmitResult` per message back.  What comes back later from the carrier
(delivery reports, uplink) is pushed into :class:`ChannelEvents`, which the
pipeline implements by storing it.  A channel never touches the database itself:
that keeps the sandbox, SMPP and any later carrier interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Sequence


@dataclass(slots=True)
class OutboundMessage:
    message_id: str  # our id (msg_id on the wire)
    tenant_id: str
    source: str  # the sender: the signature's channel number
    destination: str  # E.164 digits without '+', e.g. 8613800138000
    text: str  # full text including the 【signature】
    parts: int  # as counted by tidings.domain.sms_text; the channel must split into as many
    product: str = "sms"
    registered_delivery: bool = True
    attempt: int = 1


@dataclass(slots=True)
class SubmitResult:
    message_id: str
    ok: bool
    # One id per submitted part; receipts are matched by any of them.
    carrier_message_ids: list[str] = field(default_factory=list)
    # KooMessage vocabulary for a refusal (e.g. "MK:0001"); None when ok.
    error_code: str | None = None
    error_desc: str | None = None
    # True when a retry may succeed (throttled, peer down); False for a final refusal.
    transient: bool = False
    # The carrier may or may not have taken it (the connection dropped with the
    # submit in flight).  Neither a failure nor a success: the pipeline marks the
    # message `unknown` and resolves it by the channel's delivery setting.
    outcome_unknown: bool = False


@dataclass(slots=True)
class DeliveryReport:
    # Either our id (channels that know it, like the sandbox) or the carrier's id.
    message_id: str | None
    carrier_message_id: str | None
    status: str  # "DELIVRD" or a carrier code in KooMessage's vocabulary
    description: str
    done_at: datetime
    channel: str = ""


@dataclass(slots=True)
class Uplink:
    source: str  # the handset that replied, E.164 digits
    destination: str  # our channel number (maybe with an extension)
    text: str
    received_at: datetime
    channel: str = ""
    carrier_ref: str | None = None


class ChannelEvents(Protocol):
    """Implemented by the pipeline. A channel awaits these before it acknowledges
    anything to the carrier, so an acknowledged report is always a stored one."""

    async def on_reports(self, reports: Sequence[DeliveryReport]) -> None: ...

    async def on_uplinks(self, uplinks: Sequence[Uplink]) -> None: ...


class Channel(Protocol):
    name: str
    # True when submit() confirms atomically with the caller's transaction (the
    # sandbox); False for remote carriers, where a crash mid-submit leaves the
    # outcome unknown (see docs/delivery-guarantee.md).
    confirms_in_transaction: bool

    async def start(self, events: ChannelEvents) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitResult]: ...
