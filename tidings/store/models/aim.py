"""Smart-message (AIM) tables: card templates with their per-maker state,
template materials (images, videos, video covers) with the recycle bin, and
the record of material sweeps.

Templates: ``id`` is the 9-digit ``tpl_id``.  ``tenant_id`` is empty for
public (platform) templates.  A tenant's delete is soft (``deleted_at``):
links already made keep rendering their card, while lists, state changes and
new tasks no longer see the template (docs/smart-messages.md).

Materials: a deleted material moves to the recycle bin (``deleted_at``) and
still counts against the quota until the sweeper purges it, bytes and row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tidings.ids import uuid_id
from tidings.timeutil import utcnow

from .base import Base, Timestamped

AUDIT_NOT_SUBMITTED, AUDIT_REVIEWING, AUDIT_APPROVED, AUDIT_REJECTED = 0, 1, 2, 3
# FactoryInfo.state / template-status factory_info[].state (callbacks.md §4).
MAKER_DISABLED, MAKER_ENABLED, MAKER_PENDING = 0, 1, 2


class AimTemplate(Timestamped, Base):
    __tablename__ = "aim_templates"
    __table_args__ = (Index("ix_aim_templates_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(9), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[str] = mapped_column(String(32))
    use_id: Mapped[int] = mapped_column(Integer, default=1)
    sub_type: Mapped[int | None] = mapped_column(Integer)
    scene: Mapped[str] = mapped_column(String(32), default="")
    sms_example: Mapped[str] = mapped_column(String(255), default="")
    sms_signs: Mapped[list] = mapped_column(JSON, default=list)
    sms_template: Mapped[str] = mapped_column(Text, default="")
    match_type: Mapped[int] = mapped_column(Integer, default=1)
    # The create request as accepted (the reviewer's and the renderer's source).
    request: Mapped[dict] = mapped_column(JSON, default=dict)
    # The stored editor-format pages (a JSON string, cards.md §4).
    pages: Mapped[str] = mapped_column(Text)
    # [{"name": "${x}", "example": "..."}]
    params: Mapped[list] = mapped_column(JSON, default=list)
    tpl_state: Mapped[int] = mapped_column(Integer, default=1)
    disable_desc: Mapped[str] = mapped_column(String(255), default="")
    disable_time: Mapped[datetime | None] = mapped_column()
    audit_state: Mapped[int] = mapped_column(Integer, default=AUDIT_REVIEWING)
    audit_desc: Mapped[str] = mapped_column(String(500), default="")
    deleted_at: Mapped[datetime | None] = mapped_column()


class AimTemplateMaker(Base):
    """One maker of a template: whether it was submitted there and its state."""

    __tablename__ = "aim_template_makers"

    template_id: Mapped[str] = mapped_column(ForeignKey("aim_templates.id", ondelete="CASCADE"), primary_key=True)
    maker: Mapped[str] = mapped_column(String(16), primary_key=True)  # HUAWEI | XIAOMI | ...
    submitted: Mapped[bool] = mapped_column(Boolean, default=True)  # factorys[].state == 1
    state: Mapped[int] = mapped_column(Integer, default=MAKER_PENDING)
    version: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AimMaterial(Base):
    __tablename__ = "aim_materials"
    __table_args__ = (
        Index("ix_aim_materials_tenant_type", "tenant_id", "resource_type", "created_at"),
        Index("ix_aim_materials_video", "video_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid_id)  # material_id
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    aim_resource_id: Mapped[str] = mapped_column(String(36), unique=True)
    resource_type: Mapped[str] = mapped_column(String(16))  # image | video | thumbnail
    # A thumbnail's video (material_id).
    video_id: Mapped[str | None] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(50), default="")
    image_rate: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # png | jpg | mp4 (from the content)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    is_auto_gen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last time a template referenced it (or its upload); the sweeper's clock.
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()  # in the recycle bin since


class AimMaterialSweep(Base):
    """One sweep per day and cluster: the first process to insert the day wins."""

    __tablename__ = "aim_material_sweeps"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    purged: Mapped[int] = mapped_column(Integer, default=0)
    freed_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
