"""``tidings serve`` on several cores (tidings/supervisor.py): the API and the
workers as children of a supervisor.  Ctrl-C (SIGINT) and SIGTERM stop every
child; a killed child is started again and the pipeline goes on; a child that
keeps dying stops the whole with one clear line; an SMPP channel binds the
binds it was given, not a set per process; a tenant's request limit holds at
its configured value."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.api.send_support import ready_sender, send, wait_final
from tests.conftest import backend_params, start_server, stop_server
from tests.smpp.test_peer import Peer
from tests.support.harness import Server
from tests.support.wait import wait_until
from tidings import supervisor
from tidings.config import Settings


def children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid``: pid -> command line."""
    out: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out[int(entry)] = cmd
    return out


def roles(srv: Server) -> dict[str, int]:
    """'api' / 'worker' -> pid of the server's children (the first of each)."""
    found: dict[str, int] = {}
    for pid, cmd in children(srv.proc.pid).items():
        for role in ("api", "worker"):
            if f" {role} --supervised" in cmd:
                found.setdefault(role, pid)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(params=backend_params())
def two(request) -> Server:
    srv = start_server(request.param, {"TIDINGS_PROCESSES": "2"})
    yield srv
    stop_server(srv)


# --- the process count -------------------------------------------------------------------------------
def test_the_default_process_count_follows_the_cores_and_the_database():
    sqlite = Settings(database_url="sqlite+aiosqlite:///x.db", processes=0)
    pg = Settings(database_url="postgresql+asyncpg://u@h/db", processes=0)
    assert [sqlite.process_count(n) for n in (1, 2, 8)] == [1, 2, 2]  # one writer: one worker process pays
    assert [pg.process_count(n) for n in (1, 2, 4, 32)] == [1, 2, 4, 8]
    assert Settings(database_url="sqlite+aiosqlite:///x.db", processes=1).process_count(8) == 1
    assert Settings(database_url="postgresql+asyncpg://u@h/db", processes=5).process_count(2) == 5


def test_the_plan_runs_one_api_and_only_the_first_worker_binds_the_carriers():
    plan = supervisor.plan(4, 7, "127.0.0.1", 8000)
    assert [c.role for c in plan] == ["api", "worker 1", "worker 2", "worker 3"]
    assert plan[0].pass_fds == (7,) and "--fd" in plan[0].argv
    assert "--no-carriers" not in plan[1].argv
    assert all("--no-carriers" in c.argv for c in plan[2:])


def test_send_flows_take_rate_tokens_beside_the_api_limiter():
    """Send flows take the tenant's message tokens: they run in the API
    process, whose limiter holds the limits; a worker runs none."""
    from tidings.installed import load_products

    products = {p.name: p for p in load_products()}
    api_side = [type(s).__name__ for s in products["aim"].api_services(None)]
    worker_side = [type(s).__name__ for s in products["aim"].services(None)]
    assert api_side == ["SendFlowRunner"] and "SendFlowRunner" not in worker_side


# --- the supervisor alone, with stand-in children ------------------------------------------------------
def _child(role: str, code: str) -> supervisor.Child:
    return supervisor.Child(role, [sys.executable, "-c", code])


def test_a_child_that_keeps_dying_stops_the_whole_with_a_clear_line(monkeypatch, capsys):
    monkeypatch.setattr(supervisor, "RESTART_PAUSE", 0.05)
    sup = supervisor.Supervisor([_child("worker 1", "raise SystemExit(3)"), _child("api", "import time; time.sleep(60)")])
    assert sup.run() == 1
    err = capsys.readouterr().err
    assert f"error: the worker 1 process died {supervisor.GIVE_UP} times within 60 s (last: exit status 3); stopping Tidings" in err
    assert all(c.proc.poll() is not None for c in sup.children), "the others are stopped too"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_supervisor_signal_stops_every_child(tmp_path, sig):
    """The supervisor in its own process (as `tidings serve` is), with
    children that would run forever: the signal ends them all."""
    script = tmp_path / "sup.py"
    script.write_text(
        "import sys\n"
        "from tidings import supervisor\n"
        "kids = [supervisor.Child(f'worker {i}', [sys.executable, '-c', 'import time; time.sleep(600)']) for i in (1, 2)]\n"
        "sys.exit(supervisor.Supervisor(kids).run())\n")
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        kids = wait_until(lambda: (lambda k: k if len(k) == 2 else None)(children(proc.pid)), 30, what="two children")
        proc.send_signal(sig)
        assert proc.wait(30) == 0
        wait_until(lambda: not any(alive(p) for p in kids), 5, what="every child gone")
    finally:
        if proc.poll() is None:
            proc.kill()


# --- the real server ----------------------------------------------------------------------------------
def test_ctrl_c_stops_the_api_and_the_workers():
    """SIGINT to `tidings serve` (SIGTERM: every test server's stop, and the stand-in test above)."""
    srv = start_server("sqlite", {"TIDINGS_PROCESSES": "2"})
    try:
        kids = roles(srv)
        assert set(kids) == {"api", "worker"}, children(srv.proc.pid)
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(40) == 0
        wait_until(lambda: not any(alive(p) for p in kids.values()), 10, what="every child stopped")
        with pytest.raises(httpx.HTTPError):
            httpx.get(srv.url + "/healthz", timeout=1)
    finally:
        stop_server(srv)


def test_sigkill_of_the_supervisor_takes_its_children_with_it():
    """A crash of `tidings serve` is a crash of every part (the crash tests
    rely on it), and leaves no child holding the port."""
    srv = start_server("sqlite", {"TIDINGS_PROCESSES": "2"})
    try:
        kids = roles(srv)
        srv.kill()
        wait_until(lambda: not any(alive(p) for p in kids.values()), 10, what="the children killed with the supervisor")
        srv.start()  # the same port again
    finally:
        stop_server(srv)


def test_a_killed_worker_and_a_killed_api_are_started_again(two: Server):
    srv = two
    s = ready_sender(srv, settings={"frequency_limits": {"notify": None}})
    first = roles(srv)
    os.kill(first["worker"], signal.SIGKILL)
    worker = wait_until(lambda: (lambda r: r.get("worker") if r.get("worker") not in (None, first["worker"]) else None)(roles(srv)), 60,
                        what="a new worker process")
    resp = send(s.sdk, s.notice_tpl, ["13912340001"], ["客户"])
    assert wait_final(srv, s.creds, resp.result[0].msg_id)["status"] == "delivered"  # the new worker dispatches

    os.kill(first["api"], signal.SIGKILL)
    wait_until(lambda: (lambda r: r.get("api") not in (None, first["api"]))(roles(srv)), 60, what="a new API process")

    def answers() -> bool:
        try:
            return httpx.get(srv.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, 120, what="the new API process to answer")
    resp = send(s.sdk, s.notice_tpl, ["13912340002"], ["客户"])
    assert wait_final(srv, s.creds, resp.result[0].msg_id)["status"] == "delivered"
    assert roles(srv)["worker"] == worker
    log = srv.log_text()
    assert "the worker 1 process" in log and "stopped unexpectedly (killed by SIGKILL)" in log
    assert "the api process" in log


def test_a_tenant_request_limit_holds_at_its_value_with_several_processes(two: Server):
    srv = two
    tenant = srv.create_tenant(settings={"rate_requests_per_second": 5})
    t0 = time.monotonic()
    with srv.http(tenant) as c:
        statuses = [c.get("/v1/aim/callbacks").status_code for _ in range(40)]
    elapsed = time.monotonic() - t0
    passed = statuses.count(200)
    assert statuses.count(429) > 0
    # One second's burst (5) plus 5 a second: as one process allows, not once per process.
    assert passed <= 5 + 5 * elapsed + 1, (passed, elapsed)


def established_to(port: int) -> int:
    """TCP connections the peer on ``port`` holds (its side of each bind)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":
                        count += 1
        except FileNotFoundError:
            pass
    return count


@pytest.mark.smpp_peer
@pytest.mark.parametrize("backend,processes", [pytest.param(b.values[0], n, marks=b.marks, id=f"{b.id}-{n}")
                                                for b in backend_params() for n in (2, 3) if b.id == "postgresql" or n == 2])
def test_an_smpp_channel_binds_its_binds_once_whatever_the_process_count(backend, processes):
    peer = Peer()
    peer.start()
    srv = start_server(backend, {"TIDINGS_PROCESSES": str(processes)})
    try:
        srv.cli("channels", "add-smpp", "bound", "--host", "127.0.0.1", "--port", str(peer.port), "--system-id", "tidings",
                "--password", "pw", "-o", "binds=2")
        srv.stop()
        srv.start()
        with srv.admin() as c:
            status = wait_until(lambda: (lambda st: st if st.get("bound") == 2 else None)(c.get("/admin/v1/channels/bound").json()["status"]),
                                60, what="the channel bound")
        assert status["binds"] == 2 and status["running"] is True
        time.sleep(2)  # a second set of binds, if any process made one, would be up by now
        assert established_to(peer.port) == 2
        assert sum(" worker --supervised" in cmd for cmd in children(srv.proc.pid).values()) == processes - 1
    finally:
        stop_server(srv)
        peer.kill()
