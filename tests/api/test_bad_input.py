"""Hand-made bad inputs from issue 20: each is refused with 400 in KooMessage's
format naming the field and the limit, never a 500, and the connection stays
usable afterwards."""

from __future__ import annotations

import pytest

from tests.support.harness import Server

HUGE = str(2**63)


@pytest.mark.parametrize(
    "who, path, limit_max",
    [
        ("tenant", "/tidings/v1/messages", 100),
        ("tenant", "/tidings/v1/callbacks/deliveries", 500),
        ("operator", "/admin/v1/reviews", 500),
        ("tenant", "/v1/sms/apps", 100),
        ("tenant", "/v1/sms/signatures", 100),
        ("tenant", "/v1/sms/templates", 100),
    ],
)
def test_list_paging_is_bounded(server: Server, tenant, who, path, limit_max):
    client = server.admin() if who == "operator" else server.http(tenant)
    with client as c:
        for param, value in (("offset", HUGE), ("offset", "-1"), ("limit", HUGE), ("limit", "0"), ("limit", str(limit_max + 1))):
            r = c.get(path, params={param: value})
            assert r.status_code == 400, (param, value, r.text)
            body = r.json()
            assert body["error_code"] == "KM.00000001" and param in body["error_msg"], body
            assert r.headers["X-Request-Id"]
        r = c.get(path, params={"offset": HUGE})
        limit_text = r.json()["error_msg"]
        assert "1000000" in limit_text, limit_text
        # The same keep-alive connection still answers.
        assert c.get(path, params={"offset": "1000000", "limit": str(limit_max)}).status_code == 200


def _raw_json(client, method: str, path: str, text: str):
    return client.request(method, path, content=text.encode("utf-8", "surrogatepass"), headers={"Content-Type": "application/json"})


def test_tenant_settings_are_typed_on_create_and_patch(server: Server, tenant):
    with server.admin() as c:
        for settings, field in (
            ({"x": 2**64}, "settings.x"),
            ({"rate_requests_per_second": 1e300}, "settings.rate_requests_per_second must be <= 1000000"),
            ({"rate_messages_per_second": 1e265}, "settings.rate_messages_per_second must be <= 1000000"),
            ({"frequency_limits": {"code": {"per_day": 2**64}}}, "settings.frequency_limits.code.per_day must be <= 1000000"),
            ({"frequency_limits": {"notify": {"per_week": 1}}}, "settings.frequency_limits.notify.per_week"),
            ({"auto_approve": "maybe"}, "settings.auto_approve"),
        ):
            r = c.post("/admin/v1/tenants", json={"name": "bad-settings", "settings": settings})
            assert r.status_code == 400 and r.json()["error_code"] == "KM.00000001", (settings, r.text)
            assert field in r.json()["error_msg"], (settings, r.json())
        # A lone surrogate as a key: refused, and the answer is still valid JSON.
        r = _raw_json(c, "POST", "/admin/v1/tenants", '{"name": "bad-settings", "settings": {"\\ud800": 1}}')
        assert r.status_code == 400 and r.json()["error_code"] == "KM.00000001", r.text
        for patch, field in (({"rate_requests_per_second": 1e300}, "rate_requests_per_second"), ({"colour": "red"}, "colour")):
            r = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json=patch)
            assert r.status_code == 400 and field in r.json()["error_msg"], r.text
        listed = c.get("/admin/v1/tenants")
        assert listed.status_code == 200
        assert "bad-settings" not in {t["name"] for t in listed.json()["tenants"]}
        ok = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json={"rate_requests_per_second": 1000000, "international": True})
        assert ok.status_code == 200 and ok.json()["settings"] == {"rate_requests_per_second": 1000000, "international": True}


def test_settings_stored_before_the_checks_are_read_tolerantly(server: Server, tenant):
    """A row written by an older version with values no longer accepted: the
    tenant list answers, the tenant still authenticates, a patch cleans it."""
    import asyncio

    from sqlalchemy import update

    from tidings.config import Settings
    from tidings.context import AppContext
    from tidings.store.models.core import Tenant

    bad = {"x": 2**64, "y": "\ud800", "rate_requests_per_second": "fast", "frequency_limits": {"code": {"per_minute": -1}}, "auto_approve": True}

    async def write_old_row() -> None:
        ctx = AppContext.build(Settings(data_dir=server.data_dir, database_url=server.db_url))
        try:
            async with ctx.db.write() as session:
                await session.execute(update(Tenant).where(Tenant.id == tenant.tenant_id).values(settings=bad))
        finally:
            await ctx.db.dispose()

    asyncio.run(write_old_row())
    with server.admin() as c:
        listed = c.get("/admin/v1/tenants")
        assert listed.status_code == 200, listed.text
        mine = next(t for t in listed.json()["tenants"] if t["tenant_id"] == tenant.tenant_id)
        assert mine["settings"] == {"auto_approve": True}
        r = c.patch(f"/admin/v1/tenants/{tenant.tenant_id}/settings", json={"international": True})
        assert r.status_code == 200 and r.json()["settings"] == {"auto_approve": True, "international": True}, r.text
    with server.http(tenant) as c:
        assert c.get("/v1/sms/apps").status_code == 200


def test_control_characters_in_free_text_fields_are_refused_naming_the_field(server: Server, tenant):
    with server.http(tenant) as c:
        for method, path, kwargs, field in (
            ("POST", "/v1/sms/apps", {"json": {"app_name": "shop\u202egnp"}}, "app_name"),
            ("POST", "/v1/sms/apps", {"json": {"app_name": "shop\x1b[2J"}}, "app_name"),
            ("POST", "/v1/aim/sms/diff-messages", {"json": {"sms_content": [{"to": ["13800138000"], "template_id": "t\x00"}]}},
             "sms_content[0].template_id"),
            ("GET", "/v1/sms/templates", {"params": {"template_name": "a\x07b"}}, "template_name"),
            ("GET", "/tidings/v1/messages", {"params": {"task_id": "\u2066x"}}, "task_id"),
        ):
            r = c.request(method, path, **kwargs)
            assert r.status_code == 400, (path, r.text)
            body = r.json()
            assert body["error_code"] == "KM.00000001" and f"Invalid parameter {field}:" in body["error_msg"], body
            assert "control characters" in body["error_msg"]
    with server.admin() as c:
        r = c.post("/admin/v1/tenants", json={"name": "ok-name", "admin_user": "ad\x85min"})
        assert r.status_code == 400 and "admin_user" in r.json()["error_msg"], r.text
        # A line feed is text.
        r = c.post("/admin/v1/tenants", json={"name": "lf-" + tenant.name[-8:], "admin_user": "first\nsecond"})
        assert r.status_code == 200, r.text


def _raw_exchange(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"BREW /v1/sms/apps HTTP/1.1\r\nHost: x\r\n\r\n",  # unknown method
        b"GET /v1/sms/apps HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n",  # control character in a header
        b"GET /v1/sms/apps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # malformed chunk
        b"GET /v1 sms HTTP/1.1\r\n\r\n",  # malformed request line
    ],
)
def test_requests_the_http_parser_refuses_are_answered_in_koomessage_format(server: Server, request_bytes):
    import json

    status, headers, body = _raw_exchange(server, request_bytes)
    assert status == 400
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    answer = json.loads(body)
    assert answer["error_code"] == "APIGW.0201" and answer["request_id"] == headers["x-request-id"] != ""
