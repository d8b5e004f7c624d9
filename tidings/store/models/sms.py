"""SMS configuration tables: applications, signatures,
templates with their variables, and the operator's channel-number pool.

Ids are uuid strings, like upstream's.  Every row carries ``tenant_id`` and
every query filters on it; foreign keys cascade only where the API says the
children go with the parent (a signature's templates).

Channel numbers: the operator configures ranges of equal-length numeric
strings (``sms_channel_ranges``); a number handed to a signature is a row in
``sms_channel_numbers`` that stays after the signature is deleted (with
``signature_id`` cleared and ``freed_at`` set) so a freed number is reused only
after every never-used number, and the history of who held it is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tidings.ids import uuid_id
from tidings.timeutil import utcnow

from .base import Base, Timestamped

APP_CREATED = "CREATED"
APP_LAUNCHED = "LAUNCHED"
APP_SUSPENDED = "SUSPENDED"

SIG_PENDING_REVIEW = "PENDING_REVIEW"
SIG_PROCESSING = "PROCESSING"
SIG_REVIEW_PASSED = "REVIEW_PASSED"
SIG_REVIEW_NOT_PASS = "REVIEW_NOT_PASS"

TPL_REVIEWING = "Reviewing"
TPL_ADOPTED = "Adopted"
TPL_REJECT = "Reject"


class SmsApp(Timestamped, Base):
    __tablename__ = "sms_apps"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=APP_LAUNCHED)
    region: Mapped[str] = mapped_column(String(20), default="cn-north-4")
    up_link_addr: Mapped[str | None] = mapped_column(String(255))
    # Why an operator suspended it (shown in the refusal message).
    suspend_reason: Mapped[str] = mapped_column(String(255), default="")


class SmsSignature(Timestamped, Base):
    __tablename__ = "sms_signatures"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "type"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("sms_apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(20))
    apply_desc: Mapped[str] = mapped_column(String(100), default="")
    file_id: Mapped[str] = mapped_column(String(50))
    power_attorney_file_id: Mapped[str | None] = mapped_column(String(50))
    signature_source: Mapped[int] = mapped_column(Integer)
    is_involved_third: Mapped[str] = mapped_column(String(10))
    source_title_content: Mapped[str | None] = mapped_column(String(180))
    status: Mapped[str] = mapped_column(String(20), default=SIG_PENDING_REVIEW, index=True)
    channel_num: Mapped[str | None] = mapped_column(String(21), unique=True)
    review_desc: Mapped[str] = mapped_column(String(500), default="")
    urge_status: Mapped[str] = mapped_column(String(20), default="NO")
    urge_time: Mapped[datetime | None] = mapped_column()
    urge_desc: Mapped[str] = mapped_column(String(64), default="")


class SmsTemplate(Timestamped, Base):
    __tablename__ = "sms_templates"
    __table_args__ = (UniqueConstraint("signature_id", "name"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("sms_apps.id"), index=True)
    signature_id: Mapped[str] = mapped_column(ForeignKey("sms_signatures.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    content: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(20))
    universal: Mapped[int] = mapped_column(Integer, default=0)
    flow_status: Mapped[str] = mapped_column(String(20), default=TPL_REVIEWING, index=True)
    status: Mapped[str] = mapped_column(String(20), default="Normal")
    review_desc: Mapped[str] = mapped_column(String(500), default="")
    urge_status: Mapped[str] = mapped_column(String(20), default="NO")
    urge_time: Mapped[datetime | None] = mapped_column()
    urge_desc: Mapped[str] = mapped_column(String(64), default="")


class SmsTemplateVariable(Base):
    __tablename__ = "sms_template_variables"
    __table_args__ = (UniqueConstraint("template_id", "variable_index"),)

    # The record id the /variable endpoint answers as ``id``.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("sms_templates.id", ondelete="CASCADE"), index=True)
    variable_index: Mapped[int] = mapped_column(Integer)
    variable_type: Mapped[str] = mapped_column(String(20))
    variable_desc: Mapped[str] = mapped_column(String(100), default="")
    variable_length: Mapped[int] = mapped_column(Integer)


class ChannelRange(Base):
    """Numbers ``first``..``last`` (equal-length digit strings) the operator
    may hand to approved signatures.  ``next_value`` is the allocation cursor."""

    __tablename__ = "sms_channel_ranges"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    first: Mapped[str] = mapped_column(String(21))
    last: Mapped[str] = mapped_column(String(21))
    next_value: Mapped[str] = mapped_column(String(21))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelNumber(Base):
    __tablename__ = "sms_channel_numbers"

    number: Mapped[str] = mapped_column(String(21), primary_key=True)
    range_id: Mapped[int | None] = mapped_column(ForeignKey("sms_channel_ranges.id", ondelete="SET NULL"))
    tenant_id: Mapped[str | None] = mapped_column(String(32))
    signature_id: Mapped[str | None] = mapped_column(String(50), unique=True)
    assigned_at: Mapped[datetime | None] = mapped_column()
    freed_at: Mapped[datetime | None] = mapped_column()
