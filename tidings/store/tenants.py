"""Queries for tenants, users, keys, tokens and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import ids
from tidings.security import SecretBox, hash_password, hash_token, verify_password
from tidings.store.models.core import AccessKey, AuditEvent, AuthToken, Tenant, User
from tidings.timeutil import utcnow

Row = TypeVar("Row")


async def owned(session: AsyncSession, model: type[Row], tenant_id: str, object_id: Any) -> Row | None:
    """The tenant boundary in one place: ``model``'s row ``object_id`` if it
    belongs to ``tenant_id``, else None, so another tenant's object is
    answered exactly like one that does not exist."""
    stmt = select(model).where(model.id == object_id, model.tenant_id == tenant_id)  # type: ignore[attr-defined]  # every tenant-owned model has id and tenant_id
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What an access key or a token stands for."""

    tenant_id: str
    tenant_name: str
    project_id: str
    tenant_status: str
    tenant_settings: dict  # as stored; api/deps keeps what ctx.tenant_settings still accepts
    is_platform: bool
    user_id: str
    user_name: str
    roles: tuple[str, ...]
    access_key: str | None
    secret: str | None  # plaintext SK, only for key grants


async def create_tenant(session: AsyncSession, name: str, *, is_platform: bool = False, settings: dict | None = None) -> Tenant:
    tenant = Tenant(name=name, is_platform=is_platform, settings=settings or {})
    session.add(tenant)
    await session.flush()
    return tenant


async def tenant_by_name(session: AsyncSession, name: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.name == name))).scalar_one_or_none()


async def create_user(session: AsyncSession, tenant: Tenant, name: str, roles: list[str], password: str | None = None) -> User:
    user = User(tenant_id=tenant.id, name=name, roles=roles, password_hash=hash_password(password) if password else None)
    session.add(user)
    await session.flush()
    return user


async def create_key(session: AsyncSession, box: SecretBox, user: User, description: str = "") -> tuple[str, str]:
    ak, sk = ids.access_key_id(), ids.secret_key()
    session.add(AccessKey(id=ak, user_id=user.id, tenant_id=user.tenant_id, secret_sealed=box.seal(sk), description=description))
    await session.flush()
    return ak, sk


async def revoke_key(session: AsyncSession, ak: str) -> bool:
    key = await session.get(AccessKey, ak)
    if key is None or key.status != "active":
        return False
    key.status = "revoked"
    key.revoked_at = utcnow()
    return True


def _grant(tenant: Tenant, user: User, ak: str | None, secret: str | None) -> KeyGrant:
    return KeyGrant(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        project_id=tenant.project_id,
        tenant_status=tenant.status,
        tenant_settings=tenant.settings if isinstance(tenant.settings, dict) else {},
        is_platform=tenant.is_platform,
        user_id=user.id,
        user_name=user.name,
        roles=tuple(user.roles or ()),
        access_key=ak,
        secret=secret,
    )


async def grant_for_key(session: AsyncSession, box: SecretBox, ak: str) -> KeyGrant | None:
    row = (
        await session.execute(
            select(AccessKey, User, Tenant)
            .join(User, User.id == AccessKey.user_id)
            .join(Tenant, Tenant.id == AccessKey.tenant_id)
            .where(AccessKey.id == ak, AccessKey.status == "active", User.status == "active")
        )
    ).first()
    if row is None:
        return None
    key, user, tenant = row
    return _grant(tenant, user, key.id, box.open(key.secret_sealed))


async def issue_token(session: AsyncSession, tenant_name: str, user_name: str, password: str, ttl: timedelta) -> tuple[str, datetime, KeyGrant] | None:
    row = (
        await session.execute(
            select(User, Tenant).join(Tenant, Tenant.id == User.tenant_id).where(Tenant.name == tenant_name, User.name == user_name)
        )
    ).first()
    if row is None:
        return None
    user, tenant = row
    if user.status != "active" or not user.password_hash or not verify_password(password, user.password_hash):
        return None
    token = ids.token()
    expires = utcnow() + ttl
    session.add(AuthToken(token_hash=hash_token(token), user_id=user.id, tenant_id=tenant.id, expires_at=expires))
    return token, expires, _grant(tenant, user, None, None)


async def grant_for_token(session: AsyncSession, token: str) -> KeyGrant | None:
    row = (
        await session.execute(
            select(AuthToken, User, Tenant)
            .join(User, User.id == AuthToken.user_id)
            .join(Tenant, Tenant.id == AuthToken.tenant_id)
            .where(AuthToken.token_hash == hash_token(token), AuthToken.expires_at > utcnow(), User.status == "active")
        )
    ).first()
    if row is None:
        return None
    _, user, tenant = row
    return _grant(tenant, user, None, None)


async def audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    tenant_id: str | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> None:
    session.add(
        AuditEvent(
            tenant_id=tenant_id, actor=actor, action=action, object_type=object_type, object_id=object_id, reason=reason, detail=detail or {}
        )
    )


def audit_row(*, actor: str, action: str, object_type: str, object_id: str, tenant_id: str | None = None, reason: str = "",
              detail: dict | None = None, at: datetime | None = None) -> dict[str, Any]:
    """:func:`audit`'s event as a row for :func:`tidings.store.dialect.insert_rows`."""
    return {"tenant_id": tenant_id, "actor": actor, "action": action, "object_type": object_type, "object_id": object_id, "reason": reason,
            "detail": detail or {}, "at": at or utcnow()}
