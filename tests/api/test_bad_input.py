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
