"""Delivery settings and the retry schedule.

Defaults (docs/callbacks.md): connect timeout 5 s, 10 s for the whole request;
a failed request is retried after a delay drawn uniformly from
``[min_delay, min(max_delay, first_delay * 2^(n-1))]`` ("full jitter", n = the
number of attempts made so far): 5 s, 10 s, 20 s ... capped at 30 minutes, so
receivers that come back are not hit by every sender at the same instant.  An
event is given up 48 hours after it was created (at least 24 h, per the issue);
that is about 100 more attempts once the cap is reached.

Everything is configurable for operators and tests: environment variables
``TIDINGS_CALLBACKS_<NAME>`` (e.g. ``TIDINGS_CALLBACKS_FIRST_DELAY=0.2``) or
``[extra.callbacks]`` in tidings.toml; the environment wins.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict


class CallbackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_CALLBACKS_", extra="ignore")

    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    first_delay: float = 5.0
    min_delay: float = 1.0
    max_delay: float = 30 * 60.0
    give_up_after: float = 48 * 3600.0
    # Events per batched request (AIM url_type 2).
    batch_max_events: int = 100
    # Concurrent requests per destination URL (per worker process).
    per_url_concurrency: int = 4
    # Rows claimed per round, and how long a claim is held before another
    # worker may take the rows over (a crashed worker's rows come back then).
    # A live worker renews the lease of rows it is still sending every third
    # of it, so this bounds the delay after a crash, not the time a lane may take.
    claim_size: int = 500
    lease_seconds: float = 30.0
    # A destination's share of a round stops after this long; the rest is released.
    lane_budget_seconds: float = 60.0
    max_connections: int = 256
    max_lanes: int = 128
    poll_interval: float = 0.25
    # Delivered and given-up events, and attempts, are deleted after this long.
    retention_days: float = 7.0

    @classmethod
    def load(cls, extra: dict[str, Any] | None = None) -> CallbackSettings:
        """Environment first, then the TOML ``[extra.callbacks]`` table for what it does not set."""
        env_set = cls().model_fields_set
        table = (extra or {}).get("callbacks", {}) or {}
        return cls(**{k: v for k, v in table.items() if k not in env_set})


def retry_delay(policy: CallbackSettings, attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed request."""
    ceiling = min(policy.max_delay, policy.first_delay * (2 ** max(0, attempts - 1)))
    low = min(policy.min_delay, ceiling)
    return (rng or random).uniform(low, ceiling)


def gives_up(policy: CallbackSettings, created_at: datetime, now: datetime) -> bool:
    return now - created_at >= timedelta(seconds=policy.give_up_after)
