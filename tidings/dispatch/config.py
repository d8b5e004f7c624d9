"""Dispatch settings, from ``settings.extra["dispatch"]`` (``TIDINGS_EXTRA``
in the environment, or ``[extra.dispatch]`` in tidings.toml)."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from typing import Any

from tidings.store.models.smpp import FAIL, RESUBMIT, UnknownPolicy

__all__ = ["FAIL", "RESUBMIT", "DispatchConfig", "UnknownPolicy"]


@dataclass(slots=True)
class DispatchConfig:
    batch_size: int = 1000
    # Idle poll; the send path also wakes the dispatcher in its own process.
    poll_interval: float = 0.1
    # How long a remote submit may stay in flight before recovery calls it unknown.
    lease_seconds: float = 60.0
    # A process holding a transactional channel's pending receipts (the sandbox)
    # renews its lease every third of this; once it runs out another worker
    # re-arms them (tidings/dispatch/holders.py).
    holder_lease_seconds: float = 15.0
    # Transient failures: base * 2^(attempt-1), capped, with jitter in [50%, 100%].
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    max_attempts: int = 10
    # Expiry of undelivered messages for channels that set none themselves.
    validity_seconds: float = 48 * 3600.0
    # Per channel: {"smpp-a": "fail"}; channels not named resubmit.
    unknown_policy: dict[str, str] | None = None
    # Concurrent dispatch loops per channel (PostgreSQL; SQLite has one writer).
    loops: int = 1
    expiry_interval: float = 1.0

    @classmethod
    def from_settings(cls, extra: dict[str, Any] | None) -> DispatchConfig:
        raw = (extra or {}).get("dispatch") or {}
        cfg = cls()
        names = {f.name for f in fields(cls)}
        for key, value in raw.items():
            if key in names:
                current = getattr(cfg, key)
                setattr(cfg, key, value if current is None or isinstance(current, dict) else type(current)(value))
        return cfg

    def policy_for(self, channel: str) -> UnknownPolicy:
        return UnknownPolicy((self.unknown_policy or {}).get(channel, RESUBMIT))

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number ``attempt`` (1 = after the first failure)."""
        delay = min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempt - 1)))
        return float(delay * (0.5 + 0.5 * (rng or random).random()))
