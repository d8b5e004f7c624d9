"""The message pipeline's tables: send tasks, messages, uplinks, idempotency
keys, frequency counters and the meter stream.

``messages`` is the hot table.  It is written in batches by Core statements
(one multi-row INSERT per accepted request, one executemany UPDATE per
dispatched or reported batch), never row by row through the ORM, and it
carries only the indexes that earn their keep:

* ``ix_messages_queue`` (status, channel, next_attempt_at): the dispatcher's
  claim (queued and due), the expiry sweep (submitted and past validity, since
  a submitted message's ``next_attempt_at`` is its expiry time) and the
  recovery of ``submitting`` leases.  It doubles as the status index of the log.
* tenant+created, number+created and task: the message log's filters (a
  number's messages are few, so the tenant is filtered after the number) and
  the virtual phone's inbox, which is per number across tenants.

Statuses: ``queued`` → ``submitting`` (remote channels only, under a lease) →
``submitted`` → ``delivered`` | ``failed`` | ``expired``; ``unknown`` for a
remote submit whose outcome a crash hid; ``rejected`` for a number the API
refused (kept so the log can show why).  ``status_code`` is the KooMessage code
behind the status: ``DELIVRD``, a carrier code (``MK:0001`` ...), or the
``E2000xx`` of a refusal.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tidings.timeutil import utcnow

from .base import Base


class MessageStatus(StrEnum):
    """A message's status (docs/pipeline.md): stored, answered and compared as
    its string value."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    REJECTED = "rejected"


QUEUED = MessageStatus.QUEUED
SUBMITTING = MessageStatus.SUBMITTING
SUBMITTED = MessageStatus.SUBMITTED
DELIVERED = MessageStatus.DELIVERED
FAILED = MessageStatus.FAILED
EXPIRED = MessageStatus.EXPIRED
UNKNOWN = MessageStatus.UNKNOWN
REJECTED = MessageStatus.REJECTED

STATUSES = tuple(MessageStatus)
FINAL = frozenset({DELIVERED, FAILED, EXPIRED, REJECTED})
IN_FLIGHT = (QUEUED, SUBMITTING, SUBMITTED, UNKNOWN)


class SendTask(Base):
    """One send request (``task_id`` on the wire)."""

    __tablename__ = "send_tasks"
    __table_args__ = (Index("ix_send_tasks_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(30))
    operation: Mapped[str] = mapped_column(String(32))  # messages | diff-messages
    channel_num: Mapped[str] = mapped_column(String(21))
    extend: Mapped[str | None] = mapped_column(String(128))
    total: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_queue", "status", "channel", "next_attempt_at"),
        Index("ix_messages_tenant_created", "tenant_id", "created_at"),
        Index("ix_messages_number", "number", "created_at"),
        Index("ix_messages_task", "task_id"),
    )

    id: Mapped[str] = mapped_column(String(50), primary_key=True)  # msg_id
    tenant_id: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str] = mapped_column(String(50))
    product: Mapped[str] = mapped_column(String(16))  # Product.name, always written by the product's acceptance
    app_id: Mapped[str | None] = mapped_column(String(50))
    signature_id: Mapped[str | None] = mapped_column(String(50))
    signature: Mapped[str] = mapped_column(String(32), default="")  # the name shown in 【】
    template_id: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(32))  # which channel (registry name) carries it
    channel_num: Mapped[str] = mapped_column(String(21))  # the sender number
    number: Mapped[str] = mapped_column(String(21))  # E.164 digits without '+'
    to: Mapped[str] = mapped_column(String(21))  # as the caller wrote it
    text: Mapped[str] = mapped_column(Text)  # full text with the 【signature】
    parts: Mapped[int] = mapped_column(Integer, default=1)
    extend: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[str | None] = mapped_column(String(32))
    status_desc: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # submits made
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    reported_at: Mapped[datetime | None] = mapped_column()
    # SQL NULL, not the JSON text 'null', when absent: nothing to encode on
    # insert or decode on the report path.
    carrier_ids: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    # One entry per part report: {"seq", "status", "desc", "at"}.
    part_reports: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    # A smart message's template and short link, for its receipts (tidings/aim/receipts.py);
    # NULL for every other product.
    aim_tpl_id: Mapped[str | None] = mapped_column(String(9))
    aim_url: Mapped[str | None] = mapped_column(String(128))


class CarrierId(Base):
    """carrier message id → our message, for channels whose reports carry only
    the carrier's id (SMPP after a restart).  Not written for the sandbox."""

    __tablename__ = "message_carrier_ids"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    carrier_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(50))
    seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReceiptHolder(Base):
    """A process holding the pending receipts of a channel that confirms in the
    dispatcher's transaction (the sandbox keeps them in memory).  The process
    renews ``lease_until`` while it lives; once the lease has run out another
    worker re-arms the channel's submitted, unreported messages
    (tidings/dispatch/holders.py)."""

    __tablename__ = "receipt_holders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    lease_until: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    process: Mapped[str] = mapped_column(String(255), default="")  # host:pid, for operators


class Uplink(Base):
    """A message from a handset to one of our channel numbers."""

    __tablename__ = "uplinks"
    __table_args__ = (Index("ix_uplinks_tenant_received", "tenant_id", "received_at"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True)  # smsMsgId
    tenant_id: Mapped[str | None] = mapped_column(String(32))  # None: no application owns the number
    app_id: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(21), index=True)  # the handset, E.164 digits
    destination: Mapped[str] = mapped_column(String(21))  # our channel number (+ extension)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    carrier_ref: Mapped[str | None] = mapped_column(String(80))
    # routed: enqueued to up_link_addr; no_url: owner has none; unrouted: no owner.
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column()


class IdempotencyKey(Base):
    """``X-Idempotency-Key``: the first answer to a send, kept 24 hours."""

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(32))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FrequencyCounter(Base):
    """Messages one number got from one signature and kind in the current
    minute/hour/day (see tidings.domain.frequency)."""

    __tablename__ = "frequency_counters"

    # The number leads the key: lookups are "these 500 numbers of one tenant and
    # scope", and with the tenant first PostgreSQL filtered the numbers out of the
    # tenant's whole range whenever its statistics lagged a fast-growing table.
    number: Mapped[str] = mapped_column(String(21), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    minute_window: Mapped[int] = mapped_column(BigInteger)
    minute_count: Mapped[int] = mapped_column(Integer)
    hour_window: Mapped[int] = mapped_column(BigInteger)
    hour_count: Mapped[int] = mapped_column(Integer)
    day_window: Mapped[int] = mapped_column(BigInteger, index=True)
    day_count: Mapped[int] = mapped_column(Integer)


class MeterEvent(Base):
    """One billable event, written once: (metric, source_id) is unique."""

    __tablename__ = "meter_events"
    __table_args__ = (
        UniqueConstraint("metric", "source_id"),
        Index("ix_meter_events_tenant_occurred", "tenant_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    product: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
