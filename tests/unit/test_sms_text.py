import pytest

from tidings.domain import sms_text as st


def test_pick_encoding():
    assert st.pick_encoding("Hello @ world") == st.GSM7
    assert st.pick_encoding("price 5€ [ok]") == st.GSM7
    assert st.pick_encoding("café") == st.GSM7  # é is in the default alphabet
    assert st.pick_encoding("naïve") == st.UCS2  # ï is not
    assert st.pick_encoding("naïve", allow_latin1=True) == st.LATIN1
    assert st.pick_encoding("back`tick") == st.UCS2  # ` is not in GSM 03.38
    assert st.pick_encoding("【华为云】您的验证码是123456") == st.UCS2
    assert st.pick_encoding("【华为云】", allow_latin1=True) == st.UCS2


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", ("gsm7", 1, 0)),
        ("a" * 160, ("gsm7", 1, 160)),
        ("a" * 161, ("gsm7", 2, 161)),
        ("a" * 306, ("gsm7", 2, 306)),
        ("a" * 307, ("gsm7", 3, 307)),
        ("€" * 80, ("gsm7", 1, 160)),
        ("€" * 81, ("gsm7", 2, 162)),
        ("华" * 70, ("ucs2", 1, 70)),
        ("华" * 71, ("ucs2", 2, 71)),
        ("华" * 134, ("ucs2", 2, 134)),
        ("华" * 135, ("ucs2", 3, 135)),
        ("😀" * 35, ("ucs2", 1, 70)),
        ("😀" * 36, ("ucs2", 2, 72)),
    ],
)
def test_count_parts(text, expected):
    assert st.count_parts(text) == expected


def test_count_parts_latin1_only_when_asked():
    assert st.count_parts("ï" * 140, allow_latin1=True) == ("latin1", 1, 140)
    assert st.count_parts("ï" * 141, allow_latin1=True) == ("latin1", 2, 141)
    assert st.count_parts("ï" * 141) == ("ucs2", 3, 141)


def test_signature_is_counted():
    body = "您的验证码是123456，5分钟内有效。"
    enc, parts, units = st.count_parts("【华为云】" + body)
    assert (enc, parts) == ("ucs2", 1)
    assert units == len(body) + 5


def test_escape_pair_never_split():
    # 152 plain septets then '€' (2 septets) would straddle the 153 cut.
    text = "a" * 152 + "€" + "b" * 10
    enc, parts, units = st.count_parts(text)
    assert (enc, units) == ("gsm7", 164)
    split = st.split(text, enc)
    assert len(split) == parts == 2
    assert len(split[0].payload) == 152  # the pair moved whole to part 2
    assert split[1].payload.startswith(b"\x1b\x65")
    assert "".join(st.decode_gsm7(p.payload) for p in split) == text


def test_escape_boundary_can_add_a_part():
    # 153*2 septets exactly, but a pair at each boundary pushes it to 3 parts.
    text = "a" * 152 + "{" + "a" * 151 + "}" + "a"
    enc, parts, units = st.count_parts(text)
    assert units == 152 + 2 + 151 + 2 + 1 == 308
    assert parts == len(st.split(text, enc)) == 3


def test_surrogate_pair_never_split():
    text = "华" * 66 + "😀" + "华" * 10
    enc, parts, units = st.count_parts(text)
    assert (enc, units) == ("ucs2", 78)
    split = st.split(text, enc)
    assert parts == len(split) == 2
    assert len(split[0].payload) == 132  # 66 units; the pair went to part 2
    assert "".join(p.payload.decode("utf-16-be") for p in split) == text
    # A pair at the first boundary and another at the second, with 2*67 units total, needs 3 parts.
    tricky = "华" * 66 + "😀" + "华" * 64 + "😀" + "华"
    assert st.count_parts(tricky)[1] == len(st.split(tricky, st.UCS2)) == 3


def test_split_udh_and_sar():
    text = "华" * 140
    parts = st.split(text, st.UCS2, method="udh", ref=0x1A7)
    assert [p.udh for p in parts] == [bytes((5, 0, 3, 0xA7, 3, i)) for i in (1, 2, 3)]
    assert all(p.sar is None for p in parts)
    assert [len(p.payload) for p in parts] == [134, 134, 12]
    assert parts[0].short_message == parts[0].udh + parts[0].payload
    sar = st.split(text, st.UCS2, method="sar", ref=0x1A7)
    assert [p.sar for p in sar] == [(0x1A7, 3, 1), (0x1A7, 3, 2), (0x1A7, 3, 3)]
    assert all(p.udh == b"" for p in sar)


def test_single_part_has_no_header():
    (part,) = st.split("hello", st.GSM7, ref=5)
    assert part == st.Part(b"hello")
    assert part.udh == b"" and part.sar is None


def test_split_matches_count_for_many_lengths():
    for ch in ("a", "华", "€", "😀"):
        for n in range(0, 400, 7):
            text = ch * n
            enc, parts, _ = st.count_parts(text)
            assert len(st.split(text, enc)) == parts, (ch, n)


def test_gsm7_round_trip_and_packing():
    text = "Hello @£$ {world} €5 ^~|\\[]\fÆ"
    raw = st.encode_gsm7(text)
    assert raw[:5] == b"\x48\x65\x6c\x6c\x6f"
    assert raw[6] == 0x00  # '@' is septet 0
    assert st.decode_gsm7(raw) == text
    packed = st.encode_gsm7(text, packed=True)
    assert len(packed) == (len(raw) * 7 + 7) // 8
    assert st.decode_gsm7(packed, packed=True) == text
    # The classic example from GSM 03.38: "hellohello" packed.
    assert st.encode_gsm7("hellohello", packed=True).hex() == "e8329bfd4697d9ec37"
    with pytest.raises(ValueError):
        st.encode_gsm7("华")


def test_packed_udh_parts_fit_140_octets():
    text = "x" * 400
    parts = st.split(text, st.GSM7, packed=True)
    assert len(parts) == 3
    assert all(len(p.short_message) <= 140 for p in parts)
    assert len(parts[0].short_message) == 140
    assert "".join(st.decode_gsm7(p.payload, packed=True, fill_bits=1) for p in parts) == text


def test_decode_by_data_coding():
    assert st.decode_by_data_coding(0, b"MO hello 1") == "MO hello 1"
    assert st.decode_by_data_coding(0, b"\x00\x02") == "@$"  # GSM septets
    assert st.decode_by_data_coding(0, b"\x40", dc0="ascii") == "@"
    assert st.decode_by_data_coding(1, b"abc") == "abc"
    assert st.decode_by_data_coding(3, "naïve".encode("latin-1")) == "naïve"
    assert st.decode_by_data_coding(8, "【华为云】😀".encode("utf-16-be")) == "【华为云】😀"
    assert st.decode_by_data_coding(4, b"\x01\xff") == "01ff"


def test_too_many_parts_rejected():
    with pytest.raises(ValueError):
        st.count_parts("a" * (153 * 255 + 1))
