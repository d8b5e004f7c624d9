"""How long the CLI takes to answer (a script, not a test).

    .venv/bin/python bench/cli.py [--runs 10]

Times, from process start to exit, ``tidings --help``, a group's ``--help``
and ``tidings tenant list`` on a fresh SQLite data dir (the last one imports
the database stack, checks the schema and reads a table), and prints the
median and the worst of ``--runs`` runs with the machine's load average, since
the machine is shared.  ``--help`` should stay well under a second: command
modules import what a command needs inside the command (docs/development.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIDINGS = [sys.executable, "-m", "tidings"]


def timed(args: list[str], env: dict, cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(TIDINGS + args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tidings-bench-cli-") as tmp:
        env = {**os.environ, "TIDINGS_DATA_DIR": str(Path(tmp) / "var")}
        env.pop("TIDINGS_DATABASE_URL", None)
        timed(["migrate"], env, tmp)  # the schema and first-start accounts, outside the measurement
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  ({os.cpu_count()} cores)")
        for args in (["--help"], ["messages", "--help"], ["tenant", "list"]):
            times = [timed(args, env, tmp) for _ in range(opts.runs)]
            print(f"tidings {' '.join(args):<18} median {statistics.median(times) * 1000:6.0f} ms   worst {max(times) * 1000:6.0f} ms   ({opts.runs} runs)")
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
