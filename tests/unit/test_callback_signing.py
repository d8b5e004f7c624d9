"""The callback signature: what a receiver verifies, with the code docs/callbacks.md gives."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

from tidings.callbacks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "callbacks.md"


def test_sign_and_verify_round_trip():
    body = b'{"request_id":"x","body":"[]"}'
    header = signing.sign("tds_secret", body)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert signing.verify("tds_secret", body, header)


def test_a_changed_body_secret_or_timestamp_fails():
    body = b'{"a":1}'
    t = int(time.time())
    header = signing.sign("tds_secret", body, t)
    assert not signing.verify("tds_secret", b'{"a":2}', header)
    assert not signing.verify("tds_other", body, header)
    # The timestamp is inside the MAC: it cannot be refreshed by a replayer.
    assert not signing.verify("tds_secret", body, header.replace(f"t={t}", f"t={t + 1}"))
    assert not signing.verify("tds_secret", body, "garbage")


def test_an_old_signature_is_outside_the_tolerance():
    body = b"{}"
    old = signing.sign("tds_secret", body, int(time.time()) - 600)
    assert not signing.verify("tds_secret", body, old)
    assert signing.verify("tds_secret", body, old, tolerance=900)


def test_the_mac_is_hmac_sha256_of_timestamp_dot_body():
    body = b"hello"
    header = signing.sign("k", body, 1700000000)
    assert header == "t=1700000000,v1=" + hmac.new(b"k", b"1700000000.hello", hashlib.sha256).hexdigest()


def test_the_documented_verifier_works():
    source = DOC.read_text()
    code = re.search(r"```python\n(# verify-tidings-signature.*?)```", source, re.S).group(1)
    scope: dict = {}
    exec(code, scope)
    body = b'{"request_id":"r1"}'
    header = signing.sign("tds_secret", body)
    assert scope["verify"]("tds_secret", body, header) is True
    assert scope["verify"]("tds_secret", body + b" ", header) is False
    assert scope["verify"]("tds_secret", body, signing.sign("tds_secret", body, int(time.time()) - 3600)) is False
