"""Per-recipient frequency limits (pipeline): defaults, overrides, windows."""

from __future__ import annotations

import pytest

from tidings.domain import frequency as f

T0 = 1_800_000_000  # an instant well inside a day; windows are computed from it


def send(counter, limits, t, n=1):
    return f.admit(counter, limits, f.Windows.at(t), n)


def test_code_defaults_are_the_anchors():
    assert f.limits_for({}, f.CODE) == f.Limits(1, 5, 10)
    assert f.kind_of("NOTIFY_TYPE", True) == f.CODE
    assert f.kind_of("NOTIFY_TYPE", False) == f.NOTIFY
    assert f.kind_of("PROMOTION_TYPE", False) == f.MARKETING
    notify, marketing = f.limits_for({}, f.NOTIFY), f.limits_for({}, f.MARKETING)
    assert notify.per_minute > 1 and notify.per_day > 10
    assert marketing.per_day is not None and marketing.per_minute is None


def test_one_code_a_minute_five_an_hour_ten_a_day():
    limits = f.limits_for({}, f.CODE)
    start = (T0 // 86400) * 86400 - 8 * 3600  # midnight UTC+8
    c = send(None, limits, start)
    assert c is not None
    assert send(c, limits, start + 30) is None  # same minute
    sent = 1
    t = start
    while sent < 5:
        t += 60
        c = send(c, limits, t)
        assert c is not None
        sent += 1
    assert send(c, limits, t + 60) is None  # 6th within the hour
    for hour in range(1, 6):  # next hours: one each until the day is full
        got = send(c, limits, start + hour * 3600)
        if sent < 10:
            assert got is not None
            c, sent = got, sent + 1
    assert sent == 10
    assert send(c, limits, start + 7 * 3600) is None  # 11th in the day
    assert send(c, limits, start + 86400) is not None  # a new day (midnight UTC+8)


def test_admit_refuses_without_counting():
    limits = f.Limits(per_minute=2)
    c = send(None, limits, T0)
    c = send(c, limits, T0 + 1)
    assert c.minute_count == 2
    assert send(c, limits, T0 + 2) is None
    assert c.minute_count == 2  # unchanged: the caller keeps the old counter


def test_tenant_and_signature_overrides():
    settings = {
        "frequency_limits": {
            "code": {"per_minute": 3},
            "marketing": None,
            "signatures": {"sig-a": {"code": {"per_day": None, "per_hour": 0}}},
        }
    }
    assert f.limits_for(settings, f.CODE) == f.Limits(3, 5, 10)
    assert f.limits_for(settings, f.MARKETING).unlimited
    assert f.limits_for(settings, f.CODE, "sig-a") == f.Limits(3, 0, None)
    assert f.limits_for(settings, f.CODE, "sig-b") == f.Limits(3, 5, 10)
    assert send(None, f.limits_for(settings, f.CODE, "sig-a"), T0) is None  # 0 = none allowed


@pytest.mark.parametrize(
    "config,where",
    [
        ({"code": {"per_week": 1}}, "per_week"),
        ({"code": {"per_day": -1}}, "per_day"),
        ({"code": {"per_day": "5"}}, "per_day"),
        ({"code": 5}, "frequency_limits.code"),
        ({"day_utc_offset_hours": 20}, "day_utc_offset_hours"),
    ],
)
def test_bad_settings_are_named(config, where):
    with pytest.raises(f.LimitsError, match=where):
        f.validate_settings({"frequency_limits": config})


def test_day_window_follows_the_configured_offset():
    utc_midnight = (T0 // 86400) * 86400
    before, after = utc_midnight - 1, utc_midnight
    assert f.Windows.at(before, 0).day != f.Windows.at(after, 0).day
    # At UTC midnight it is 08:00 in China: same China day on both sides.
    assert f.Windows.at(before, 8 * 3600).day == f.Windows.at(after, 8 * 3600).day
    assert f.day_offset_seconds({"frequency_limits": {"day_utc_offset_hours": 0}}) == 0
    assert f.day_offset_seconds({}) == 8 * 3600
