"""``python -m tidings`` as an operator runs it: one real process per command
group.  Every other CLI test runs the commands in-process
(``tests.support.cli``); these prove the entry point, the registration of each
group and the reading of the environment (data directory, master key,
database URL) in a fresh interpreter, and that a refusal is exit status 1.

The process adds nothing that depends on the database, so these run against
the SQLite server only; the in-process tests cover both databases."""

from __future__ import annotations

import json

import pytest

from tests.support.harness import Server, TenantCreds

pytestmark = [pytest.mark.parametrize("server", ["sqlite"], indirect=True), pytest.mark.heavy]


def run(server: Server, *args: str):
    proc = server.cli(*args, process=True)
    return json.loads(proc.stdout)


def test_migrate_is_a_no_op_on_a_current_database(server: Server):
    assert "is up to date" in server.cli("migrate", process=True).stdout


def test_tenant(server: Server):
    assert server.demo.tenant_id in {t["tenant_id"] for t in run(server, "tenant", "list")}


def test_user(server: Server, tenant):
    created = run(server, "user", "create", "clerk", "--tenant", tenant.name, "--role", "member")
    assert created["user_name"] == "clerk" and created["access_key"]


def test_key(server: Server, tenant):
    # The secret is sealed under the data directory's master key: the server
    # accepting the new key shows the process used the server's.
    new = run(server, "key", "create", "--tenant", tenant.name)
    with server.http(TenantCreds(**{**tenant.__dict__, "access_key": new["access_key"], "secret_key": new["secret_key"]})) as c:
        assert c.get("/v3/projects").status_code == 200


def test_review(server: Server):
    assert "reviews" in run(server, "review", "list", "--state", "all")


def test_sms(server: Server):
    assert isinstance(run(server, "sms", "pool", "list"), list)


def test_filing(server: Server, tenant):
    assert {f["state"] for f in run(server, "filing", "list", "--tenant", tenant.name)} == {"none"}


def test_messages(server: Server, tenant):
    assert run(server, "messages", "stats", "--tenant", tenant.name) == {"statuses": {}, "metered": {"sms.part.delivered": 0, "aim.parse": 0}}


def test_sandbox(server: Server):
    # A handset no test sends to (the session's server is shared).
    assert run(server, "sandbox", "inbox", "13599990000") == []


def test_channels_refusal_is_exit_status_1(server: Server):
    proc = server.cli("channels", "show", "no-such-channel", check=False, process=True)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "no-such-channel" in proc.stderr
    assert proc.stdout == ""


def test_aim(server: Server, tenant):
    assert run(server, "aim", "quota", "--tenant", tenant.name)["used_bytes"] == 0
