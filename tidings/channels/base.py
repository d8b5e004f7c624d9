"""The one channel interface every carrier plugs into.

The dispatcher hands a channel batches of :class:`OutboundMessage` and gets one
:class:`SubmitResult` per message back.  What comes back later from the carrier
(delivery reports, uplink) is pushed into :class:`ChannelEvents`, which the
pipeline implements by storing it.  A channel maps the carrier's ids to ours
itself: a report it hands over names our message id and the part.  Everything
the dispatcher or the status pages read of a channel is declared on
:class:`Channel`; a channel that confirms its submits inside the dispatcher's
transaction (the sandbox) also implements :class:`TransactionalChannel`.

The database: a channel runs no SQL.  Outcomes, reports, uplinks and carrier
ids are stored by the dispatcher and the intake; what SMPP's receipt matcher
needs stored (it reads the carrier ids the dispatcher stored, and parks
receipts that arrive before their id is known, because an SMSC never sends a
receipt twice and any worker bound to the account may receive it) goes
through a store the pipeline hands it when the channel is built
(``tidings.store.carrier_ids.CarrierIdStore``, the ``ReceiptStore`` of
``smpp/matcher.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# What a channel carries (``Channel.carries``): the forms of message it can
# deliver, the capabilities a channel declares.  A product says which form its
# messages go out as (``Product.carried_as``); routing sends a product's
# messages only to channels that carry that form.  A new form (a video
# message, a card pushed natively) is a new name here.
TEXT = "text"  # a text SMS, concatenated into parts: SMS, and smart messages (an SMS carrying a card link)


@dataclass(slots=True)
class OutboundMessage:
    message_id: str  # our id (msg_id on the wire)
    tenant_id: str
    source: str  # the sender: the signature's channel number
    destination: str  # E.164 digits without '+', e.g. 8613800138000
    text: str  # full text including the 【signature】
    parts: int  # as counted by tidings.domain.sms_text; the channel must split into as many
    product: str  # the message's product (messages.product)
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
    # Our id.  Only a channel's own matching sees None (an SMPP receipt before
    # its carrier id is matched); ChannelEvents always gets our id.
    message_id: str | None
    carrier_message_id: str | None
    status: str  # "DELIVRD" or a carrier code in KooMessage's vocabulary
    description: str
    done_at: datetime
    channel: str = ""
    # Which part (from 1) the report is for, when the channel knows it; else
    # the pipeline takes the first part not yet reported.
    part: int | None = None


@dataclass(slots=True)
class Uplink:
    source: str  # the handset that replied, E.164 digits
    destination: str  # our channel number (maybe with an extension)
    text: str
    received_at: datetime
    channel: str = ""
    carrier_ref: str | None = None
    # The stored uplink's id (smsMsgId); the pipeline assigns one when None.
    id: str | None = None


@dataclass(slots=True)
class PendingMessage:
    """A message a :class:`TransactionalChannel` accepted and has not reported
    yet, as the pipeline hands it back after a restart or a takeover."""

    message_id: str
    destination: str
    parts: int
    submitted_at: datetime
    reported_parts: tuple[int, ...] = ()


class ChannelEvents(Protocol):
    """Implemented by the pipeline. A channel awaits these before it acknowledges
    anything to the carrier, so an acknowledged report is always a stored one."""

    async def on_reports(self, reports: Sequence[DeliveryReport]) -> None: ...

    async def on_uplinks(self, uplinks: Sequence[Uplink]) -> None: ...


class Channel(Protocol):
    name: str
    # The forms of message it carries (TEXT above).
    carries: frozenset[str]
    # True when submit() confirms atomically with the caller's transaction (the
    # sandbox, a TransactionalChannel); False for remote carriers, where a crash
    # mid-submit leaves the outcome unknown (see docs/delivery-guarantee.md).
    confirms_in_transaction: bool
    # True when the pipeline must store the carrier ids of accepted parts with
    # the submit's outcome (``message_carrier_ids``), because receipts name
    # only those and may reach another process or a restarted one (SMPP).
    persists_carrier_ids: bool
    # The validity of its messages in seconds; None: ``dispatch.validity_seconds``.
    validity_seconds: float | None
    # "resubmit" or "fail" for a submit whose outcome is unknown; None:
    # ``dispatch.unknown_policy``.
    unknown_policy: str | None
    # What an operator-defined channel was built from; the status compares it
    # with the stored definition to say ``restart_needed``.  None: built in.
    definition: tuple[object, ...] | None

    async def start(self, events: ChannelEvents) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitResult]: ...

    @property
    def started(self) -> bool:
        """Running in this process (an API-only process registers channels, never starts them)."""
        ...

    def is_up(self) -> bool:
        """Able to take submits now (bound, for SMPP); routing fails over when not."""
        ...

    def stats(self) -> dict[str, Any]: ...


class TransactionalChannel(Channel, Protocol):
    """A channel whose submit is confirmed by the dispatcher's transaction
    (``confirms_in_transaction``): the dispatcher calls :meth:`submit` inside
    the write transaction that records the outcome, then exactly one of
    :meth:`after_commit` or :meth:`after_rollback`.  What it holds in memory
    (pending receipts) the pipeline gives back through :meth:`resume` after a
    restart, or when another worker takes over a dead one's messages."""

    def after_commit(self, message_ids: Sequence[str]) -> None: ...

    def after_rollback(self, message_ids: Sequence[str]) -> None: ...

    def resume(self, pending: Sequence[PendingMessage]) -> None: ...
