"""The grant cache: who a key or token belongs to, remembered briefly."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tidings.store.tenants import KeyGrant


class GrantCache:
    """Authenticated keys and tokens for ``seconds`` (misses too; the setting
    ``key_cache_seconds``), so the hot send path does not pay a database round
    trip per request."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._items: dict[str, tuple[float, KeyGrant | None]] = {}

    def get(self, key: str) -> tuple[bool, KeyGrant | None]:
        hit = self._items.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, grant: KeyGrant | None) -> None:
        if len(self._items) > 10_000:
            self._items.clear()
        self._items[key] = (time.monotonic() + self._seconds, grant)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)
