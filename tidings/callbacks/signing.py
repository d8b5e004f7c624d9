"""The signature Tidings puts on every callback (KooMessage has none).

``X-Tidings-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` where the HMAC
key is the tenant's callback secret (UTF-8) and the signed message is
``"<t>." + raw body bytes``.  The timestamp is inside the MAC so a captured
request cannot be replayed later with a fresh ``t``; receivers reject a ``t``
too far from their clock (we suggest 5 minutes).  ``v1`` names the scheme so a
later one can be added beside it without breaking verifiers.

The timestamp is the time of *this* attempt, not of the event: a redelivery
carries a fresh signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Tidings-Signature"
EVENT_HEADER = "X-Tidings-Event-Id"
ATTEMPT_HEADER = "X-Tidings-Attempt"
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    return "tds_" + secrets.token_hex(32)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> bool:
    """True when ``header`` is a valid signature of ``body`` made within ``tolerance`` seconds."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        t = int(fields["t"])
        given = fields["v1"]
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)
