"""``tidings serve`` on several cores: a small supervisor process that starts
the API and the background work as child processes, restarts one that dies,
and stops them all on Ctrl-C (docs/architecture.md "Processes").

The parent binds the listening socket, migrates and runs the first start
(the banner) as before; then it starts

* the **API** child, ``tidings api --supervised``, serving on the inherited
  socket.  There is one: the tenants' rate limits are token buckets in its
  memory (:mod:`tidings.ratelimit`), so they hold at their configured values,
  and the services that take those tokens (``Product.api_services``) run in
  it too;
* **worker** children, ``tidings worker --supervised``: dispatch, report
  intake, callbacks, housekeeping, the products' services.  The first also
  runs the channels an operator defined (SMPP): a channel binds the binds it
  was given once, not once per process.  Further workers (PostgreSQL only:
  SQLite has one writer) run the sandbox and the rest, claiming with
  ``FOR UPDATE SKIP LOCKED`` as separate ``tidings worker`` processes do.

The children share nothing but the database and the data dir: the send path
wakes the dispatchers of its own process only, so a worker finds new messages
by its idle poll (``dispatch.poll_interval``, 0.1 s), and the channels'
state shown by the admin API comes from the file each worker publishes
(:mod:`tidings.channels.published`).

Crashes: a child that exits without being asked to is started again after a
second, with a warning naming it and how it ended.  A child that dies
``GIVE_UP`` times within ``WINDOW`` seconds stops the whole (exit status 1)
with one ``error:`` line: something is wrong that a restart does not fix.
Each child gets SIGKILL when the supervisor dies (``PR_SET_PDEATHSIG``), so
a SIGKILL of ``tidings serve`` is a crash of every part, as it was of the
one process, and leaves no orphan holding the port or the SMPP binds.

Ctrl-C (SIGINT) or SIGTERM: each child gets SIGTERM and stops as it would
alone (uvicorn drains, the workers end their leases); one still running
after ``STOP_TIMEOUT`` seconds is killed.  The children run in their own
process group, so a terminal's Ctrl-C reaches the supervisor alone and every
child gets exactly one signal.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("tidings.supervisor")

GIVE_UP = 5  # deaths of one child ...
WINDOW = 60.0  # ... within this many seconds stop the whole
RESTART_PAUSE = 1.0
STOP_TIMEOUT = 20.0
TICK = 0.2

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In the child before exec: SIGKILL when the supervisor dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the children outlive a SIGKILLed supervisor
        return
    if os.getppid() != parent:  # the supervisor died before prctl
        os._exit(1)


@dataclass
class Child:
    role: str  # "api", "worker 1", "worker 2", ...
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    deaths: collections.deque[float] = field(default_factory=collections.deque)
    restart_at: float | None = None

    def start(self) -> None:
        parent = os.getpid()
        self.proc = subprocess.Popen(self.argv, pass_fds=self.pass_fds, process_group=0,
                                     preexec_fn=lambda: _die_with_parent(parent))
        self.restart_at = None
        log.info("started the %s process (pid %d)", self.role, self.proc.pid)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def plan(processes: int, fd: int, host: str, port: int) -> list[Child]:
    """The children of ``processes`` in all: the API and ``processes - 1`` workers."""
    base = [sys.executable, "-m", "tidings"]
    children = [Child("api", [*base, "api", "--supervised", "--fd", str(fd), "--host", host, "--port", str(port)], pass_fds=(fd,))]
    for i in range(1, processes):
        argv = [*base, "worker", "--supervised"]
        if i > 1:
            argv.append("--no-carriers")  # the first worker runs the operator's channels (SMPP binds)
        children.append(Child(f"worker {i}", argv))
    return children


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stopping: int | None = None  # the signal that asked us to stop
        self.failure: str | None = None

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stopping is None:
            self.stopping = signum

    def run(self) -> int:
        """Start the children and watch them until a signal or a give-up; the exit status."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                child.start()
            while self.stopping is None and self.failure is None:
                self._tick(time.monotonic())
                time.sleep(TICK)
        finally:
            self.stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
        if self.failure:
            print(f"error: {self.failure}", file=sys.stderr, flush=True)
            return 1
        return 0

    def _tick(self, now: float) -> None:
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                continue
            code = child.proc.poll() if child.proc else None
            if code is None or self.stopping is not None:
                continue
            child.deaths.append(now)
            while child.deaths and child.deaths[0] < now - WINDOW:
                child.deaths.popleft()
            how = describe_exit(code)
            if len(child.deaths) >= GIVE_UP:
                self.failure = (f"the {child.role} process died {len(child.deaths)} times within {WINDOW:.0f} s (last: {how}); "
                                "stopping Tidings: see the log above for why")
                return
            log.warning("the %s process (pid %s) stopped unexpectedly (%s); starting it again in %.0f s",
                        child.role, child.pid, how, RESTART_PAUSE)
            child.restart_at = now + RESTART_PAUSE

    def stop_all(self) -> None:
        alive = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in alive:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in alive:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process %d did not stop within %.0f s; killing it", proc.pid, STOP_TIMEOUT)
                proc.kill()
                proc.wait()


def supervise(sock: socket.socket, processes: int, host: str, port: int) -> int:
    """Run ``processes`` children serving ``sock`` until stopped; the exit status."""
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    sup = Supervisor(plan(processes, fd, host, port))
    roles = ", ".join(c.role for c in sup.children)
    log.info("running %d processes: %s", len(sup.children), roles)
    try:
        return sup.run()
    finally:
        sock.close()
