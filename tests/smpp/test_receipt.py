from datetime import UTC, datetime, timedelta, timezone

import pytest

from tidings.channels.smpp import receipt as R
from tidings.channels.smpp.receipt import fast_delivered, parse_receipt

STD = "id:0000001A sub:001 dlvrd:001 submit date:2401311205 done date:2401311206 stat:DELIVRD err:000 text:hello id:x"


def test_standard_receipt():
    r = R.parse_receipt(STD)
    assert r.carrier_message_id == "1A"
    assert r.stat == r.status == "DELIVRD" and r.final
    assert r.err == 0 and r.sub == "001" and r.dlvrd == "001"
    assert r.submitted_at == datetime(2024, 1, 31, 12, 5, tzinfo=UTC)
    assert r.done_at == datetime(2024, 1, 31, 12, 6, tzinfo=UTC)
    assert r.text == "hello id:x"  # text is the rest, even if it looks like keys


def test_case_missing_fields_and_12_digit_dates():
    r = R.parse_receipt("ID:abc123 Stat:undeliv Done Date:240131120659 ERR:0x0B")
    assert r.carrier_message_id == "ABC123"
    assert r.stat == "UNDELIV" and r.final
    assert r.err == 11 and r.err_text == "0x0B"
    assert r.done_at == datetime(2024, 1, 31, 12, 6, 59, tzinfo=UTC)
    assert r.submitted_at is None and r.sub is None


@pytest.mark.parametrize("err,value", [("000", 0), ("011", 11), ("00B", 11), ("0x1f", 31), ("", None), ("zz", None)])
def test_err_hex_or_decimal(err, value):
    assert R.parse_receipt(f"id:1 stat:UNDELIV err:{err}").err == value


@pytest.mark.parametrize(
    "stat,status,final",
    [("DELIVRD", "DELIVRD", True), ("EXPIRED", "EXPIRED", True), ("DELETED", "DELETED", True),
     ("UNDELIV", "UNDELIV", True), ("ACCEPTD", "ACCEPTD", True), ("UNKNOWN", "UNKNOWN", True),
     ("REJECTD", "REJECTD", True), ("ENROUTE", "ENROUTE", False), ("delivered", "DELIVRD", True),
     ("Undeliverable", "UNDELIV", True), ("MK:0005", "MK:0005", True)],
)
def test_stat_table(stat, status, final):
    r = R.parse_receipt(f"id:9 stat:{stat} err:0")
    assert (r.status, r.final) == (status, final)


def test_tlvs_win_over_text():
    r = R.parse_receipt("id:999 stat:DELIVRD", receipted_message_id="00AB", message_state=5)
    assert r.carrier_message_id == "AB" and r.status == "UNDELIV"
    # ... except a carrier code in the text is kept for a failure.
    r = R.parse_receipt("id:1 stat:MB:1077", receipted_message_id="1", message_state=5)
    assert r.status == "MB:1077"
    r = R.parse_receipt("", receipted_message_id="77", message_state=2)
    assert r.carrier_message_id == "77" and r.status == "DELIVRD"


def test_no_id_is_not_a_receipt():
    assert R.parse_receipt("stat:DELIVRD") is None
    assert R.parse_receipt("just some text") is None


def test_configured_id_base_transform():
    assert R.parse_receipt("id:26 stat:DELIVRD", id_transform="dec_to_hex").carrier_message_id == "1A"
    assert R.parse_receipt("id:1a stat:DELIVRD", id_transform="hex_to_dec").carrier_message_id == "26"
    assert R.parse_receipt("id:26 stat:DELIVRD").carrier_message_id == "26"


def test_timezone_and_bad_dates():
    tz = R.utc_offset(480)
    r = R.parse_receipt("id:1 done date:2402301200 submit date:2401011200 stat:DELIVRD", tz=tz)
    assert r.done_at is None  # 30 February
    assert r.submitted_at == datetime(2024, 1, 1, 4, 0, tzinfo=UTC)


def test_is_receipt():
    assert R.is_receipt(0x04, {}) and R.is_receipt(0x20, {})
    assert R.is_receipt(0x00, {"receipted_message_id": "1"})
    assert not R.is_receipt(0x00, {}) and not R.is_receipt(0x40, {})


@pytest.mark.parametrize(
    "text",
    [
        "id:0000001A sub:001 dlvrd:001 submit date:2611261200 done date:2611261201 stat:DELIVRD err:000 text:hello",
        "id:1a sub:001 dlvrd:001 submit date:261126120059 done date:261126120105 stat:DELIVRD err:0 text:",
        "ID:1A SUB:001 DLVRD:001 SUBMIT DATE:2611261200 DONE DATE:2611261201 STAT:DELIVERED ERR:000",
        "id:1A submit_date:2611261200 done_date:2611261201 stat:DELIVRD",
        "id:1A stat:DELIVRD err:000 text:no dates at all",
        "id:1A done date:bogus stat:UNDELIV err:0x1F",
    ],
)
@pytest.mark.parametrize("transform", ["none", "hex_to_dec"])
def test_fast_path_for_delivered_tlvs_matches_the_full_parse(text, transform):
    tz = timezone(timedelta(hours=8))
    full = parse_receipt(text, "0000001A", 2, transform, tz)
    fast = fast_delivered(text.encode(), "0000001A", 2, transform, tz)
    assert fast == (full.carrier_message_id, full.done_at, full.description)
    assert full.stat == "DELIVRD"


def test_fast_path_leaves_everything_else_to_the_full_parse():
    text = b"id:1A stat:UNDELIV err:005"
    assert fast_delivered(text, "1A", 5) is None  # not delivered
    assert fast_delivered(text, None, 2) is None  # no typed id
    assert fast_delivered(text, "1A", None) is None  # no typed state
