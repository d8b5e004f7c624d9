"""The conformance harness: a real Tidings server (``python -m tidings serve``
under uvicorn, on a free port, with a fresh database) plus helpers to create
tenants and hand tests an official-SDK client pointed at it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkoomessage.v1 import KooMessageClient

from tests.support.signer import SdkSigned
from tests.support.wait import wait_until

REPO = Path(__file__).resolve().parents[2]
# ../shared beside the repository (CI lays a copy there), or TIDINGS_SHARED_DIR.
SHARED = Path(os.environ.get("TIDINGS_SHARED_DIR") or REPO.parent / "shared")
# The servers' key-cache lifetime: short, so a revocation test waits little.
KEY_CACHE_SECONDS = 0.5
PG_ADMIN_DSN = os.environ.get("TIDINGS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available() -> bool:
    try:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
            await conn.close()

        asyncio.run(probe())
        return True
    except Exception:
        return False


def create_pg_database() -> str:
    """A fresh database, named after the pytest-xdist worker that made it
    (``tidings_test_gw1_...``) so a leftover tells whose it was."""
    import asyncpg

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = "tidings_test_" + (f"{worker}_" if worker else "") + uuid.uuid4().hex[:10]

    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(go())
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(go())


@dataclass
class TenantCreds:
    tenant_id: str
    name: str
    project_id: str
    user_name: str
    access_key: str
    secret_key: str
    password: str | None = None


@dataclass
class Server:
    backend: str
    data_dir: Path
    db_url: str
    port: int
    extra_env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    bootstrap: dict = field(default_factory=dict)
    # "serve" (API and workers in one process) or "api" (start workers with worker()).
    command: str = "serve"
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings_env(self) -> dict[str, str]:
        """The variables that make a process this server's: its data directory
        (and master key), database, port and the test's extra settings."""
        return {
            "TIDINGS_DATA_DIR": str(self.data_dir),
            "TIDINGS_DATABASE_URL": self.db_url,
            "TIDINGS_PORT": str(self.port),
            "TIDINGS_ALLOW_PRIVATE_CALLBACKS": "true",
            "TIDINGS_ALLOW_PRIVATE_MATERIAL_URLS": "true",
            # A revocation by another process shows within this (5 s in production).
            "TIDINGS_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS),
            "TIDINGS_LOG_LEVEL": os.environ.get("TIDINGS_TEST_LOG_LEVEL", "warning"),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def env(self) -> dict:
        return {**os.environ, **self.settings_env()}

    # Generous: a cold start migrates, bootstraps and installs the public
    # templates, and on a shared 2-core machine at load 15 that took over 60 s
    # once, failing every test of the session's server at setup.  A healthy
    # start answers in about 2 s, so the bound costs nothing when all is well.
    def start(self, timeout: float = 180.0) -> None:
        with open(self.data_dir / "server.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tidings", self.command, "--port", str(self.port)],
                cwd=self.data_dir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        proc = self.proc

        def healthy() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{self.log_tail()}")
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(healthy, timeout, what="the server to answer /healthz")
        except AssertionError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None
        self.bootstrap = json.loads((self.data_dir / "bootstrap.json").read_text())

    def worker(self, extra_env: dict | None = None) -> subprocess.Popen:
        """Start one more ``tidings worker`` on this server's database (log: worker-N.log)."""
        with open(self.data_dir / f"worker-{len(self.workers) + 1}.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen([sys.executable, "-m", "tidings", "worker"], cwd=self.data_dir, env={**self.env(), **(extra_env or {})},
                                    stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: the crash the delivery guarantee is tested against."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        """Everything the server printed (banner and log), across restarts."""
        return (self.data_dir / "server.log").read_text(errors="replace")

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join((self.data_dir / "server.log").read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""

    # --- clients -----------------------------------------------------------------
    @property
    def operator(self) -> TenantCreds:
        op = self.bootstrap["operator"]
        return TenantCreds(op["tenant_id"], op["tenant_name"], op["project_id"], op["user_name"], op["access_key"], op["secret_key"], op.get("password"))

    @property
    def demo(self) -> TenantCreds:
        d = self.bootstrap["demo"]
        return TenantCreds(d["tenant_id"], d["tenant_name"], d["project_id"], d["user_name"], d["access_key"], d["secret_key"], d.get("password"))

    def http(self, creds: TenantCreds | None = None, **kw) -> httpx.Client:
        """An httpx client signed like the SDK (unsigned when creds is None)."""
        auth = SdkSigned(creds.access_key, creds.secret_key) if creds else None
        return httpx.Client(base_url=self.url, auth=auth, timeout=30, **kw)

    def admin(self) -> httpx.Client:
        return self.http(self.operator)

    def create_tenant(self, *, settings: dict | None = None, password: str | None = None) -> TenantCreds:
        name = "t-" + uuid.uuid4().hex[:12]
        body = {"name": name, "settings": settings or {}}
        if password:
            body["password"] = password
        with self.admin() as c:
            r = c.post("/admin/v1/tenants", json=body)
        assert r.status_code == 200, r.text
        d = r.json()
        return TenantCreds(d["tenant_id"], d["tenant_name"], d["project_id"], d["user_name"], d["access_key"], d["secret_key"], d.get("password"))

    def sdk(self, creds: TenantCreds) -> KooMessageClient:
        config = HttpConfig.get_default_config()
        config.timeout = (5, 60)
        return (
            KooMessageClient.new_builder()
            .with_credentials(BasicCredentials(creds.access_key, creds.secret_key))
            .with_endpoints([self.url])
            .with_http_config(config)
            .build()
        )

    def cli(self, *args: str, check: bool = True, process: bool = False) -> subprocess.CompletedProcess:
        """Run ``tidings ...`` against this server's database: in-process
        (tests.support.cli), or as ``python -m tidings`` with ``process=True``."""
        from tests.support.cli import run_cli, run_cli_process

        run = run_cli_process if process else run_cli
        proc = run(args, env=self.env() if process else self.settings_env(), cwd=self.data_dir)
        if check and proc.returncode != 0:
            raise AssertionError(f"tidings {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def cli_json(self, *args: str):
        return json.loads(self.cli(*args).stdout)
