"""Verify Huawei's SDK-HMAC-SHA256 request signature, exactly as the official
SDK (huaweicloudsdkcore ``Signer``) computes it.

Canonical request = METHOD, canonical URI (each path segment percent-encoded
with only ``~`` safe, always ending in ``/``), the sorted and encoded query,
``name:value`` for each signed header, the signed header list, and the hex
SHA-256 of the body (the empty-body hash when there is no body).

The SDK sends ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` for every body that is
not JSON, i.e. for its multipart uploads; such a signature covers no body at
all, so it is accepted only on the upload operations.  Any other value of that
header is ignored: the hash is always the server's own, so a signature made for
one body never vouches for another.  Pure functions: no I/O here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<sh>[^,\s]+),\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)


class SignatureError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization:
    m = _AUTH_RE.match(value.strip())
    if not m:
        raise SignatureError("malformed Authorization header")
    return ParsedAuthorization(m["ak"], m["sh"].split(";"), m["sig"].lower())


def _enc(s: str) -> str:
    return quote(s, safe="~")


def canonical_uri(path: str) -> str:
    uri = "/".join(_enc(seg) for seg in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(pairs))


def canonical_request(
    method: str,
    path: str,
    query_pairs: list[tuple[str, str]],
    headers: dict[str, str],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    missing = [h for h in signed_headers if h not in headers]
    if missing:
        raise SignatureError(f"signed header {missing[0]} is missing")
    canon_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed_headers)
    return "\n".join(
        [method.upper(), canonical_uri(path), canonical_query(query_pairs), canon_headers, ";".join(signed_headers), payload_hash]
    )


def payload_hash(declared: str | None, body_sha256: str, body_empty: bool, *, unsigned_allowed: bool) -> str:
    """The body hash the signature must cover.  ``declared`` is the
    ``X-Sdk-Content-Sha256`` header; ``body_sha256`` the hex hash of the body
    actually received."""
    if body_empty:
        return EMPTY_HASH
    if declared == UNSIGNED_PAYLOAD:
        if not unsigned_allowed:
            raise SignatureError("X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is accepted only on upload operations")
        return UNSIGNED_PAYLOAD
    return body_sha256


def string_to_sign(canonical: str, sdk_date: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign(secret: str, canonical: str, sdk_date: str) -> str:
    return hmac.new(secret.encode(), string_to_sign(canonical, sdk_date).encode(), hashlib.sha256).hexdigest()


def parse_sdk_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise SignatureError("X-Sdk-Date must be yyyyMMddTHHmmssZ") from exc


def verify(expected_sig: str, secret: str, canonical: str, sdk_date: str) -> bool:
    return hmac.compare_digest(sign(secret, canonical, sdk_date), expected_sig)
