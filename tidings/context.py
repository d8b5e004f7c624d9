"""The process-wide objects every part shares: settings, database, secret box,
limiters, and the hooks products register.  One instance per process, built by
:func:`tidings.app.create_app` or by the worker/CLI entry points."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tidings.config import Settings
from tidings.ratelimit import TenantLimiter
from tidings.security import SecretBox
from tidings.store.db import Database


@dataclass
class AppContext:
    settings: Settings
    db: Database
    box: SecretBox
    limiter: TenantLimiter
    # Products put their long-lived objects here (channel registry, workers ...).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> "AppContext":
        settings.ensure_dirs()
        return cls(
            settings=settings,
            db=Database(settings.db_url),
            box=SecretBox.from_data_dir(settings.data_dir),
            limiter=TenantLimiter(settings.rate_requests_per_second, settings.rate_messages_per_second),
        )
