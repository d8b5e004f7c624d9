"""httpx auth that signs requests with the official SDK's own ``Signer``, so
raw-HTTP tests (admin API, message log, bad-input probes) authenticate the
same way SDK users do, and the server's verifier is checked against code we
did not write."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer


class SdkSigned(httpx.Auth):
    requires_request_body = True

    def __init__(self, ak: str, sk: str):
        self.signer = Signer(BasicCredentials(ak, sk))

    def auth_flow(self, request: httpx.Request):
        url = urlsplit(str(request.url))
        headers = {k.title() if k.lower() != "content-type" else "Content-Type": v for k, v in request.headers.items()}
        # Sign only what the SDK would: drop transport headers httpx adds.
        for drop in ("Accept", "Accept-Encoding", "Connection", "Content-Length"):
            headers.pop(drop, None)
        sdk_req = SdkRequest(
            method=request.method,
            schema=url.scheme,
            host=url.netloc,
            resource_path=url.path,
            query_params=parse_qsl(url.query, keep_blank_values=True),
            header_params=headers,
            body=request.content or "",
        )
        signed = self.signer.sign(sdk_req)
        for k, v in signed.header_params.items():
            request.headers[k] = v
        yield request


class SdkSignedRequests:
    """The same signing for a ``requests`` session (schemathesis sends with requests)."""

    def __init__(self, ak: str, sk: str):
        self.signer = Signer(BasicCredentials(ak, sk))

    def __call__(self, request):  # a requests.PreparedRequest
        url = urlsplit(request.url)
        headers = {k.title() if k.lower() != "content-type" else "Content-Type": v for k, v in request.headers.items()}
        for drop in ("Accept", "Accept-Encoding", "Connection", "Content-Length", "User-Agent"):
            headers.pop(drop, None)
        body = request.body or b""
        sdk_req = SdkRequest(method=request.method, schema=url.scheme, host=url.netloc, resource_path=url.path,
                             query_params=parse_qsl(url.query, keep_blank_values=True), header_params=headers,
                             body=body.encode() if isinstance(body, str) else body)
        for k, v in self.signer.sign(sdk_req).header_params.items():
            request.headers[k] = v
        return request
