"""Callback URL registrations and the per-tenant signing secret.

One URL per (tenant, family, url_type).  Registering a url_type again
*replaces* the URL (the console shows one current value per kind; callbacks.md
§1 leaves the API behaviour open).  Events still waiting for delivery to the
old URL follow the registration to the new one: a tenant who fixes a broken
receiver by registering its new address gets the backlog there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.callbacks import formats, signing
from tidings.security import SecretBox
from tidings.store.models.callbacks import CallbackOutbox, CallbackRegistration, OutboxStatus
from tidings.store.models.core import Tenant
from tidings.timeutil import utcnow

AIM = "aim"
URL_SINGLE, URL_TEMPLATE, URL_BATCH = 0, 1, 2
URL_TYPES = (URL_SINGLE, URL_TEMPLATE, URL_BATCH)

# Which outbox rows a registration feeds: (kinds, batch flag).
_FEEDS = {
    (AIM, URL_SINGLE): ((formats.AIM_SMS, formats.AIM_SHORTCHAIN), False),
    (AIM, URL_BATCH): ((formats.AIM_SMS, formats.AIM_SHORTCHAIN), True),
    (AIM, URL_TEMPLATE): ((formats.AIM_TEMPLATE,), False),
}


@dataclass(frozen=True, slots=True)
class Registration:
    id: str
    url_type: int
    url: str


async def urls(session: AsyncSession, tenant_id: str, family: str = AIM) -> dict[int, str]:
    rows = await session.execute(
        select(CallbackRegistration.url_type, CallbackRegistration.url).where(
            CallbackRegistration.tenant_id == tenant_id, CallbackRegistration.family == family
        )
    )
    return {url_type: url for url_type, url in rows}


async def list_registrations(session: AsyncSession, tenant_id: str, family: str = AIM) -> list[Registration]:
    rows = await session.execute(
        select(CallbackRegistration)
        .where(CallbackRegistration.tenant_id == tenant_id, CallbackRegistration.family == family)
        .order_by(CallbackRegistration.url_type)
    )
    return [Registration(r.id, r.url_type, r.url) for r in rows.scalars()]


async def register(session: AsyncSession, tenant_id: str, url_type: int, url: str, family: str = AIM) -> tuple[Registration, str | None]:
    """Create or replace; returns the registration and the URL it replaced."""
    existing = (
        await session.execute(
            select(CallbackRegistration)
            .where(
                CallbackRegistration.tenant_id == tenant_id,
                CallbackRegistration.family == family,
                CallbackRegistration.url_type == url_type,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    new_id = str(uuid.uuid4())
    previous = None
    if existing is None:
        session.add(CallbackRegistration(id=new_id, tenant_id=tenant_id, family=family, url_type=url_type, url=url))
    else:
        previous = existing.url
        # A replacement is a new registration: new id, new URL.
        existing.id, existing.url, existing.updated_at = new_id, url, utcnow()
        feed = _FEEDS.get((family, url_type))
        if feed is not None and previous != url:
            kinds, batch = feed
            await session.execute(
                update(CallbackOutbox)
                .where(
                    CallbackOutbox.tenant_id == tenant_id,
                    CallbackOutbox.url == previous,
                    CallbackOutbox.status == OutboxStatus.PENDING,
                    CallbackOutbox.kind.in_(kinds),
                    CallbackOutbox.batch == batch,
                )
                .values(url=url)
                .execution_options(synchronize_session=False)
            )
    await session.flush()
    return Registration(new_id, url_type, url), previous


async def secret(session: AsyncSession, box: SecretBox, tenant_id: str) -> str:
    """The tenant's callback secret, created on first use."""
    sealed = (await session.execute(select(Tenant.callback_secret_sealed).where(Tenant.id == tenant_id))).scalar_one_or_none()
    if sealed:
        return box.open(sealed)
    fresh = signing.new_secret()
    # Only if still unset: two processes creating it at once agree on one.
    await session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id, Tenant.callback_secret_sealed.is_(None))
        .values(callback_secret_sealed=box.seal(fresh))
        .execution_options(synchronize_session=False)
    )
    sealed = (await session.execute(select(Tenant.callback_secret_sealed).where(Tenant.id == tenant_id))).scalar_one()
    if sealed is None:  # the update above sets it unless the tenant does not exist
        raise LookupError(f"no tenant {tenant_id}")
    return box.open(sealed)


async def rotate_secret(session: AsyncSession, box: SecretBox, tenant_id: str) -> str:
    fresh = signing.new_secret()
    await session.execute(
        update(Tenant).where(Tenant.id == tenant_id).values(callback_secret_sealed=box.seal(fresh)).execution_options(synchronize_session=False)
    )
    return fresh
