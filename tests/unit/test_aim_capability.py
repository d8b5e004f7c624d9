"""The capability registry's pure parts: number spellings, keys, the sandbox rule, CSV rows."""

from __future__ import annotations

import hashlib

import pytest

from tidings.aim import capability as cap


def test_every_spelling_of_a_number_has_one_key():
    key = hashlib.sha1(b"8613912345678").hexdigest()
    for spelling in ("13912345678", "8613912345678", "008613912345678", "+8613912345678"):
        assert cap.key_of(spelling) == key
    assert cap.key_of(key.upper(), cap.SHA1) == key
    assert cap.key_of("1391234567") is None and cap.key_of("abc", cap.SHA1) is None and cap.key_of("+4479460000", cap.NONE) is None


def test_sandbox_rule_feature_phones_and_maker_split():
    assert cap.sandbox_maker(cap.key_of("17000001000")) is None and cap.sandbox_maker(cap.key_of("17000001999")) is None
    assert cap.sandbox_maker(cap.key_of("17000002000")) is not None
    assert cap.sandbox_maker("00" + "0" * 38) == "HUAWEI" and cap.sandbox_maker("5f" + "0" * 38) == "HUAWEI"
    assert cap.sandbox_maker("60" + "0" * 38) == "XIAOMI" and cap.sandbox_maker("ff" + "0" * 38) == "SAMSUNG"
    makers = {cap.sandbox_maker(cap.key_of(f"139{n:08d}")) for n in range(200)}
    assert makers == {"HUAWEI", "XIAOMI", "OPPO", "VIVO", "MEIZU", "SAMSUNG"}


def test_verdicts_prefer_imports_and_respect_the_template():
    a, b, c = (cap.key_of(n) for n in ("13900000001", "13900000002", "13900000003"))
    imported = {a: "", b: "VIVO"}
    assert cap.verdicts([a, b, c, None], imported, None) == [None, "VIVO", cap.sandbox_maker(c), None]
    assert cap.verdicts([b], imported, frozenset({"HUAWEI"})) == [None]


def test_csv_rows():
    key = hashlib.sha1(b"8613900000009").hexdigest()
    rows = cap.parse_csv(f"number,maker\n13900000001,HuaWei\n{key},none\n\n13900000002,\n")
    assert rows == [(cap.key_of("13900000001"), "HUAWEI"), (key, ""), (cap.key_of("13900000002"), "")]
    with pytest.raises(cap.CsvError, match="line 2"):
        cap.parse_csv("13900000001,vivo\n12,vivo\n")
