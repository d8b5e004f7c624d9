"""Callback registrations, the one outbox for every callback kind, and the
log of delivery attempts.

A row of ``callback_outbox`` is one *delivery unit*: exactly what one HTTP
request carries (one event for url_type 0 and uplinks, up to the batch cap of
events for url_type 2).  Batches are formed when the events are enqueued, so a
redelivery repeats the identical request with the identical ``request_id`` —
a receiver that de-duplicates by request id never drops an event it has not
seen.  Events inside a batch are linked to their subject (the message id) by
``callback_subjects`` so the message log can show a message's callback
attempts whichever way it was delivered.

No foreign keys on the hot tables: the pipeline writes thousands of rows a
second and the rows are pruned by age, not by cascade.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tidings.timeutil import utcnow

from .base import Base, Timestamped

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")



class OutboxStatus(StrEnum):
    """A delivery unit's state in the outbox."""

    PENDING = "pending"  # due at next_attempt_at (or held by a lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # given up


class AttemptOutcome(StrEnum):
    """What one delivery attempt came to."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"  # the last attempt before giving up

class CallbackRegistration(Timestamped, Base):
    """One URL per (tenant, family, url_type): a second registration replaces
    the first (the console model, callbacks.md §1)."""

    __tablename__ = "callback_registrations"
    __table_args__ = (UniqueConstraint("tenant_id", "family", "url_type"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    # "aim" (POST /v1/aim/callbacks); later "aim-basic" (POST /v1/aim-basic/callbacks).
    family: Mapped[str] = mapped_column(String(16))
    url_type: Mapped[int] = mapped_column()
    url: Mapped[str] = mapped_column(String(1000))


class CallbackOutbox(Base):
    __tablename__ = "callback_outbox"
    __table_args__ = (
        Index("ix_callback_outbox_due", "status", "next_attempt_at"),
        Index("ix_callback_outbox_tenant", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The X-Tidings-Event-Id header and the AIM envelope's request_id: stable across retries.
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    # aim.sms | aim.shortchain | aim.template | sms.uplink | json (see tidings.callbacks.formats)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(1000))
    # True: payload is a list of events sent as one batch (AIM url_type 2).
    batch: Mapped[bool] = mapped_column(default=False)
    events: Mapped[int] = mapped_column(default=1)
    # What the event is about (message id, uplink id, template id) for single events.
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column()
    # pending | delivered | failed (gave up)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    # Requests sent (or possibly sent: a claim that crashed counts).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class CallbackSubject(Base):
    """The events inside a batched outbox row, by subject (message id)."""

    __tablename__ = "callback_subjects"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class CallbackAttempt(Base):
    """One row per HTTP request made: what the message log and
    ``GET /tidings/v1/callbacks/deliveries`` show."""

    __tablename__ = "callback_attempts"
    __table_args__ = (Index("ix_callback_attempts_tenant", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(1000))
    attempt: Mapped[int] = mapped_column()
    events: Mapped[int] = mapped_column(default=1)
    # delivered | retrying | failed (the last attempt before giving up)
    outcome: Mapped[str] = mapped_column(String(12))
    http_status: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
