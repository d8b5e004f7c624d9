"""add_call_back / list_aim_callbacks through the official SDK, and Tidings'
own secret API, on the real server."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody, ListAimCallbacksRequest

from tests.support.harness import Server, TenantCreds
from tests.support.inprocess import app_client


def add(sdk, url: str, url_type: int | None = 0):
    return sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=url, url_type=url_type)))


def listed(sdk) -> list[tuple[int, str, str]]:
    resp = sdk.list_aim_callbacks(ListAimCallbacksRequest())
    assert resp.status == "200" and resp.message == "success"
    return sorted((c.url_type, c.callback_url, c.id) for c in resp.data)


def member(server: Server, tenant: TenantCreds) -> TenantCreds:
    d = server.cli_json("user", "create", "viewer", "--tenant", tenant.name, "--role", "member")
    return TenantCreds(d["tenant_id"], d["tenant_name"], d["project_id"], d["user_name"], d["access_key"], d["secret_key"])


def test_register_each_kind_and_list_them(sdk):
    r0 = add(sdk, "http://127.0.0.1:9100/v1/send-resolve-status", 0)
    r1 = add(sdk, "http://127.0.0.1:9100/v1/template-status", 1)
    r2 = add(sdk, "http://127.0.0.1:9100/v1/batch-status", 2)
    assert r0.status == "200" and r0.message == "success"
    assert (r0.data.url_type, r0.data.callback_url) == (0, "http://127.0.0.1:9100/v1/send-resolve-status")
    assert len({r0.data.id, r1.data.id, r2.data.id}) == 3
    assert listed(sdk) == [
        (0, "http://127.0.0.1:9100/v1/send-resolve-status", r0.data.id),
        (1, "http://127.0.0.1:9100/v1/template-status", r1.data.id),
        (2, "http://127.0.0.1:9100/v1/batch-status", r2.data.id),
    ]


def test_url_type_defaults_to_single_receipts(server: Server, tenant):
    with server.http(tenant) as c:
        r = c.post("/v1/aim/callbacks", json={"callback_url": "http://127.0.0.1:9100/cb"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["url_type"] == 0


def test_a_second_registration_of_a_kind_replaces_the_first(sdk):
    first = add(sdk, "http://127.0.0.1:9100/old", 2)
    add(sdk, "http://127.0.0.1:9100/single", 0)
    second = add(sdk, "http://127.0.0.1:9100/new", 2)
    assert second.data.id != first.data.id
    assert [(t, u) for t, u, _ in listed(sdk)] == [(0, "http://127.0.0.1:9100/single"), (2, "http://127.0.0.1:9100/new")]


def test_tenants_see_only_their_own_callbacks(server: Server, sdk):
    add(sdk, "http://127.0.0.1:9100/mine", 0)
    other = server.sdk(server.create_tenant())
    assert listed(other) == []


def test_registering_needs_te_admin_but_listing_does_not(server: Server, tenant, sdk):
    add(sdk, "http://127.0.0.1:9100/admin-set", 0)
    viewer = server.sdk(member(server, tenant))
    with pytest.raises(ClientRequestException) as exc:
        add(viewer, "http://127.0.0.1:9100/member-set", 0)
    assert exc.value.status_code == 403 and exc.value.error_code == "APIGW.0302"
    assert "te_admin" in exc.value.error_msg
    assert [u for _, u, _ in listed(viewer)] == ["http://127.0.0.1:9100/admin-set"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"callback_url": "ftp://example.com/x"}, "Invalid parameter callback_url: must start with http:// or https://"),
        ({"callback_url": "http://127.0.0.1/" + "a" * 990}, "callback_url must be at most 1000 characters"),
        ({"callback_url": ""}, "callback_url must be at least 1 characters"),
        ({"callback_url": "http://127.0.0.1/x", "url_type": 3}, "url_type must be one of 0, 1 or 2"),
        ({"url_type": 0}, "callback_url is required"),
    ],
)
def test_bad_input_names_the_field_in_the_aim_error_format(server: Server, tenant, body, message):
    with server.http(tenant) as c:
        r = c.post("/v1/aim/callbacks", json=body)
        assert r.status_code == 400
        err = r.json()
        assert err["error_msg"] == message
        assert err["error_message"] == message  # the AIM group's legacy duplicate
        assert err["error_code"].startswith("KM.")
        assert c.get("/v1/aim/callbacks").json()["data"] == []  # nothing half-written


def test_sdk_sees_the_error_code_and_message(sdk):
    with pytest.raises(ClientRequestException) as exc:
        add(sdk, "gopher://example.com/", 0)
    assert exc.value.status_code == 400
    assert exc.value.error_code == "KM.00000001"
    assert "callback_url" in exc.value.error_msg


def test_secret_is_stable_until_rotated_and_admin_only(server: Server, tenant):
    with server.http(tenant) as c:
        first = c.get("/tidings/v1/callbacks/secret").json()
        assert first["secret"].startswith("tds_") and first["header"] == "X-Tidings-Signature"
        assert c.get("/tidings/v1/callbacks/secret").json()["secret"] == first["secret"]
        rotated = c.put("/tidings/v1/callbacks/secret").json()["secret"]
        assert rotated != first["secret"]
        assert c.get("/tidings/v1/callbacks/secret").json()["secret"] == rotated
    with server.http(member(server, tenant)) as c:
        r = c.get("/tidings/v1/callbacks/secret")
        assert r.status_code == 403
        assert c.get("/tidings/v1/callbacks/deliveries").status_code == 200


# --- the private-address rule: the harness's servers allow loopback receivers, so an
# in-process app on the same database keeps the rule (what the setting changes is
# validation; add_call_back itself goes through the SDK above) ---


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/cb", "http://localhost/cb", "http://10.1.2.3/cb", "http://169.254.169.254/latest", "http://[::1]/cb"],
)
async def test_private_and_loopback_urls_are_refused(server: Server, tenant, url):
    async with app_client(server, tenant, allow_private_callbacks=False) as c:
        r = await c.post("/v1/aim/callbacks", json={"callback_url": url, "url_type": 0})
        assert r.status_code == 400
        msg = r.json()["error_msg"]
        assert "private, loopback or reserved" in msg and "TIDINGS_ALLOW_PRIVATE_CALLBACKS=true" in msg
        assert (await c.get("/v1/aim/callbacks")).json()["data"] == []


async def test_public_addresses_are_accepted_when_private_ones_are_not(server: Server, tenant):
    async with app_client(server, tenant, allow_private_callbacks=False) as c:
        r = await c.post("/v1/aim/callbacks", json={"callback_url": "https://93.184.216.34/receipts", "url_type": 2})
    assert r.status_code == 200 and r.json()["data"]["url_type"] == 2
