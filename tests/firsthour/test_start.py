"""The first hour (issue 21): what a new user sees when starting the server.
Real processes on free ports, fresh data dirs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

from tests.api.send_support import send
from tests.conftest import start_server, stop_server
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

pytestmark = pytest.mark.heavy


def test_a_busy_port_is_one_line_and_nothing_else(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "TIDINGS_DATA_DIR": str(tmp_path / "var"), "TIDINGS_PORT": str(port)}
        proc = subprocess.run([sys.executable, "-m", "tidings", "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and str(port) in lines[0] and "TIDINGS_PORT" in lines[0]
    # Bound before anything else: no schema, no accounts, no secrets printed.
    assert not (tmp_path / "var" / "bootstrap.json").exists()


@pytest.fixture
def info_server():
    """A server logging at INFO, as `make run` does (the shared fixture logs warnings only)."""
    srv = start_server("sqlite", {"TIDINGS_LOG_LEVEL": "info"})
    yield srv
    stop_server(srv)


def test_first_start_banner_access_log_and_later_starts(info_server):
    srv = info_server
    first = srv.log_text()
    demo, op = srv.bootstrap["demo"], srv.bootstrap["operator"]
    sms = srv.bootstrap["demo_sms"]
    # The banner: every demo template with its text and variable types; the secrets, this once.
    assert "Tidings is running." in first
    assert f"template {sms['notice_template_id']} (shipping notice): 尊敬的${{1}}，您的订单${{2}}已发货。" in first
    assert "template_params: 2 value(s), types [TEXT, CHARDIGIT]" in first
    assert "types [CHARDIGIT]" in first
    assert demo["secret_key"] in first and op["secret_key"] in first and demo["password"] in first
    assert f"{srv.url}/docs" in first

    # One access-log line per request, carrying the request id and the tenant;
    # a callback delivered to a local receiver adds no httpx line.
    sdk = srv.sdk(srv.demo)
    with Receiver() as rx:
        sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/receipts"), url_type=0)))
        resp = send(sdk, sms["code_template_id"], ["13800138021"], ["123456"])
        assert resp.result[0].send_status == "000000"
        rx.wait_for(lambda reqs: len(reqs) >= 1, timeout=30)
    # A refused number explains itself in `tidings messages show`.
    refused = send(sdk, sms["notice_template_id"], ["13800138022"], ["李雷"]).result[0]
    assert refused.send_status == "E200028"
    shown = srv.cli_json("messages", "show", refused.msg_id, "--tenant", "demo")
    assert shown["status_code"] == "E200028" and "template_params" in shown["send_status_meaning"] and shown["status_desc"]
    # One code a minute per number (fixed windows: three quick sends cross at most one boundary).
    tries = [send(sdk, sms["code_template_id"], ["13800138023"], ["654321"]).result[0] for _ in range(3)]
    again = next(t for t in tries if t.send_status != "000000")
    assert again.send_status == "E200015"
    assert "frequency limit" in srv.cli_json("messages", "show", again.msg_id, "-t", "demo")["send_status_meaning"]
    with srv.http(srv.demo) as c:
        r = c.get("/tidings/v1/messages", params={"number": "13800138021"})
    rid = r.headers["x-request-id"]
    wait_until(lambda: rid in srv.log_text(), what="the access log line")
    line = next(line for line in srv.log_text().splitlines() if rid in line)
    assert "INFO tidings.access" in line and "GET /tidings/v1/messages 200 " in line and "ms tenant=demo" in line
    assert any("POST /v1/aim/sms/messages 200" in line and "tenant=demo" in line for line in srv.log_text().splitlines())
    log = srv.log_text()
    assert "httpx" not in log and "Warning" not in log and "Traceback" not in log

    # Later starts name where the secrets are instead of printing them; the access log can be turned off.
    srv.extra_env["TIDINGS_ACCESS_LOG"] = "false"
    srv.restart()
    again = srv.log_text()[len(log):]
    assert "Tidings is running." in again and "tidings key list --tenant demo" in again and "bootstrap.json" in again
    assert demo["access_key"] in again
    assert demo["secret_key"] not in again and op["secret_key"] not in again and demo["password"] not in again
    with srv.http(srv.demo) as c:
        c.get("/tidings/v1/messages")
    with srv.http() as c:
        assert c.get("/healthz").status_code == 200
    assert "tidings.access" not in srv.log_text()[len(log):]
