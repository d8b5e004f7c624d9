"""The process-wide objects every part shares: settings, database, secret box,
limiters, the installed products and the long-lived objects the services
build.  One instance per process, built by :func:`tidings.installed.build_context`
(``serve``, ``api``, ``worker``, the CLI) or, without products, by
:meth:`AppContext.build` (tests of the shared mechanisms)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tidings.config import Settings
from tidings.grants import GrantCache
from tidings.ratelimit import TenantLimiter
from tidings.review import DecisionHooks, LinksHook
from tidings.security import SecretBox
from tidings.store.db import Database
from tidings.tenant_settings import SettingsSchema

if TYPE_CHECKING:
    from tidings.channels.registry import ChannelRegistry
    from tidings.dispatch.intake import Intake
    from tidings.dispatch.worker import Dispatcher
    from tidings.product import Product
    from tidings.runtime import ServiceRunner
    from tidings.storage import Storage


@dataclass
class AppContext:
    settings: Settings
    db: Database
    box: SecretBox
    limiter: TenantLimiter
    storage: Storage
    # Authenticated keys and tokens, briefly (api/deps.py; revoking a key forgets it).
    grant_cache: GrantCache
    # The installed products (tidings.installed.PRODUCTS), and what they add,
    # merged once at start-up.
    products: Sequence[Product] = ()
    review_hooks: DecisionHooks = field(default_factory=dict)
    review_links: Mapping[str, LinksHook] = field(default_factory=dict)
    # A tenant's settings: the shared keys and the products' (Product.tenant_settings).
    tenant_settings: SettingsSchema = field(default_factory=SettingsSchema)
    # Set by the send path after a commit so this process's dispatchers start at once.
    dispatch_wake: asyncio.Event = field(default_factory=asyncio.Event)
    # The channels this process knows and its routes (tidings.channels.setup.build_registry, at start-up).
    channels: ChannelRegistry | None = None
    # Set by the pipeline's services when this process runs them.
    intake: Intake | None = None
    dispatchers: list[Dispatcher] = field(default_factory=list)
    runner: ServiceRunner | None = None

    @classmethod
    def build(cls, settings: Settings, products: Sequence[Product] = (), review_hooks: DecisionHooks | None = None,
              review_links: Mapping[str, LinksHook] | None = None) -> AppContext:
        from tidings.storage import LocalStorage

        settings.ensure_dirs()
        return cls(
            settings=settings,
            db=Database(settings.db_url),
            box=SecretBox.from_data_dir(settings.data_dir),
            limiter=TenantLimiter(settings.rate_requests_per_second, settings.rate_messages_per_second),
            storage=LocalStorage(settings.data_dir),
            grant_cache=GrantCache(settings.key_cache_seconds),
            products=tuple(products),
            review_hooks=dict(review_hooks or {}),
            review_links=dict(review_links or {}),
            tenant_settings=SettingsSchema([p.tenant_settings for p in products if p.tenant_settings is not None]),
        )
