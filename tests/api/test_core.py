"""Platform core through the real server: errors, authentication, tokens,
rate limits, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.harness import KEY_CACHE_SECONDS, Server
from tests.support.signer import SdkSigned
from tests.support.wait import wait_until


def test_unknown_path_is_the_gateway_404(server: Server):
    r = httpx.get(server.url + "/v1/no/such/api")
    assert r.status_code == 404
    body = r.json()
    assert body["error_code"] == "APIGW.0101"
    assert r.headers["X-Request-Id"] and body["request_id"] == r.headers["X-Request-Id"]


def test_every_answer_has_a_request_id(server: Server):
    a = httpx.get(server.url + "/healthz")
    b = httpx.get(server.url + "/healthz")
    assert a.headers["X-Request-Id"] != b.headers["X-Request-Id"]


def test_signed_request_is_accepted_and_scoped_to_the_tenant(server: Server, tenant):
    with server.http(tenant) as c:
        r = c.get("/v3/projects", params={"name": "cn-north-4"})
    assert r.status_code == 200, r.text
    assert r.json()["projects"] == [
        {"id": tenant.project_id, "name": "cn-north-4", "domain_id": tenant.tenant_id, "enabled": True, "is_domain": False}
    ]


def test_missing_credentials_are_refused(server: Server):
    r = httpx.get(server.url + "/v3/projects")
    assert r.status_code == 401
    assert r.json()["error_code"] == "APIGW.0301"


def test_wrong_secret_key_is_refused(server: Server, tenant):
    with httpx.Client(base_url=server.url, auth=SdkSigned(tenant.access_key, "x" * 40)) as c:
        r = c.get("/v3/projects")
    assert r.status_code == 401
    assert r.json()["error_code"] == "APIGW.0301"
    assert "signature" in r.json()["error_msg"]


def test_tampered_body_is_refused(server: Server):
    op = server.operator
    req = httpx.Request("POST", server.url + "/admin/v1/tenants", json={"name": "tamper-a"})
    signed = next(SdkSigned(op.access_key, op.secret_key).auth_flow(req))
    headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
    tampered = httpx.Request("POST", signed.url, headers=headers, content=b'{"name": "tamper-b"}')
    with httpx.Client() as c:
        r = c.send(tampered)
    assert r.status_code == 401 and "signature" in r.json()["error_msg"]
    with server.admin() as c:
        names = {t["name"] for t in c.get("/admin/v1/tenants").json()["tenants"]}
    assert "tamper-b" not in names


def test_stale_sdk_date_is_refused(server: Server, tenant):
    stale = (datetime.now(UTC) - timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    with httpx.Client(base_url=server.url, auth=SdkSigned(tenant.access_key, tenant.secret_key), headers={"X-Sdk-Date": stale}) as c:
        r = c.get("/v3/projects")
    assert r.status_code == 401
    assert "15 minutes" in r.json()["error_msg"]
    fresh = (datetime.now(UTC) - timedelta(minutes=14)).strftime("%Y%m%dT%H%M%SZ")
    with httpx.Client(base_url=server.url, auth=SdkSigned(tenant.access_key, tenant.secret_key), headers={"X-Sdk-Date": fresh}) as c:
        assert c.get("/v3/projects").status_code == 200


def _login(server: Server, domain: str, user: str, password: str, scope: dict | None = None) -> httpx.Response:
    body = {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}}},
            "scope": scope if scope is not None else {"project": {"name": "cn-north-4"}},
        }
    }
    return httpx.post(server.url + "/v3/auth/tokens", json=body)


def test_iam_token_login_and_use(server: Server):
    creds = server.create_tenant(password="s3cret-pass")
    r = _login(server, creds.name, creds.user_name, "s3cret-pass")
    assert r.status_code == 201, r.text
    token = r.headers["X-Subject-Token"]
    expires = datetime.strptime(r.json()["token"]["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert timedelta(hours=23) < expires - datetime.utcnow() <= timedelta(hours=24)
    ok = httpx.get(server.url + "/v3/projects", headers={"X-Auth-Token": token})
    assert ok.status_code == 200 and ok.json()["projects"][0]["id"] == creds.project_id
    bad = httpx.get(server.url + "/v3/projects", headers={"X-Auth-Token": token + "x"})
    assert bad.status_code == 401


def test_iam_login_with_wrong_password_is_refused(server: Server):
    creds = server.create_tenant(password="right-password")
    r = _login(server, creds.name, creds.user_name, "wrong-password")
    assert r.status_code == 401 and r.json()["error_code"] == "APIGW.0301"
    assert "X-Subject-Token" not in r.headers


def test_iam_token_for_a_foreign_or_missing_project_is_refused(server: Server):
    creds = server.create_tenant(password="s3cret-pass")
    other = server.create_tenant()
    for scope in (
        {"project": {"id": other.project_id}},
        {"project": {"id": "0" * 32}},
        {"project": {"name": "ap-southeast-1"}},
        {"domain": {"id": other.tenant_id}},
        {"domain": {"name": other.name}},
    ):
        r = _login(server, creds.name, creds.user_name, "s3cret-pass", scope)
        assert r.status_code == 401 and r.json()["error_code"] == "APIGW.0301", (scope, r.text)
        assert "X-Subject-Token" not in r.headers
    for scope in ({"project": {"id": creds.project_id}}, {"domain": {"name": creds.name}}, {}):
        r = _login(server, creds.name, creds.user_name, "s3cret-pass", scope)
        assert r.status_code == 201 and r.json()["token"]["project"]["id"] == creds.project_id, (scope, r.text)


def test_body_over_12_mb_is_refused_before_reading(server: Server):
    r = httpx.post(server.url + "/v1/sms/apps", content=b"x" * (12 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error_code"] == "APIGW.0201"


def test_admin_api_needs_the_operator_role(server: Server, tenant):
    with server.http(tenant) as c:
        r = c.get("/admin/v1/tenants")
    assert r.status_code == 403 and r.json()["error_code"] == "APIGW.0302"
    with server.admin() as c:
        r = c.get("/admin/v1/tenants")
    assert r.status_code == 200
    assert tenant.tenant_id in {t["tenant_id"] for t in r.json()["tenants"]}


def test_admin_validation_names_the_field_and_limit(server: Server):
    with server.admin() as c:
        r = c.post("/admin/v1/tenants", json={"name": "x" * 65})
    assert r.status_code == 400
    assert r.json()["error_msg"] == "name must be at most 64 characters"


def test_cli_key_lifecycle(server: Server):
    creds = server.create_tenant()
    new = server.cli_json("key", "create", "--tenant", creds.name, "--user", creds.user_name)
    listed = server.cli_json("key", "list", "--tenant", creds.name)
    assert {k["access_key"] for k in listed} == {creds.access_key, new["access_key"]}
    with httpx.Client(base_url=server.url, auth=SdkSigned(new["access_key"], new["secret_key"])) as c:
        assert c.get("/v3/projects").status_code == 200
        server.cli_json("key", "revoke", new["access_key"])
        # The server trusts its cached lookup for KEY_CACHE_SECONDS (tidings.grants).
        wait_until(lambda: c.get("/v3/projects").status_code == 401, KEY_CACHE_SECONDS + 5, what="the revoked key refused")


def test_operator_settings_are_validated_before_they_are_stored(server: Server, tenant):
    with server.admin() as c:
        bad = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json={"frequency_limits": {"day_utc_offset_hours": 99}})
        assert bad.status_code == 400 and "day_utc_offset_hours" in bad.json()["error_msg"]
        ok = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json={"rate_messages_per_second": 50})
        assert ok.status_code == 200 and ok.json()["settings"] == {"rate_messages_per_second": 50}
        zero = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json={"rate_messages_per_second": 0})
        assert zero.status_code == 400 and "rate_messages_per_second" in zero.json()["error_msg"]
