"""The review queue and enterprise filings.

One ``review_items`` row per reviewable object (``object_type``, ``object_id``),
reused across rounds: a resubmission bumps ``round`` and resets the parties'
states, and every decision of every round stays in ``review_decisions``.
``party_states`` is the current state per party (``pending`` / ``approved`` /
``rejected``); ``state`` is the overall outcome the rule derives from it
(see :mod:`tidings.review.rules`).

Filings live here too: they are the first reviewed object every product gates on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tidings.ids import uuid_id
from tidings.timeutil import utcnow

from .base import Base, Timestamped


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id"),
        # The operator's queue: open items, most urgent first, oldest first.
        Index("ix_review_queue", "state", "priority", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    # A one-line description for the operator's queue (signature name, template name ...).
    title: Mapped[str] = mapped_column(String(255), default="")
    rule: Mapped[str] = mapped_column(String(16))  # single | any | each
    parties: Mapped[list] = mapped_column(default=list)
    party_states: Mapped[dict] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    round: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    urge_status: Mapped[str] = mapped_column(String(20), default="NO")
    urge_time: Mapped[datetime | None] = mapped_column()
    urge_desc: Mapped[str] = mapped_column(String(64), default="")
    # What the reviewer should look at (a snapshot of the submitted fields).
    payload: Mapped[dict] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class ReviewDecision(Base):
    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))  # approved | rejected | submitted | expedited
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(1024), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Filing(Timestamped, Base):
    """A tenant's enterprise filing for one area (``aim.send_task``,
    ``aim.short_link``, ``basic``, ``service_account``).  No row = ``none``."""

    __tablename__ = "filings"
    __table_args__ = (UniqueConstraint("tenant_id", "area"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="reviewing")
    company: Mapped[dict] = mapped_column(default=dict)
    certificate_file_id: Mapped[str] = mapped_column(String(50))
    extra_file_ids: Mapped[list] = mapped_column(default=list)
    review_desc: Mapped[str] = mapped_column(String(500), default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column()
