"""The retry schedule: exponential with full jitter, capped, at least 24 h."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tidings.callbacks.policy import CallbackSettings, gives_up, retry_delay


def test_delays_double_up_to_the_cap_with_jitter_below_the_ceiling():
    p = CallbackSettings()
    rng = random.Random(7)
    for attempts, ceiling in [(1, 5), (2, 10), (3, 20), (6, 160), (10, 1800), (40, 1800)]:
        delays = [retry_delay(p, attempts, rng) for _ in range(500)]
        assert all(min(p.min_delay, ceiling) <= d <= ceiling for d in delays)
        # Jittered: spread over the range, not one value.
        assert max(delays) - min(delays) > ceiling * 0.5


def test_the_default_schedule_keeps_trying_for_more_than_24_hours():
    p = CallbackSettings()
    created = datetime(2026, 1, 1)
    assert p.give_up_after >= 24 * 3600
    assert not gives_up(p, created, created + timedelta(hours=24))
    assert gives_up(p, created, created + timedelta(seconds=p.give_up_after))
    # Even always drawing the longest delay there are dozens of attempts before giving up.
    t, attempts = 0.0, 0
    while t < p.give_up_after:
        attempts += 1
        t += min(p.max_delay, p.first_delay * 2 ** (attempts - 1))
    assert attempts > 90


def test_settings_come_from_the_environment_over_the_toml_table(monkeypatch):
    assert CallbackSettings.load({"callbacks": {"first_delay": 2, "batch_max_events": 50}}).batch_max_events == 50
    monkeypatch.setenv("TIDINGS_CALLBACKS_FIRST_DELAY", "0.5")
    loaded = CallbackSettings.load({"callbacks": {"first_delay": 2}})
    assert loaded.first_delay == 0.5
