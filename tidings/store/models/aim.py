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


# --- delivery: capability, link domains, resolve tasks and links, parses, exposures and clicks ----
class AimCapability(Base):
    """A capability registry row imported by an operator: the handset behind
    ``key`` (the SHA1 hex of ``86`` + national number, so plain and hashed
    checks meet on one key) shows cards of ``maker``; ``maker`` empty means
    known incapable.  Numbers without a row follow the sandbox rule
    (tidings/aim/capability.py)."""

    __tablename__ = "aim_capabilities"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    maker: Mapped[str] = mapped_column(String(16), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AimDomain(Base):
    """A domain an operator registered for links: ``short`` (standard codes on
    it), ``custom`` (generation_type 2, tenant-chosen codes) or ``landing``
    (allowed in ``custom_url``).  ``tenant_id`` empty: every tenant may use it."""

    __tablename__ = "aim_domains"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid_id)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("uq_aim_domains_name_kind", "name", "kind", unique=True),)


class AimResolveTask(Base):
    __tablename__ = "aim_resolve_tasks"
    __table_args__ = (Index("ix_aim_resolve_tasks_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tpl_id: Mapped[str] = mapped_column(String(9))
    task_name: Mapped[str] = mapped_column(String(30), default="")
    code_type: Mapped[str] = mapped_column(String(12))  # group | individual
    generation_type: Mapped[str] = mapped_column(String(1), default="1")
    domain: Mapped[str] = mapped_column(String(100))
    sms_signs: Mapped[list] = mapped_column(JSON, default=list)
    resolving_times: Mapped[int] = mapped_column(Integer)
    expiration_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AimLink(Base):
    """One short link of a resolve task (or one refused row: ``code`` empty and
    ``result_code`` != "0").  ``(domain, code)`` is unique, so a code is never
    handed out twice on a domain."""

    __tablename__ = "aim_links"
    __table_args__ = (
        Index("uq_aim_links_domain_code", "domain", "code", unique=True),
        Index("ix_aim_links_code", "code"),
        Index("ix_aim_links_task", "task_id"),
        Index("ix_aim_links_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid_id)
    task_id: Mapped[str] = mapped_column(ForeignKey("aim_resolve_tasks.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tpl_id: Mapped[str] = mapped_column(String(9))
    domain: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(16))
    custom_short_code: Mapped[str | None] = mapped_column(String(10))
    cust_flag: Mapped[str] = mapped_column(String(64))
    dync_params: Mapped[dict | None] = mapped_column(JSON)
    custom_url: Mapped[str | None] = mapped_column(String(256))
    result_code: Mapped[str] = mapped_column(String(16), default="0")
    error_message: Mapped[str] = mapped_column(String(255), default="")
    resolving_times: Mapped[int] = mapped_column(Integer)
    resolved_times: Mapped[int] = mapped_column(Integer, default=0)
    failed_times: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class AimParse(Base):
    """One attempt of a handset to resolve a link (draw the card): succeeded
    (``status`` 0) or refused with its reason.  ``(link_id, source)`` is
    unique: the handset's message id, so showing the same SMS again (a
    reload) is never a second parse."""

    __tablename__ = "aim_parses"
    __table_args__ = (
        Index("uq_aim_parses_link_source", "link_id", "source", unique=True),
        Index("ix_aim_parses_tpl_day", "tpl_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid_id)
    link_id: Mapped[str] = mapped_column(ForeignKey("aim_links.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(36))
    tpl_id: Mapped[str] = mapped_column(String(9))
    source: Mapped[str] = mapped_column(String(64))
    mobile: Mapped[str] = mapped_column(String(40), default="")
    maker: Mapped[str] = mapped_column(String(16), default="")
    sms_sign: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[int] = mapped_column(Integer)
    describe: Mapped[str] = mapped_column(String(255), default="")
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AimEvent(Base):
    """An exposure or a click of a card (card page or virtual phone), for the
    template reports.  ``visitor`` is the handset: its number, or the
    first-party cookie of a browser."""

    __tablename__ = "aim_events"
    __table_args__ = (Index("ix_aim_events_tpl_day", "tpl_id", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    tpl_id: Mapped[str] = mapped_column(String(9))
    link_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(8))  # expose | click
    maker: Mapped[str] = mapped_column(String(16), default="")
    visitor: Mapped[str] = mapped_column(String(64))
    component: Mapped[str] = mapped_column(String(64), default="")
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
