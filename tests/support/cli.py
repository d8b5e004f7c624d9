"""The ``tidings`` CLI run in the test process (Typer's ``CliRunner``) with
the environment a server under test runs with: its data directory (and so
its master key), its database URL, its ``TIDINGS_EXTRA``.  Starting
``python -m tidings`` costs seconds per call on a loaded machine; a run here
costs milliseconds and exercises the same commands against the same database.
``tests/test_cli_process.py`` keeps one real subprocess per command group, so
the entry point and the environment reading stay covered."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from tidings.cli.main import app


def run_cli(args: tuple[str, ...], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``tidings *args`` in-process; the answer has the shape of a subprocess's.

    An exception that escapes a command propagates (an operator would have
    seen a traceback, not an error message), so no test mistakes it for a
    refusal.  The working directory is ``cwd``, as for the subprocess, because
    the settings read ``./tidings.toml`` from it."""
    runner = CliRunner()
    with contextlib.chdir(cwd):
        result = runner.invoke(app, list(args), env=dict(env), catch_exceptions=False)
    return subprocess.CompletedProcess([sys.executable, "-m", "tidings", *args], result.exit_code, result.stdout, result.stderr)


def run_cli_process(args: tuple[str, ...], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m tidings *args`` in a subprocess: for the entry-point smoke tests."""
    return subprocess.run([sys.executable, "-m", "tidings", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=120)
