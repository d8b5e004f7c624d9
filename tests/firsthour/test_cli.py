"""The CLI's shape (issue 21): one way to name a tenant, a cheap ``--help``,
a fresh data dir that just works, and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from tests.conftest import backend_params, require_pg
from tests.support.harness import create_pg_database, drop_pg_database

pytestmark = pytest.mark.heavy


def _commands(group, prefix: str = ""):  # Typer's own (vendored) click types
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", cmd


def test_every_command_names_the_tenant_with_the_same_option():
    from tidings.cli.main import app

    seen = []
    for path, cmd in _commands(typer.main.get_command(app)):
        for p in cmd.params:
            if "tenant" not in p.name or path == "tenant create":
                continue
            seen.append(path)
            assert p.param_type_name == "option", f"`tidings {path}` takes the tenant as an argument"
            assert p.name == "tenant" and set(p.opts) == {"--tenant", "-t"} and p.envvar == "TIDINGS_TENANT", f"`tidings {path}`: {p.opts}"
    assert {"messages list", "messages show", "messages stats", "filing submit", "key list", "user create", "review list"} <= set(seen)


def test_help_loads_no_database_or_web_stack():
    """What keeps `tidings --help` fast (bench/cli.py measures it): the command
    tree is built without SQLAlchemy, FastAPI, Alembic or Pydantic."""
    probe = ("import sys, tidings.cli.main; "
             "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'alembic', 'pydantic', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []
    shown = subprocess.run([sys.executable, "-m", "tidings", "--help"], capture_output=True, text=True, check=True).stdout
    assert "messages" in shown and "channels" in shown


def _cli(tmp: Path, db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TIDINGS_DATA_DIR": str(tmp / "var"), "TIDINGS_DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "tidings", *args], cwd=tmp, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("backend", backend_params())
def test_a_carrier_on_a_fresh_data_dir(backend: str, tmp_path: Path):
    """docs/smpp.md: the CLI works before the first start (it migrates first)."""
    if backend == "postgresql":
        require_pg()
        url = create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'tidings.db'}"
    try:
        added = _cli(tmp_path, url, "channels", "add-smpp", "cmcc", "--host", "smsc.example", "--system-id", "106900", "--password", "pw")
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["name"] == "cmcc"
        assert "migrated" in added.stderr
        listed = _cli(tmp_path, url, "channels", "list")
        assert [c["name"] for c in json.loads(listed.stdout)] == ["cmcc"] and listed.stderr == ""
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def test_no_command_prints_a_traceback(tmp_path: Path):
    down = _cli(tmp_path, "postgresql+asyncpg://nobody@127.0.0.1:1/nothing", "tenant", "list")
    assert down.returncode == 1 and down.stdout == ""
    assert down.stderr.startswith("error: ") and len(down.stderr.strip().splitlines()) == 1, down.stderr
    missing = _cli(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'var' / 'tidings.db'}", "messages", "show", "nope", "--tenant", "nobody")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().endswith("error: TD.00000404: no tenant 'nobody'")
