"""Which mainland China carrier a mobile number belongs to, by its prefix.

Routes can name a carrier instead of a prefix (``carrier=cmcc``), because
operators buy SMPP accounts per carrier: China Mobile (``cmcc``), China Unicom
(``cucc``), China Telecom (``ctcc``) and China Broadnet (``cbn``, 192).

The table is the MIIT number-segment allocation as published by the carriers
(including the MVNO blocks 170x/171/162/165/167 and the IoT/satellite blocks),
matched longest prefix first: ``1349`` is Telecom's satellite block inside
Mobile's ``134``, ``1700``-``1709`` split between the three.  Number
portability (since 2019) means the prefix names the carrier a number was
*issued* by, not necessarily the one serving it today; SMS gateways route by
prefix anyway and the carriers hand ported numbers over among themselves.
A number outside the table has no carrier (``None``): carrier routes do not
match it, prefix routes still can.
"""

from __future__ import annotations

CMCC = "cmcc"
CUCC = "cucc"
CTCC = "ctcc"
CBN = "cbn"
CARRIERS = (CMCC, CUCC, CTCC, CBN)

# National-number prefixes (after 86).  Longer entries override shorter ones.
_SEGMENTS: dict[str, tuple[str, ...]] = {
    CMCC: (
        "134", "135", "136", "137", "138", "139", "1440", "147", "148", "150", "151", "152", "157",
        "158", "159", "165", "1703", "1705", "1706", "172", "178", "182", "183", "184", "187",
        "188", "195", "197", "198",
    ),
    CUCC: (
        "130", "131", "132", "145", "146", "155", "156", "166", "167", "1704", "1707", "1708",
        "1709", "171", "175", "176", "185", "186", "196",
    ),
    CTCC: (
        "133", "1349", "149", "153", "162", "1700", "1701", "1702", "173", "17400", "17401",
        "17402", "17403", "17404", "17405", "177", "180", "181", "189", "190", "191", "193", "199",
    ),
    CBN: ("192",),
}

_BY_PREFIX: dict[str, str] = {p: name for name, prefixes in _SEGMENTS.items() for p in prefixes}
_LENGTHS = sorted({len(p) for p in _BY_PREFIX}, reverse=True)


def carrier_of(number: str) -> str | None:
    """The carrier of a mainland mobile number in E.164 digits (``8613800138000``,
    the stored form; a leading ``+`` is ignored).  Only the E.164 form: an
    11-digit ``13...`` is a North American number (country code 1), not a
    mainland one."""
    digits = number.lstrip("+")
    if len(digits) != 13 or not digits.startswith("861"):
        return None
    national = digits[2:]
    for length in _LENGTHS:
        hit = _BY_PREFIX.get(national[:length])
        if hit is not None:
            return hit
    return None
