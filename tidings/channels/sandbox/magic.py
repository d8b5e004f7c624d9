"""The sandbox carrier's magic numbers: reserved mainland numbers that fail in
documented ways, so tests and demos can see every outcome (docs/sandbox.md).

The reserved block is ``1700000xxxx`` (170 is an MVNO prefix that
``phonenumbers`` accepts as mobile, so the API lets them through and the
*carrier* produces the outcome, as a real one would).  Every other valid number
is an ordinary handset: delivered (``DELIVRD``) after the configured latency.

Card capability (for smart messages later): every handset shows cards except
the feature phones ``17000001000``-``17000001999`` (delivered normally).
"""

from __future__ import annotations

from dataclasses import dataclass

DELIVER = "deliver"  # DELIVRD after the normal latency
REFUSE = "refuse"  # refused at submit (final), no report
REPORT_FAIL = "report_fail"  # accepted, then a failure report after the normal latency
HANDSET_OFF = "handset_off"  # accepted, EXPIRED after the handset-off period
THROTTLE = "throttle"  # refused at submit as transient for the first attempts, then delivered
SLOW = "slow"  # DELIVRD after the slow period
NO_REPORT = "no_report"  # accepted, never reported: the pipeline's validity expiry catches it


@dataclass(frozen=True, slots=True)
class Behaviour:
    kind: str
    code: str = "DELIVRD"
    desc: str = "delivered"


ORDINARY = Behaviour(DELIVER)

# national (11-digit) number -> behaviour
MAGIC: dict[str, Behaviour] = {
    "17000000001": Behaviour(REFUSE, "MK:0001", "the number does not exist (empty number)"),
    "17000000002": Behaviour(REPORT_FAIL, "MA:0001", "the number is on the carrier's blacklist"),
    "17000000003": Behaviour(HANDSET_OFF, "EXPIRED", "the handset stayed off until the validity period ended"),
    "17000000004": Behaviour(REPORT_FAIL, "UNDELIV", "the subscriber is suspended"),
    "17000000005": Behaviour(REPORT_FAIL, "MB:1025", "carrier system error"),
    "17000000006": Behaviour(THROTTLE, "MO:0008", "carrier flow control: submitted too fast"),
    "17000000007": Behaviour(SLOW, "DELIVRD", "delivered after the slow period"),
    "17000000008": Behaviour(NO_REPORT, "EXPIRED", "accepted but never reported: the pipeline expires it after the validity period"),
}

FEATURE_PHONES = ("17000001000", "17000001999")


def national(e164: str) -> str:
    return e164[2:] if e164.startswith("86") and len(e164) == 13 else e164


def behaviour(e164: str) -> Behaviour:
    if not e164.startswith("861700000"):  # fast path: nearly every number
        return ORDINARY
    return MAGIC.get(national(e164), ORDINARY)


def card_capable(e164: str) -> bool:
    n = national(e164)
    return not (FEATURE_PHONES[0] <= n <= FEATURE_PHONES[1] and len(n) == 11)


def describe() -> list[dict]:
    """The table ``tidings sandbox numbers`` prints."""
    rows = [{"number": n, "behaviour": b.kind, "status": b.code, "meaning": b.desc} for n, b in MAGIC.items()]
    rows.append(
        {"number": f"{FEATURE_PHONES[0]}-{FEATURE_PHONES[1]}", "behaviour": DELIVER, "status": "DELIVRD",
         "meaning": "a feature phone: delivered, not card-capable"}
    )
    rows.append({"number": "any other valid mainland mobile", "behaviour": DELIVER, "status": "DELIVRD",
                 "meaning": "delivered after the normal latency; card-capable"})
    return rows
