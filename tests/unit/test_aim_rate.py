"""The smart-message rate cap: 1,000 a second per tenant by default, a
tenant's ``rate_aim_messages_per_second`` overrides it, tenants do not share
a bucket, and the SMS parts bucket is separate."""

from __future__ import annotations

from tidings.aim.sending import SMART_PER_SECOND, take_smart
from tidings.ratelimit import TenantLimiter


def test_the_default_cap_is_1000_smart_messages_a_second_per_tenant():
    lim = TenantLimiter(1e6, 1e6)
    assert SMART_PER_SECOND == 1000
    assert take_smart(lim, "t1", {}, 1000) == 0.0
    wait = take_smart(lim, "t1", {}, 100)
    assert 0.05 < wait <= 0.1  # 100 more need a tenth of a second at 1,000/s
    assert take_smart(lim, "t2", {}, 1000) == 0.0  # another tenant has its own bucket
    assert lim.take_messages("t1", {}, 1000) == 0.0  # SMS parts are counted apart


def test_a_tenant_setting_overrides_the_cap():
    lim = TenantLimiter(1e6, 1e6)
    assert take_smart(lim, "t1", {"rate_aim_messages_per_second": 5000}, 5000) == 0.0
    assert take_smart(lim, "t1", {"rate_aim_messages_per_second": 5000}, 1) > 0
    # A low rate still lets one flow chunk (500) through as a burst.
    assert take_smart(TenantLimiter(1e6, 1e6), "t3", {"rate_aim_messages_per_second": 10}, 500) == 0.0
