"""Account operations shared by the CLI, the admin API and first-start bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tidings.context import AppContext
from tidings.store import tenants as store
from tidings.store.models.core import ROLE_MEMBER, ROLE_OPERATOR, ROLE_TENANT_ADMIN, AccessKey, Tenant, User
from tidings.tenant_settings import ProductSettings

PLATFORM_TENANT = "tidings-operators"


@dataclass
class NewAccount:
    tenant_id: str
    tenant_name: str
    project_id: str
    user_id: str
    user_name: str
    access_key: str
    secret_key: str
    password: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class AccountError(Exception):
    pass


async def create_tenant(
    ctx: AppContext, name: str, *, admin_name: str = "admin", password: str | None = None, settings: dict | None = None
) -> NewAccount:
    async with ctx.db.write() as session:
        if await store.tenant_by_name(session, name):
            raise AccountError(f"tenant {name!r} already exists")
        tenant = await store.create_tenant(session, name, settings=ctx.tenant_settings.parse(settings or {}).stored())
        user = await store.create_user(session, tenant, admin_name, [ROLE_TENANT_ADMIN], password)
        ak, sk = await store.create_key(session, ctx.box, user, "created with the tenant")
        await store.audit(session, actor="system", action="tenant.create", object_type="tenant", object_id=tenant.id, tenant_id=tenant.id)
        return NewAccount(tenant.id, tenant.name, tenant.project_id, user.id, user.name, ak, sk, password)


async def ensure_platform(ctx: AppContext, operator_name: str, password: str | None) -> NewAccount | None:
    """Create the operators' account and first operator if missing (idempotent)."""
    async with ctx.db.write() as session:
        if await store.tenant_by_name(session, PLATFORM_TENANT):
            return None
        tenant = await store.create_tenant(session, PLATFORM_TENANT, is_platform=True)
        user = await store.create_user(session, tenant, operator_name, [ROLE_OPERATOR], password)
        ak, sk = await store.create_key(session, ctx.box, user, "first operator")
        return NewAccount(tenant.id, tenant.name, tenant.project_id, user.id, user.name, ak, sk, password)


async def add_user(ctx: AppContext, tenant_name: str, user_name: str, role: str, password: str | None) -> NewAccount:
    if role not in (ROLE_TENANT_ADMIN, ROLE_MEMBER, ROLE_OPERATOR):
        raise AccountError(f"unknown role {role!r}")
    async with ctx.db.write() as session:
        tenant = await store.tenant_by_name(session, tenant_name)
        if tenant is None:
            raise AccountError(f"no tenant {tenant_name!r}")
        if (role == ROLE_OPERATOR) != tenant.is_platform:
            raise AccountError("operators belong to the platform account, tenant roles to tenants")
        exists = (await session.execute(select(User).where(User.tenant_id == tenant.id, User.name == user_name))).scalar_one_or_none()
        if exists:
            raise AccountError(f"user {user_name!r} already exists in {tenant_name!r}")
        user = await store.create_user(session, tenant, user_name, [role], password)
        ak, sk = await store.create_key(session, ctx.box, user)
        return NewAccount(tenant.id, tenant.name, tenant.project_id, user.id, user.name, ak, sk, password)


async def add_key(ctx: AppContext, tenant_name: str, user_name: str, description: str = "") -> tuple[str, str]:
    async with ctx.db.write() as session:
        row = (
            await session.execute(
                select(User).join(Tenant, Tenant.id == User.tenant_id).where(Tenant.name == tenant_name, User.name == user_name)
            )
        ).scalar_one_or_none()
        if row is None:
            raise AccountError(f"no user {user_name!r} in tenant {tenant_name!r}")
        return await store.create_key(session, ctx.box, row, description)


async def list_keys(ctx: AppContext, tenant_name: str) -> list[dict]:
    async with ctx.db.read() as session:
        rows = (
            await session.execute(
                select(AccessKey, User)
                .join(User, User.id == AccessKey.user_id)
                .join(Tenant, Tenant.id == AccessKey.tenant_id)
                .where(Tenant.name == tenant_name)
                .order_by(AccessKey.created_at)
            )
        ).all()
    return [
        {"access_key": k.id, "user": u.name, "status": k.status, "description": k.description, "created_at": k.created_at.isoformat()}
        for k, u in rows
    ]


async def revoke_key(ctx: AppContext, ak: str) -> bool:
    async with ctx.db.write() as session:
        done = await store.revoke_key(session, ak)
        if done:
            await store.audit(session, actor="system", action="key.revoke", object_type="access_key", object_id=ak)
    ctx.grant_cache.forget("ak:" + ak)
    return done


async def list_tenants(ctx: AppContext) -> list[dict]:
    async with ctx.db.read() as session:
        rows = (await session.execute(select(Tenant).order_by(Tenant.created_at))).scalars().all()
    return [
        {"tenant_id": t.id, "name": t.name, "project_id": t.project_id, "status": t.status, "platform": t.is_platform,
         "settings": ctx.tenant_settings.readable(t.settings)}
        for t in rows
    ]


async def update_tenant_settings(ctx: AppContext, tenant_id: str, patch: ProductSettings, actor: str) -> dict | None:
    async with ctx.db.write() as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            return None
        tenant.settings = ctx.tenant_settings.merged(tenant.settings, patch)
        await store.audit(session, actor=actor, action="tenant.settings", object_type="tenant", object_id=tenant_id, tenant_id=tenant_id,
                          detail=patch.changes())
        return dict(tenant.settings)
