"""Smart-message sending: send tasks and send flows.

A send task's messages are ordinary pipeline messages (``messages.product``
``aim``, ``task_id`` = the send task's id, ``aim_tpl_id`` / ``aim_url`` for
their receipts); this table keeps what the task adds: its template, its SMS
channel, its resolve task and its counts.

A send flow (Tidings' own API) is a durable background job: its numbers are
stored in chunks of up to :data:`FLOW_CHUNK` (one row each, numbers joined by
newlines, so a million numbers are 2,000 rows), claimed from the database
with a lease like the dispatcher's, and worked through in order; each chunk's
outcomes are written in the transaction that sends its messages, so a crash
never sends a chunk twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tidings.timeutil import utcnow

from .base import Base

FLOW_CHUNK = 500


class AimSendTask(Base):
    __tablename__ = "aim_send_tasks"
    __table_args__ = (Index("ix_aim_send_tasks_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # = messages.task_id
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    task_name: Mapped[str] = mapped_column(String(30))
    tpl_id: Mapped[str] = mapped_column(String(9))
    resolve_task_id: Mapped[str] = mapped_column(String(36))
    sms_app_name: Mapped[str] = mapped_column(String(64))
    sms_sign: Mapped[str] = mapped_column(String(64))
    channel_number: Mapped[str] = mapped_column(String(21))
    sms_tpl_id: Mapped[str] = mapped_column(String(50))
    generation_type: Mapped[str] = mapped_column(String(1), default="1")
    domain: Mapped[str] = mapped_column(String(100))
    expiration_days: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))  # Success | Failed (acceptance)
    submission_count: Mapped[int] = mapped_column(Integer)
    send_count: Mapped[int] = mapped_column(Integer)  # smart messages accepted into the pipeline
    support_resolve_count: Mapped[int] = mapped_column(Integer, default=-1)  # -1: sent through the API, no capability check
    failed_short_chains: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    flow_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AimSendFlow(Base):
    __tablename__ = "aim_send_flows"
    __table_args__ = (
        Index("ix_aim_send_flows_tenant_created", "tenant_id", "created_at"),
        Index("ix_aim_send_flows_state", "state", "lease_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12))  # queued | running | done | failed
    fallback: Mapped[str] = mapped_column(String(8))  # none | sms
    spec: Mapped[dict] = mapped_column(JSON)  # task_name, tpl_id, sms_channel, expiration_time, sms_params, dync_params
    total: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSON)  # outcome -> numbers
    error: Mapped[str | None] = mapped_column(String(500))
    # Crashes since the last chunk done (an error in the runner, or a runner that died holding
    # the flow); at MAX_CRASHES (tidings/aim/flows.py) the flow ends as failed.
    crashes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class AimSendFlowChunk(Base):
    __tablename__ = "aim_send_flow_chunks"

    flow_id: Mapped[str] = mapped_column(ForeignKey("aim_send_flows.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    numbers: Mapped[str] = mapped_column(Text)  # newline-joined, as given
    outcomes: Mapped[str | None] = mapped_column(Text)  # newline-joined, one per number, once done
    done: Mapped[bool] = mapped_column(Boolean, default=False)
