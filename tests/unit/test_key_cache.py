"""The key-lookup cache keeps a grant (or a miss) for ``key_cache_seconds``."""

from __future__ import annotations

from tidings.grants import GrantCache


def test_a_lookup_is_kept_for_the_configured_time_and_zero_keeps_nothing():
    kept = GrantCache(3600)
    kept.put("ak:miss", None)
    assert kept.get("ak:miss") == (True, None)  # a miss is cached too
    kept.forget("ak:miss")
    assert kept.get("ak:miss") == (False, None)
    off = GrantCache(0)
    off.put("ak:miss", None)
    assert off.get("ak:miss") == (False, None)
