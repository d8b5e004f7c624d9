"""The verifier against the official SDK's signer on awkward inputs."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from tidings.api import signing


@pytest.mark.parametrize(
    "path,query,body,content_type",
    [
        ("/v1/sms/apps", [], b"", "application/json"),
        ("/v1/sms/apps/abc-123", [("offset", "0"), ("limit", "10")], b"", "application/json"),
        ("/v1/sms/templates", [("template_name", "华为 云~x y"), ("app_name", "a&b=c")], b"", "application/json"),
        ("/v1/aim/sms/messages", [], '{"to": ["13800138000"], "t": "中文"}'.encode(), "application/json"),
        ("/v1/sms/signatures/files", [("file_desc", "licence")], b"--x\r\nbinary\r\n", "multipart/form-data; boundary=x"),
        ("/v1/aim/template/a%20b", [], b"", "application/json"),
    ],
)
def test_verifier_matches_the_sdk_signer(path, query, body, content_type):
    headers = {"Content-Type": content_type, "User-Agent": "huaweicloud-usdk-python/3.0", "X-Project-Id": "p1"}
    req = SdkRequest(method="POST", schema="http", host="127.0.0.1:8000", resource_path=path, query_params=list(query), header_params=dict(headers), body=body)
    signed = Signer(BasicCredentials("AK123", "SK456")).sign(req)
    parsed = signing.parse_authorization(signed.header_params["Authorization"])
    lower = {k.lower(): v for k, v in signed.header_params.items()}
    import hashlib
    from urllib.parse import unquote

    upload = path.endswith("/files")
    body_hash = signing.payload_hash(lower.get("x-sdk-content-sha256"), hashlib.sha256(body).hexdigest(), not body, unsigned_allowed=upload)
    canonical = signing.canonical_request("POST", unquote(path), list(query), lower, parsed.signed_headers, body_hash)
    assert signing.verify(parsed.signature, "SK456", canonical, lower["x-sdk-date"])
    assert not signing.verify(parsed.signature, "SK457", canonical, lower["x-sdk-date"])


def test_malformed_authorization_is_rejected():
    with pytest.raises(signing.SignatureError):
        signing.parse_authorization("Basic abc")


def test_unsigned_payload_is_only_for_uploads_and_a_declared_hash_is_never_trusted():
    body_hash = "ab" * 32
    assert signing.payload_hash("UNSIGNED-PAYLOAD", body_hash, False, unsigned_allowed=True) == "UNSIGNED-PAYLOAD"
    with pytest.raises(signing.SignatureError, match="only on upload operations"):
        signing.payload_hash("UNSIGNED-PAYLOAD", body_hash, False, unsigned_allowed=False)
    # A hash the client declares is not used: the server hashes what it received.
    assert signing.payload_hash("cd" * 32, body_hash, False, unsigned_allowed=False) == body_hash
    assert signing.payload_hash("UNSIGNED-PAYLOAD", body_hash, True, unsigned_allowed=False) == signing.EMPTY_HASH
