"""Shared fixtures.  ``server`` is the conformance harness: the real server,
parametrized over SQLite and PostgreSQL.  With CI=true the PostgreSQL half must
run: an unreachable PostgreSQL fails the run instead of skipping it.
``TIDINGS_TEST_BACKENDS=sqlite`` limits a local run to one backend."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.harness import Server, TenantCreds, create_pg_database, drop_pg_database, free_port, pg_available

IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = [b for b in os.environ.get("TIDINGS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
ARTIFACTS = Path(os.environ.get("TIDINGS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "var" / "test-artifacts"))

_pg_ok: bool | None = None


def require_pg() -> None:
    global _pg_ok
    if _pg_ok is None:
        _pg_ok = pg_available()
    if not _pg_ok:
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 and CI=true: the PostgreSQL tests must run")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")


def backend_params():
    return [pytest.param(b, marks=[pytest.mark.pg] if b == "postgresql" else [], id=b) for b in BACKENDS]


def start_server(backend: str, extra_env: dict | None = None) -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix=f"tidings-{backend}-"))
    if backend == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'tidings.db'}"
    srv = Server(backend=backend, data_dir=data_dir, db_url=url, port=free_port(), extra_env=extra_env or {})
    srv.start()
    return srv


def stop_server(srv: Server) -> None:
    srv.stop()
    if srv.backend == "postgresql":
        drop_pg_database(srv.db_url)
    log = srv.data_dir / "server.log"
    if log.exists():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / f"server-{srv.backend}-{srv.port}.log")
    shutil.rmtree(srv.data_dir, ignore_errors=True)


@pytest.fixture(scope="session", params=backend_params())
def server(request) -> Server:
    srv = start_server(request.param)
    yield srv
    stop_server(srv)


@pytest.fixture
def tenant(server: Server) -> TenantCreds:
    """A fresh tenant per test: tests never see each other's objects."""
    return server.create_tenant()


@pytest.fixture
def sdk(server: Server, tenant: TenantCreds):
    return server.sdk(tenant)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
