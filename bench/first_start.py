"""Time from a fresh clone to a serving ``make run`` (a script, not a test).

    .venv/bin/python bench/first_start.py [--commit REV] [--cold] [--runs 1]

Clones this repository (at ``--commit``, default HEAD) into a temporary
directory, runs ``make run`` there on a free port and stops the clock when
``/healthz`` answers; prints the setup and serve phases (from make's own
"setup: done" line when the Makefile prints one) and the load average before
and after, since the machine is shared.  ``--cold`` disables the installers'
download caches (``UV_NO_CACHE``, ``PIP_NO_CACHE_DIR``) for a first-ever setup.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.harness import free_port


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def one_run(commit: str, cold: bool) -> tuple[float, float | None]:
    with tempfile.TemporaryDirectory(prefix="tidings-first-start-") as tmp:
        clone = Path(tmp) / "tidings"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
        shared = REPO.parent / "shared"
        if shared.exists():
            (Path(tmp) / "shared").symlink_to(shared)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TIDINGS_", "VIRTUAL_ENV"))}
        env["TIDINGS_PORT"] = str(port)
        if cold:
            env.update(UV_NO_CACHE="1", PIP_NO_CACHE_DIR="1")
        began = time.perf_counter()
        setup_done: list[float] = []
        proc = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True)

        def watch() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]  # started with stdout=PIPE
                if line.startswith("setup: done") and not setup_done:
                    setup_done.append(time.perf_counter() - began)

        threading.Thread(target=watch, daemon=True).start()
        try:
            while not serving(port):
                if proc.poll() is not None:
                    raise SystemExit(f"make run exited with {proc.returncode}")
                time.sleep(0.2)
            return time.perf_counter() - began, (setup_done[0] if setup_done else None)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--cold", action="store_true", help="no installer download caches")
    parser.add_argument("--runs", type=int, default=1)
    opts = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", opts.commit], check=True, capture_output=True, text=True).stdout.strip()
    for _ in range(opts.runs):
        before = os.getloadavg()
        total, setup = one_run(commit, opts.cold)
        after = os.getloadavg()
        phases = f"setup {setup:.1f} s, serve {total - setup:.1f} s" if setup is not None else "no 'setup: done' line (older Makefile)"
        print(f"{commit}{' cold' if opts.cold else ''}: make run serving after {total:.1f} s ({phases}); "
              f"load {before[0]:.1f} -> {after[0]:.1f} on {os.cpu_count()} cores", flush=True)


if __name__ == "__main__":
    sys.exit(main())
