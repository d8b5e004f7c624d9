"""Shared fixtures.  ``server`` is the conformance harness: the real server,
parametrized over SQLite and PostgreSQL.  With CI=true the PostgreSQL half must
run: an unreachable PostgreSQL fails the run instead of skipping it.
``TIDINGS_TEST_BACKENDS=sqlite`` limits a local run to one backend.

The suite runs serially or under pytest-xdist (``make test`` runs it with
``-n 2 --dist loadfile``; docs/development.md): every process (pytest
worker) starts its own shared server per backend, on a port, data directory
and PostgreSQL database of its own.  A module runs whole on one worker, so
a fixture of module scope (its own server, a browser, SMSCs) is built once."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.harness import Server, TenantCreds, create_pg_database, drop_pg_database, free_port, pg_available

IN_CI = os.environ.get("CI", "").lower() == "true"
# "gw0", "gw1", ... in a pytest-xdist worker; "main" when the suite runs serially.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
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
    data_dir = Path(tempfile.mkdtemp(prefix=f"tidings-{WORKER}-{backend}-"))
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
        shutil.copy(log, ARTIFACTS / f"server-{WORKER}-{srv.backend}-{srv.port}.log")
    shutil.rmtree(srv.data_dir, ignore_errors=True)


class SharedServers:
    """The session's shared server per backend, started when first needed and
    kept until the session ends, so the order tests run in (which xdist
    decides) never stops one to start the other."""

    def __init__(self) -> None:
        self.started: dict[str, Server] = {}

    def get(self, backend: str) -> Server:
        if backend not in self.started:
            self.started[backend] = start_server(backend)
        return self.started[backend]

    def stop_all(self) -> None:
        for srv in self.started.values():
            stop_server(srv)
        self.started.clear()


@pytest.fixture(scope="session")
def shared_servers():
    servers = SharedServers()
    yield servers
    servers.stop_all()


@pytest.fixture(scope="module", params=backend_params())
def server(request, shared_servers: SharedServers) -> Server:
    return shared_servers.get(request.param)


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


# --- running under pytest-xdist -------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules marked ``heavy`` first, each kept whole and in its order:
    ``make test`` hands whole modules to its two workers in this order
    (``--dist loadfile --no-loadscope-reorder``), so a long module starts at
    once instead of finishing alone while the other worker idles."""
    heavy = {item.path for item in items if item.get_closest_marker("heavy")}
    items.sort(key=lambda item: item.path not in heavy)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failing test that used a server says which worker it ran on and ends
    with the tail of that server's log, so a failure under xdist reads the
    same as in a serial run (the full log is kept in var/test-artifacts)."""
    report = yield
    if report.failed:
        srv = getattr(item, "funcargs", {}).get("server")
        if isinstance(srv, Server):
            report.sections.append((f"server log ({srv.backend}, {srv.url}, worker {WORKER}), last 40 lines", srv.log_tail(40)))
        elif WORKER != "main":
            report.sections.append(("worker", WORKER))
    return report
