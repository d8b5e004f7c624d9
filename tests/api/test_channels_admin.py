"""Operators define channels and routes (admin API and CLI); secrets stay secret."""

from __future__ import annotations

import uuid

import pytest


def uniq(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def smpp_body(name, **over):
    body = {"name": name, "kind": "smpp", "password": "s3cr3tpw",
            "config": {"host": "127.0.0.1", "port": 2775, "system_id": "acct", "window": 50, "bind_mode": "tx+rx"}}
    body.update(over)
    return body


def test_channel_lifecycle_and_password_never_returned(server):
    name = uniq()
    with server.admin() as c:
        r = c.post("/admin/v1/channels", json=smpp_body(name, unknown_policy="fail", description="China Mobile, Beijing"))
        assert r.status_code == 200, r.text
        created = r.json()
        assert created["name"] == name and created["unknown_policy"] == "fail" and created["enabled"] is True
        assert created["has_password"] is True and created["config"]["window"] == 50
        assert "s3cr3tpw" not in r.text

        listed = c.get("/admin/v1/channels").json()["channels"]
        assert name in [ch["name"] for ch in listed]
        shown = c.get(f"/admin/v1/channels/{name}")
        assert shown.status_code == 200 and "s3cr3tpw" not in shown.text
        assert shown.json()["messages"] == {} and shown.json()["status"]["running"] is False  # added after start

        # PATCH merges config, flips flags; a key set to null goes back to its default.
        r = c.patch(f"/admin/v1/channels/{name}", json={"config": {"window": 20, "bind_mode": None}, "enabled": False,
                                                       "unknown_policy": "resubmit", "password": "n3wpw"})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["config"]["window"] == 20 and "bind_mode" not in d["config"] and d["config"]["system_id"] == "acct"
        assert d["enabled"] is False and d["unknown_policy"] == "resubmit" and "n3wpw" not in r.text

        r = c.delete(f"/admin/v1/channels/{name}")
        assert r.status_code == 200 and r.json()["removed"] is True
        r = c.get(f"/admin/v1/channels/{name}")
        assert r.status_code == 400 and r.json()["error_code"] == "TD.00000404"
    log = (server.data_dir / "server.log").read_text(errors="replace")
    assert "s3cr3tpw" not in log and "n3wpw" not in log


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"config": {"port": 70000}}, "config.port must be <= 65535"),
        ({"config": {"windw": 5}}, "config.windw"),
        ({"config": {"bind_mode": "rx"}}, "config.bind_mode must be one of"),
        ({"config": {"system_id": "x" * 16}}, "config.system_id must be at most 15 characters"),
        ({"config": {"password": "pw"}}, "config.password"),
        ({"password": "123456789"}, "password must be at most 8 characters"),
        ({"name": "Bad Name"}, "name must be"),
        ({"unknown_policy": "maybe"}, "unknown_policy must be one of"),
        ({"kind": "sandbox"}, "built-in"),
    ],
)
def test_invalid_channel_names_the_field_and_stores_nothing(server, body, needle):
    name = uniq()
    with server.admin() as c:
        payload, body = smpp_body(name), dict(body)  # parameters are shared by both backends: never mutate them
        cfg = body.pop("config", None)
        if cfg is not None:
            payload["config"] = {**payload["config"], **cfg}
        payload.update(body)
        r = c.post("/admin/v1/channels", json=payload)
        assert r.status_code == 400, r.text
        assert r.json()["error_code"] == "KM.00000001" and needle in r.json()["error_msg"], r.text
        assert payload["name"] not in [ch["name"] for ch in c.get("/admin/v1/channels").json()["channels"]]


def test_duplicate_channel_is_a_conflict(server):
    name = uniq()
    with server.admin() as c:
        assert c.post("/admin/v1/channels", json=smpp_body(name)).status_code == 200
        r = c.post("/admin/v1/channels", json=smpp_body(name))
        assert r.status_code == 400 and r.json()["error_code"] == "TD.00000409"


def test_routes_crud_order_and_cascade(server):
    a, b = uniq("a"), uniq("b")
    with server.admin() as c:
        for n in (a, b):
            assert c.post("/admin/v1/channels", json=smpp_body(n)).status_code == 200
        r1 = c.post("/admin/v1/routes", json={"channel": b, "prefix": "86", "priority": 20})
        r2 = c.post("/admin/v1/routes", json={"channel": a, "carrier": "cmcc", "priority": 10})
        r3 = c.post("/admin/v1/routes", json={"channel": a, "prefix": "86138", "priority": 10, "product": "aim"})
        assert all(r.status_code == 200 for r in (r1, r2, r3)), (r1.text, r2.text, r3.text)
        mine = {a, b}
        routes = [rt for rt in c.get("/admin/v1/routes").json()["routes"] if rt["channel"] in mine]
        # tried in priority order, the more specific first at equal priority
        assert [rt["id"] for rt in routes] == [r3.json()["id"], r2.json()["id"], r1.json()["id"]]
        assert [rt["id"] for rt in c.get("/admin/v1/routes", params={"channel": b}).json()["routes"]] == [r1.json()["id"]]

        dup = c.post("/admin/v1/routes", json={"channel": b, "prefix": "86", "priority": 5})
        assert dup.status_code == 400 and dup.json()["error_code"] == "TD.00000409"
        for bad, needle in [({"channel": a, "carrier": "att"}, "carrier"), ({"channel": a, "prefix": "+86"}, "prefix"),
                            ({"channel": a, "priority": -1}, "priority"), ({"channel": a, "product": "mms"}, "product")]:
            r = c.post("/admin/v1/routes", json=bad)
            assert r.status_code == 400 and needle in r.json()["error_msg"], r.text
        r = c.post("/admin/v1/routes", json={"channel": uniq("nope")})
        assert r.status_code == 400 and r.json()["error_code"] == "TD.00000404"

        assert c.delete(f"/admin/v1/routes/{r1.json()['id']}").status_code == 200
        assert c.delete(f"/admin/v1/routes/{r1.json()['id']}").json()["error_code"] == "TD.00000404"
        removed = c.delete(f"/admin/v1/channels/{a}").json()
        assert removed["routes_removed"] == 2
        assert not [rt for rt in c.get("/admin/v1/routes").json()["routes"] if rt["channel"] in mine]


def test_tenants_cannot_touch_channels(server, tenant):
    with server.http(tenant) as c:
        assert c.get("/admin/v1/channels").status_code == 403
        assert c.post("/admin/v1/channels", json=smpp_body(uniq())).status_code == 403
        assert c.post("/admin/v1/routes", json={"channel": "x"}).status_code == 403


def test_cli_defines_channels_and_routes(server):
    name = uniq("cli")
    env_pw = {"CLI_SMPP_PW": "clipw123"}
    server.extra_env.update(env_pw)
    try:
        out = server.cli_json("channels", "add-smpp", name, "--host", "127.0.0.1", "--port", "2776", "--system-id", "acct",
                              "--password-env", "CLI_SMPP_PW", "--window", "50", "--unknown-policy", "fail",
                              "-o", "long_method=sar", "-o", "receipt_utc_offset_minutes=480")
    finally:
        for k in env_pw:
            server.extra_env.pop(k)
    assert out["config"]["long_method"] == "sar" and out["config"]["receipt_utc_offset_minutes"] == 480
    assert out["has_password"] is True and out["unknown_policy"] == "fail"
    route = server.cli_json("channels", "route", "add", name, "--carrier", "ctcc", "--priority", "5")
    assert route["carrier"] == "ctcc" and route["priority"] == 5
    assert server.cli_json("channels", "disable", name)["enabled"] is False
    shown = server.cli_json("channels", "show", name)
    assert shown["enabled"] is False and "clipw123" not in server.cli("channels", "show", name).stdout

    bad = server.cli("channels", "route", "add", name, "--carrier", "att", check=False)
    assert bad.returncode != 0 and "carrier must be one of" in bad.stderr
    bad = server.cli("channels", "add-smpp", uniq("cli"), "--host", "h", "--system-id", "a", "-o", "window=0", check=False)
    assert bad.returncode != 0 and "config.window must be >= 1" in bad.stderr

    # The API sees what the CLI wrote.
    with server.admin() as c:
        api_view = c.get(f"/admin/v1/channels/{name}").json()
        assert api_view["config"]["port"] == 2776 and api_view["enabled"] is False
        assert [r["id"] for r in c.get("/admin/v1/routes", params={"channel": name}).json()["routes"]] == [route["id"]]
    assert server.cli_json("channels", "remove", name)["routes_removed"] == 1
