"""Recipient numbers (pipeline): what a send may name and the stored form."""

from __future__ import annotations

import pytest

from tidings.domain.numbers import NumberError, display, normalize


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+8613800138000", "8613800138000", "008613800138000"],
)
def test_mainland_spellings_normalize_to_e164_digits(raw):
    assert normalize(raw) == "8613800138000"


@pytest.mark.parametrize(
    "raw,reason",
    [
        ("", "empty"),
        ("1380013800", "mainland"),  # 10 digits
        ("138001380001", "mainland"),  # 12 digits
        ("12000138000", "valid mainland"),  # no 120 prefix in China
        ("+8612000138000", "valid mainland"),
        ("138 0013 8000", "digits"),
        ("138-0013-8000", "digits"),
        ("+86138001380a0", "digits"),
        ("+" + "1" * 21, "21 characters"),
        ("02584567890", "mainland"),  # a landline is not a mobile number
        ("+862584567890", "valid mainland"),
    ],
)
def test_bad_numbers_say_why(raw, reason):
    with pytest.raises(NumberError) as exc:
        normalize(raw)
    assert reason in str(exc.value)


def test_international_needs_the_tenant_setting():
    with pytest.raises(NumberError, match="not enabled"):
        normalize("+447911123456")
    assert normalize("+447911123456", international=True) == "447911123456"
    assert normalize("00447911123456", international=True) == "447911123456"


def test_international_numbers_must_be_valid_mobiles():
    with pytest.raises(NumberError, match="mobile"):
        normalize("+442071838750", international=True)  # a London landline
    with pytest.raises(NumberError):
        normalize("+99912345", international=True)


def test_mainland_validity_follows_phonenumbers_metadata():
    import phonenumbers

    for prefix in ("130", "145", "150", "166", "170", "181", "199", "154", "192"):
        raw = prefix + "00138000"
        expected = phonenumbers.is_valid_number(phonenumbers.parse("+86" + raw))
        try:
            normalize(raw)
            ok = True
        except NumberError:
            ok = False
        assert ok == expected, raw


def test_display():
    assert display("8613800138000") == "13800138000"
    assert display("447911123456") == "+447911123456"
