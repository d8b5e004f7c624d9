"""Channels the operator defines, the routes to them, and parked SMPP receipts.

* ``channels``: one row per carrier account (``kind`` ``smpp``) or named
  sandbox (``kind`` ``sandbox``).  ``config`` holds the SmppConfig fields
  except the password, which is sealed by the secret box in
  ``password_sealed`` and never leaves the process in an API answer or a log
  line.  ``unknown_policy`` says what happens to a message whose submit
  outcome is unknown: ``resubmit`` (at least once: it may arrive twice) or
  ``fail`` (at most once: it may be lost, and is reported failed).
* ``channel_routes``: see :mod:`tidings.domain.routing`.
* ``smpp_parked_receipts``: receipts whose carrier id was not known when they
  arrived (before their submit_sm_resp, on the other session, after a
  restart), kept until the id is remembered.  The ids themselves live in the
  pipeline's ``message_carrier_ids`` (channel, carrier_id) -> message, part:
  one table for every channel that reports by carrier id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tidings.timeutil import utcnow

from .base import Base, Timestamped


class ChannelKind(StrEnum):
    SMPP = "smpp"
    SANDBOX = "sandbox"


class UnknownPolicy(StrEnum):
    """What the pipeline does with a submit whose outcome is unknown."""

    RESUBMIT = "resubmit"  # at-least-once: it is sent again
    FAIL = "fail"  # at-most-once: it is failed with status code UNKNOWN


KIND_SMPP = ChannelKind.SMPP
KIND_SANDBOX = ChannelKind.SANDBOX
KINDS = tuple(ChannelKind)

RESUBMIT = UnknownPolicy.RESUBMIT
FAIL = UnknownPolicy.FAIL
UNKNOWN_POLICIES = tuple(UnknownPolicy)


class ChannelDef(Timestamped, Base):
    __tablename__ = "channels"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # messages.channel
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(255), default="")
    config: Mapped[dict] = mapped_column(default=dict)
    password_sealed: Mapped[str | None] = mapped_column(String(512))
    enabled: Mapped[bool] = mapped_column(default=True)
    unknown_policy: Mapped[str] = mapped_column(String(16), default=RESUBMIT)


class ChannelRoute(Base):
    __tablename__ = "channel_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(ForeignKey("channels.name", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(16))  # Product.name
    prefix: Mapped[str] = mapped_column(String(15), default="")
    carrier: Mapped[str | None] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParkedReceipt(Base):
    __tablename__ = "smpp_parked_receipts"
    __table_args__ = (Index("ix_smpp_parked_receipts_lookup", "channel", "carrier_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    carrier_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(255), default="")
    done_at: Mapped[datetime] = mapped_column()
    parked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
