"""SMS text: picking an encoding, counting parts, splitting, and decoding inbound text.

Pure functions, no I/O.  The pipeline bills on :func:`count_parts` and the SMPP
channel submits what :func:`split` produces; both run the same cut procedure
(:func:`_cuts`), so the number billed is always the number sent.

Encodings, in order of preference:

* ``gsm7``: the GSM 03.38 default alphabet.  Characters of the extension table
  (``^{}\\[~]|€`` and form feed) are sent as ESC + code and count as 2 septets.
  Single part: 160 septets; concatenated: 153 per part.
* ``latin1``: ISO-8859-1, data_coding 3, 140 / 134 octets.  Only when asked for
  (``allow_latin1=True``): many SMSCs and handsets mishandle it.
* ``ucs2``: UTF-16BE, data_coding 8, 70 / 67 code units.  A character outside the
  BMP is a surrogate pair (2 units) and a pair is never split across parts.

Chinese text (the common case) is UCS-2; a signature like ``【华为云】`` at the
start is ordinary text and is counted.

Long messages carry either a user data header (``udh``: IEI 0x00, 8-bit
reference, 6 octets) in front of the payload, or the SAR TLVs (``sar``: 16-bit
reference).  GSM text is submitted unpacked by default (one septet per octet with
data_coding 0, what SMSCs normally expect); packed septets are an option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["gsm7", "latin1", "ucs2"]
Method = Literal["udh", "sar"]

GSM7: Encoding = "gsm7"
LATIN1: Encoding = "latin1"
UCS2: Encoding = "ucs2"

DATA_CODING: dict[str, int] = {GSM7: 0, LATIN1: 3, UCS2: 8}

# (single-part limit, per-part limit when concatenated), in the encoding's units.
LIMITS: dict[str, tuple[int, int]] = {GSM7: (160, 153), LATIN1: (140, 134), UCS2: (70, 67)}

MAX_PARTS = 255  # the UDH and SAR segment counters are one octet

_ESC = 0x1B
# GSM 03.38 default alphabet; index = septet value.  Index 0x1B is the escape.
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(_GSM_BASIC) == 128
_GSM_EXT = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}

# str.translate tables: text -> unpacked septets (as latin-1 chars), and septets -> text.
_ENCODE_TABLE: dict[int, str] = {ord(c): chr(i) for i, c in enumerate(_GSM_BASIC) if i != _ESC}
_ENCODE_TABLE.update({ord(c): "\x1b" + chr(code) for c, code in _GSM_EXT.items()})
_GSM_DELETE = {k: None for k in _ENCODE_TABLE}
_DECODE_BASIC = {i: c for i, c in enumerate(_GSM_BASIC)}
_DECODE_BASIC.update({i + 0x80: c for i, c in enumerate(_GSM_BASIC)})  # tolerate a set top bit
_DECODE_EXT = {code: c for c, code in _GSM_EXT.items()}


@dataclass(frozen=True, slots=True)
class Part:
    """One SMS part as it goes on the wire."""

    payload: bytes  # the encoded text of this part (packed septets include the UDH fill bits)
    udh: bytes = b""  # user data header for the UDH method; set esm_class UDHI (0x40)
    sar: tuple[int, int, int] | None = None  # (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)

    @property
    def short_message(self) -> bytes:
        return self.udh + self.payload


def is_gsm7(text: str) -> bool:
    return not text.translate(_GSM_DELETE)


def pick_encoding(text: str, allow_latin1: bool = False) -> Encoding:
    if is_gsm7(text):
        return GSM7
    if allow_latin1:
        try:
            text.encode("latin-1")
            return LATIN1
        except UnicodeEncodeError:
            pass
    return UCS2


def encode_gsm7(text: str, packed: bool = False) -> bytes:
    """Text -> GSM septets, one per octet (or packed).  ValueError if not in the alphabet."""
    leftover = text.translate(_GSM_DELETE)
    if leftover:
        raise ValueError(f"not in the GSM 7-bit alphabet: {leftover[0]!r}")
    raw = text.translate(_ENCODE_TABLE).encode("latin-1")
    return pack_septets(raw) if packed else raw


def decode_gsm7(data: bytes, packed: bool = False, fill_bits: int = 0) -> str:
    """GSM septets (unpacked, or packed after ``fill_bits`` padding bits) -> text."""
    if packed:
        data = unpack_septets(data, fill_bits)
    if _ESC not in data:
        return data.decode("latin-1").translate(_DECODE_BASIC)
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i] & 0x7F
        if b == _ESC:
            if i + 1 < n:
                nxt = data[i + 1] & 0x7F
                # An unknown extension code shows as its basic character (03.38 §6.2.1.1).
                out.append(_DECODE_EXT.get(nxt, _GSM_BASIC[nxt] if nxt != _ESC else " "))
                i += 2
                continue
            out.append(" ")
        else:
            out.append(_GSM_BASIC[b])
        i += 1
    return "".join(out)


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    if not septets and not fill_bits:
        return b""
    value = 0
    for i, s in enumerate(septets):
        value |= (s & 0x7F) << (7 * i)
    nbits = 7 * len(septets) + fill_bits
    return (value << fill_bits).to_bytes((nbits + 7) // 8, "little")


def unpack_septets(data: bytes, fill_bits: int = 0) -> bytes:
    nbits = 8 * len(data) - fill_bits
    n = nbits // 7
    value = int.from_bytes(data, "little") >> fill_bits
    out = bytes((value >> (7 * i)) & 0x7F for i in range(n))
    # 7 spare bits decode as a trailing '@' (0x00) that was never sent: drop it.
    if n and nbits % 7 == 0 and out[-1] == 0:
        out = out[:-1]
    return out


def _encode(text: str, encoding: Encoding) -> bytes:
    if encoding == GSM7:
        return encode_gsm7(text)
    if encoding == LATIN1:
        return text.encode("latin-1")
    if encoding == UCS2:
        return text.encode("utf-16-be", "surrogatepass")
    raise ValueError(f"unknown encoding {encoding!r}")


def _unit_size(encoding: Encoding) -> int:
    return 2 if encoding == UCS2 else 1


def _cuts(encoded: bytes, encoding: Encoding) -> list[tuple[int, int]]:
    """Byte ranges of each part: greedy, never ending a part on a GSM escape or
    on a UTF-16 high surrogate (so neither pair is split)."""
    single, multi = LIMITS[encoding]
    size = _unit_size(encoding)
    n = len(encoded)
    if n <= single * size:
        return [(0, n)]
    step = multi * size
    cuts: list[tuple[int, int]] = []
    pos = 0
    while pos < n:
        end = min(pos + step, n)
        if end < n:
            if encoding == GSM7 and encoded[end - 1] == _ESC:
                end -= 1
            elif encoding == UCS2 and 0xD8 <= encoded[end - 2] <= 0xDB:
                end -= 2
        cuts.append((pos, end))
        pos = end
    return cuts


def count_parts(text: str, allow_latin1: bool = False) -> tuple[Encoding, int, int]:
    """(encoding, parts, units): units are septets (gsm7), octets (latin1) or
    UTF-16 code units (ucs2).  Raises ValueError past :data:`MAX_PARTS`."""
    encoding = pick_encoding(text, allow_latin1)
    encoded = _encode(text, encoding)
    units = len(encoded) // _unit_size(encoding)
    single, multi = LIMITS[encoding]
    hazard = (_ESC in encoded) if encoding == GSM7 else (encoding == UCS2 and len(text) * 2 != len(encoded))
    if units <= single:
        parts = 1
    elif not hazard:  # no pair can straddle a cut: plain ceiling, same as _cuts
        parts = -(-units // multi)
    else:
        parts = len(_cuts(encoded, encoding))
    if parts > MAX_PARTS:
        raise ValueError(f"text needs {parts} parts; at most {MAX_PARTS}")
    return encoding, parts, units


def split(
    text: str,
    encoding: Encoding,
    method: Method = "udh",
    ref: int = 0,
    packed: bool = False,
) -> list[Part]:
    """Per-part payloads, with a UDH (8-bit ``ref``) or SAR values (16-bit ``ref``).

    A single-part message carries neither.  ``packed`` only applies to gsm7.
    """
    if method not in ("udh", "sar"):
        raise ValueError(f"unknown long-message method {method!r}")
    encoded = _encode(text, encoding)
    cuts = _cuts(encoded, encoding)
    total = len(cuts)
    if total > MAX_PARTS:
        raise ValueError(f"text needs {total} parts; at most {MAX_PARTS}")
    gsm_packed = packed and encoding == GSM7
    if total == 1:
        return [Part(pack_septets(encoded) if gsm_packed else encoded)]
    parts: list[Part] = []
    for seq, (start, end) in enumerate(cuts, 1):
        chunk = encoded[start:end]
        if method == "udh":
            udh = bytes((5, 0x00, 3, ref & 0xFF, total, seq))
            # The 6-octet UDH is followed by 1 fill bit so the septets start on a septet boundary.
            payload = pack_septets(chunk, fill_bits=1) if gsm_packed else chunk
            parts.append(Part(payload, udh=udh))
        else:
            payload = pack_septets(chunk) if gsm_packed else chunk
            parts.append(Part(payload, sar=(ref & 0xFFFF, total, seq)))
    return parts


def decode_by_data_coding(data_coding: int, data: bytes, dc0: Literal["gsm", "ascii"] = "gsm") -> str:
    """Inbound short_message bytes -> text.

    0: SMSC default alphabet; ``dc0="gsm"`` reads unpacked GSM septets (falling
    back to Latin-1 when a byte cannot be a septet), ``"ascii"`` reads ASCII.
    1: IA5/ASCII.  3: Latin-1.  8: UCS-2.  2/4 (binary): hex of the octets.
    0xF0-0xFF (message class group): bit 2 chooses 8-bit (hex) or GSM.
    """
    if data_coding == 0:
        if dc0 == "ascii" or any(b > 0x7F for b in data):
            return data.decode("latin-1")
        return decode_gsm7(data)
    if data_coding == 1:
        return data.decode("ascii", "replace")
    if data_coding == 3:
        return data.decode("latin-1")
    if data_coding == 8:
        return data.decode("utf-16-be", "replace")
    if data_coding in (2, 4):
        return data.hex()
    if data_coding & 0xF0 == 0xF0:
        return data.hex() if data_coding & 0x04 else decode_gsm7(data)
    return data.decode("latin-1")
