"""Authentication and limits as an SDK user meets them."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkkoomessage.v1 import KooMessageClient, ListAimMsgAppRequest

from tests.support.harness import Server


def test_printed_snippet_works_for_the_demo_tenant(server: Server):
    client = server.sdk(server.demo)
    resp = client.list_aim_msg_app(ListAimMsgAppRequest())
    assert resp.page_info.total == len(resp.result) >= 0


def test_a_new_tenant_sees_no_applications(sdk):
    resp = sdk.list_aim_msg_app(ListAimMsgAppRequest())
    assert resp.result == [] and resp.page_info.total == 0


def test_wrong_secret_key_raises_the_sdk_401(server: Server, tenant):
    wrong = tenant.__class__(**{**tenant.__dict__, "secret_key": "0" * 40})
    with pytest.raises(ClientRequestException) as err:
        server.sdk(wrong).list_aim_msg_app(ListAimMsgAppRequest())
    assert err.value.status_code == 401
    assert err.value.error_code == "APIGW.0301"
    assert err.value.request_id


def test_sdk_configured_with_a_region_discovers_the_project(server: Server, tenant):
    creds = BasicCredentials(tenant.access_key, tenant.secret_key).with_iam_endpoint(server.url)
    client = KooMessageClient.new_builder().with_credentials(creds).with_region(Region("cn-north-4", server.url)).build()
    assert client.list_aim_msg_app(ListAimMsgAppRequest()).result == []
    assert creds.project_id == tenant.project_id


def test_request_rate_limit_answers_429_with_retry_after(server: Server):
    creds = server.create_tenant(settings={"rate_requests_per_second": 1})
    client = server.sdk(creds)
    client.list_aim_msg_app(ListAimMsgAppRequest())
    with pytest.raises(ClientRequestException) as err:
        client.list_aim_msg_app(ListAimMsgAppRequest())
    # The SDK's urllib3 adapter turns any 429 into a RetryError before it reads
    # the body, so SDK users see the status (and error_code "429"), not our code.
    assert err.value.status_code == 429
    with server.http(creds) as c:
        r = c.get("/v1/sms/apps")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error_code"] == "APIGW.0308"


def test_operator_keys_own_no_messaging_objects(server: Server):
    with pytest.raises(ClientRequestException) as err:
        server.sdk(server.operator).list_aim_msg_app(ListAimMsgAppRequest())
    assert err.value.status_code == 403


def _signed_headers(server: Server, creds, method: str, path: str, body: bytes, extra: dict) -> dict:
    """Headers the SDK's own signer produces for ``body`` with ``extra`` set."""
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    host = server.url.split("//", 1)[1]
    req = SdkRequest(method=method, schema="http", host=host, resource_path=path, query_params=[],
                     header_params={"Content-Type": "application/json", **extra}, body=body)
    signed = Signer(BasicCredentials(creds.access_key, creds.secret_key)).sign(req)
    return dict(signed.header_params)


def test_unsigned_payload_is_refused_on_json_operations(server: Server, tenant):
    # Signed for body A with UNSIGNED-PAYLOAD, sent with body B: the signature
    # covers no body, so only the multipart upload operations may use it.
    headers = _signed_headers(server, tenant, "POST", "/v1/sms/apps", b'{"app_name": "a"}', {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"})
    with server.http() as c:
        r = c.post("/v1/sms/apps", content=b'{"app_name": "swapped"}', headers=headers)
        assert r.status_code == 401 and r.json()["error_code"] == "APIGW.0301", r.text
        assert "upload operations" in r.json()["error_msg"]
        # A hash declared by the client is not trusted either: the server hashes what it got.
        declared = _signed_headers(server, tenant, "POST", "/v1/sms/apps", b'{"app_name": "a"}', {"X-Sdk-Content-Sha256": "ab" * 32})
        r = c.post("/v1/sms/apps", content=b'{"app_name": "swapped"}', headers=declared)
        assert r.status_code == 401 and r.json()["error_code"] == "APIGW.0301", r.text
    assert server.sdk(tenant).list_aim_msg_app(ListAimMsgAppRequest()).result == []


def test_a_percent_escape_in_the_path_is_verified_as_the_sdk_signs_it(server: Server, tenant):
    # The signer decodes the path once; the server used the decoded path and
    # decoded it again, so "a%2541" (an id "a%41") answered 401 signature mismatch.
    with server.http(tenant) as c:
        r = c.get("/v1/sms/templates/a%2541")
    assert r.status_code == 400 and r.json()["error_code"] != "APIGW.0301", r.text
