"""The README's "Running on PostgreSQL" steps, as written, on an empty
database (issue 21 #9): migrate, then API and worker processes, and the keys
that migrate printed sign a send that the worker delivers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.send_support import send
from tests.conftest import require_pg
from tests.support.harness import Server, TenantCreds, create_pg_database, drop_pg_database, free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.heavy


def test_the_readme_postgresql_steps_work_on_an_empty_database(tmp_path: Path):
    require_pg()
    url = create_pg_database()
    port = free_port()
    env = {**os.environ, "TIDINGS_DATA_DIR": str(tmp_path / "var"), "TIDINGS_DATABASE_URL": url, "TIDINGS_LOG_LEVEL": "warning"}
    procs: list[subprocess.Popen] = []
    try:
        def tidings(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "tidings", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

        migrated = tidings("migrate")
        assert migrated.returncode == 0, migrated.stderr
        info = json.loads((tmp_path / "var" / "bootstrap.json").read_text())
        demo = info["demo"]
        assert demo["secret_key"] in migrated.stdout and info["operator"]["secret_key"] in migrated.stdout
        again = tidings("migrate")
        assert again.returncode == 0 and demo["secret_key"] not in again.stdout

        with open(tmp_path / "api.log", "wb") as api_log, open(tmp_path / "worker.log", "wb") as worker_log:
            procs.append(subprocess.Popen([sys.executable, "-m", "tidings", "api", "--port", str(port)], cwd=tmp_path, env=env,
                                          stdout=api_log, stderr=subprocess.STDOUT))
            procs.append(subprocess.Popen([sys.executable, "-m", "tidings", "worker"], cwd=tmp_path, env=env,
                                          stdout=worker_log, stderr=subprocess.STDOUT))
        srv = Server(backend="postgresql", data_dir=tmp_path, db_url=url, port=port)

        def up() -> bool:
            try:
                return httpx.get(srv.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 180, what="tidings api")  # as generous as the harness's start (tests/support/harness.py)
        creds = TenantCreds(demo["tenant_id"], demo["tenant_name"], demo["project_id"], demo["user_name"], demo["access_key"], demo["secret_key"])
        sms = info["demo_sms"]
        resp = send(srv.sdk(creds), sms["notice_template_id"], ["13800138000"], ["李雷", "A1024"])
        assert resp.result[0].send_status == "000000"
        msg_id = resp.result[0].msg_id

        def delivered() -> bool:
            with srv.http(creds) as c:
                return c.get(f"/tidings/v1/messages/{msg_id}").json().get("status") == "delivered"

        wait_until(delivered, 60, what="the worker to deliver the message")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        drop_pg_database(url)
    for name in ("api.log", "worker.log"):
        assert "Traceback" not in (tmp_path / name).read_text(errors="replace"), name
