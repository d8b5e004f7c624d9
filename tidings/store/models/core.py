"""Tenants, users, access keys, tokens, the audit trail and uploaded files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tidings.ids import hex32, uuid_id
from tidings.timeutil import utcnow

from .base import Base, Timestamped

ROLE_TENANT_ADMIN = "te_admin"
ROLE_MEMBER = "member"
ROLE_OPERATOR = "operator"
ROLES = (ROLE_TENANT_ADMIN, ROLE_MEMBER, ROLE_OPERATOR)


class Tenant(Timestamped, Base):
    """A KooMessage account (Huawei "domain").  ``id`` is the domain id that
    callbacks carry as ``domain_id``."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=hex32)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # The IAM project id answered by GET /v3/projects for SDK users who set a region.
    project_id: Mapped[str] = mapped_column(String(32), unique=True, default=hex32)
    # The operators' own account: holds operator users, owns no messaging objects.
    is_platform: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Per-tenant overrides: rate limits, auto-approve, frequency limits ...
    settings: Mapped[dict] = mapped_column(default=dict)
    # Fernet-sealed secret for signing callbacks (X-Tidings-Signature).
    callback_secret_sealed: Mapped[str | None] = mapped_column(String(256))


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=hex32)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")


class AccessKey(Base):
    __tablename__ = "access_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the AK itself
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    secret_sealed: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEvent(Base):
    """Who did what to which object, when and why.  Review decisions, operator
    actions and configuration changes all land here."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tenant_id: Mapped[str | None] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1024), default="")
    detail: Mapped[dict] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredFile(Base):
    """An uploaded document of any product or mechanism (an SMS signature's
    qualification, a filing certificate).  The bytes live behind
    :mod:`tidings.storage`; this row is the metadata."""

    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(50), primary_key=True, default=uuid_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # the uploading product's or mechanism's: sms_signature, filing, ...
    file_name: Mapped[str] = mapped_column(String(255))
    file_desc: Mapped[str] = mapped_column(String(255), default="")
    # The type detected from the content, not the name: jpg | png | bmp | pdf.
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
