"""Routes and carriers (pure): candidate order, failover order, carrier prefixes."""

from __future__ import annotations

import pytest

from tidings.domain.carriers import carrier_of
from tidings.domain.routing import Route, RouteError, RouteTable, check_route


@pytest.mark.parametrize(
    "number,carrier",
    [
        ("8613800138000", "cmcc"),
        ("+8613800138000", "cmcc"),
        ("8613400001111", "cmcc"),
        ("8613490001111", "ctcc"),  # 1349: Telecom's satellite block inside Mobile's 134
        ("8613000001111", "cucc"),
        ("8618900001111", "ctcc"),
        ("8619800001111", "cmcc"),
        ("8617000001111", "ctcc"),  # 1700: Telecom MVNO
        ("8617030001111", "cmcc"),  # 1703: Mobile MVNO
        ("8617090001111", "cucc"),  # 1709: Unicom MVNO
        ("8619200001111", "cbn"),
        ("8612000001111", None),  # no such segment
        ("13800138000", None),  # national form is not E.164: 1 380... is a North American number
        ("447700900001", None),
        ("8602584567890", None),  # a landline
    ],
)
def test_carrier_by_prefix(number, carrier):
    assert carrier_of(number) == carrier


def table(*routes, enabled=None):
    return RouteTable([Route(id=i + 1, **{"product": "sms", **r}) for i, r in enumerate(routes)], enabled)


def test_empty_table_means_default_channel():
    t = table()
    assert t.empty and t.candidates("sms", "8613800138000") == [] and t.pick("sms", "8613800138000") is None


def test_priority_orders_candidates_then_specificity():
    t = table(
        {"channel": "backup", "priority": 20},
        {"channel": "generic", "priority": 10},
        {"channel": "mobile", "carrier": "cmcc", "priority": 10},
        {"channel": "beijing", "prefix": "86138", "priority": 10},
    )
    # cmcc number: all four match; at priority 10 the longer prefix, then the carrier route.
    assert t.candidates("sms", "8613800138000") == ["beijing", "mobile", "generic", "backup"]
    # a Unicom number: the carrier route does not match.
    assert t.candidates("sms", "8613000001111") == ["generic", "backup"]
    assert not t.empty


def test_prefix_and_carrier_together_and_products():
    t = table(
        {"channel": "cn-mobile", "prefix": "86", "carrier": "cmcc"},
        {"channel": "intl", "prefix": "44"},
        {"channel": "aim-only", "product": "aim"},
    )
    assert t.candidates("sms", "8613800138000") == ["cn-mobile"]
    assert t.candidates("sms", "8618900001111") == []  # routes exist, none matches: not sent
    assert t.candidates("sms", "447700900001") == ["intl"]
    assert t.candidates("aim", "447700900001") == ["aim-only"]
    assert t.candidates("basic", "447700900001") == []


def test_disabled_channels_are_no_candidates_and_duplicates_collapse():
    t = table(
        {"channel": "a", "priority": 1},
        {"channel": "b", "priority": 2},
        {"channel": "a", "prefix": "86", "priority": 3},
        {"channel": "c", "priority": 4},
        enabled={"a", "c"},
    )
    assert t.candidates("sms", "8613800138000") == ["a", "c"]


def test_pick_skips_channels_that_are_down():
    t = table({"channel": "a", "priority": 1}, {"channel": "b", "priority": 2}, {"channel": "c", "priority": 3})
    up = {"b", "c"}
    assert t.pick("sms", "8613800138000", lambda n: n in up) == "b"
    # nothing is up: the first candidate takes it and waits for its carrier
    assert t.pick("sms", "8613800138000", lambda n: False) == "a"


def test_failover_moves_to_next_up_candidate_and_wraps():
    t = table({"channel": "a", "priority": 1}, {"channel": "b", "priority": 2}, {"channel": "c", "priority": 3})
    n = "8613800138000"
    assert t.failover("sms", n, "a") == "b"
    assert t.failover("sms", n, "a", lambda name: name == "c") == "c"
    assert t.failover("sms", n, "c") == "a"  # the primary is back: wrap round to it
    assert t.failover("sms", n, "b", lambda name: False) is None  # nobody else up: stay
    assert table({"channel": "a"}).failover("sms", n, "a") is None  # a single route: nowhere to go
    assert t.failover("sms", n, "gone") == "a"  # its route was removed: any candidate


@pytest.mark.parametrize(
    "args,field",
    [
        (("mms", "", None, 1), "product"),
        (("basic", "", None, 1), "product"),  # a product that is not installed
        (("sms", "+86", None, 1), "prefix"),
        (("sms", "1" * 16, None, 1), "prefix"),
        (("sms", "", "att", 1), "carrier"),
        (("sms", "", None, -1), "priority"),
    ],
)
def test_check_route_names_the_field(args, field):
    with pytest.raises(RouteError, match=field):
        check_route(*args, products=("sms", "aim"))
    check_route("sms", "86", "cmcc", 10, products=("sms", "aim"))
