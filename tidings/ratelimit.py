"""Per-tenant token buckets for requests/s and messages/s.

In-process state: with several API processes each enforces its share (the
operator divides the limit; documented in docs/operations.md).  A tenant's
``settings`` may override either rate; the defaults are deliberately high so
that they never bound a benchmark (which prints them)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(slots=True)
class Bucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float

    def take(self, n: float, now: float) -> float:
        """Take n tokens; 0.0 on success, else seconds until they would be there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if n <= self.tokens:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate


class TenantLimiter:
    def __init__(self, requests_per_second: float, messages_per_second: float):
        self.default_rps = requests_per_second
        self.default_mps = messages_per_second
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def limits_for(self, settings: dict) -> tuple[float, float]:
        return (
            float(settings.get("rate_requests_per_second") or self.default_rps),
            float(settings.get("rate_messages_per_second") or self.default_mps),
        )

    def _bucket(self, tenant_id: str, kind: str, rate: float, min_capacity: float = 1.0) -> Bucket:
        key = (tenant_id, kind)
        b = self._buckets.get(key)
        if b is None or b.rate != rate:
            # One second's worth of burst, but never less than the largest single
            # request (500 numbers), or a slow tenant could never send a full batch.
            cap = max(rate, min_capacity)
            b = Bucket(rate=rate, capacity=cap, tokens=cap, stamp=time.monotonic())
            self._buckets[key] = b
        return b

    def take_request(self, tenant_id: str, settings: dict) -> float:
        rps, _ = self.limits_for(settings)
        return self._bucket(tenant_id, "req", rps).take(1, time.monotonic())

    def take_messages(self, tenant_id: str, settings: dict, n: int) -> float:
        _, mps = self.limits_for(settings)
        return self._bucket(tenant_id, "msg", mps, min_capacity=500).take(n, time.monotonic())


    def take_units(self, tenant_id: str, unit: str, rate: float, n: int) -> float:
        """``n`` of a product's own units at ``rate`` a second (smart messages:
        tidings.aim.sending.take_smart), in a bucket per tenant and unit apart from
        the message bucket; burst at most one second's worth, never less than one
        request of 500."""
        return self._bucket(tenant_id, f"unit:{unit}", rate, min_capacity=500).take(n, time.monotonic())


def retry_after_header(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}
