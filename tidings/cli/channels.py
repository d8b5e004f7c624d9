"""``tidings channels ...``: carrier accounts (SMPP) and routes, the same
operations as ``/admin/v1/channels`` and ``/admin/v1/routes``.

    tidings channels add-smpp cmcc --host smsc.example --port 2775 --system-id acct --password-env CMCC_PW
    tidings channels route add cmcc --carrier cmcc --priority 10
    tidings channels list | show NAME | enable NAME | disable NAME | set NAME -o window=50 | remove NAME
    tidings channels route list | route remove ID

Changes go to the database; a running server picks up routes and the
enabled flags within seconds and connection settings at its next start.
Prefer ``--password-env`` or ``--password-stdin`` to ``--password``: a
command line is visible to other users and lands in shell history.
"""

from __future__ import annotations

import os
import sys

import typer

from tidings.cli.common import actor, emit, fail, run
from tidings.domain.routing import DEFAULT_PRIORITY

app = typer.Typer(no_args_is_help=True)
route_app = typer.Typer(no_args_is_help=True, help="Routes: which channel carries which numbers (prefix, carrier, product).")
app.add_typer(route_app, name="route")


def _run(fn):
    from tidings.channels import config as channels

    try:
        return run(fn)
    except channels.ConfigError as exc:
        fail(exc.message)
    except (channels.NotFound, channels.Conflict) as exc:
        fail(str(exc))


def _options(pairs: list[str] | None) -> dict:
    out: dict = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--option takes KEY=VALUE, got {pair!r}")
        out[key.strip()] = None if value == "" else value  # strings: validation converts and names the limits
    return out


def _password(password: str | None, password_env: str | None, password_stdin: bool) -> str | None:
    if password_env:
        if password_env not in os.environ:
            fail(f"environment variable {password_env} is not set")
        return os.environ[password_env]
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return password


@app.command("add-smpp")
def add_smpp(
    name: str,
    host: str = typer.Option(..., help="SMSC host"),
    port: int = typer.Option(2775),
    system_id: str = typer.Option(..., help="Bind account (system_id)"),
    password: str = typer.Option(None, help="Bind password (visible in ps/history: prefer --password-env)"),
    password_env: str = typer.Option(None, help="Read the password from this environment variable"),
    password_stdin: bool = typer.Option(False, help="Read the password from the first line of stdin"),
    bind_mode: str = typer.Option("trx", help="trx (transceiver) or tx+rx"),
    binds: int = typer.Option(1, help="Binds (or tx+rx pairs)"),
    window: int = typer.Option(10, help="Submits awaiting their response, per bind"),
    mps: float = typer.Option(0.0, help="Submits per second per bind (0: no cap)"),
    unknown_policy: str = typer.Option("resubmit", help="resubmit (at least once) or fail (at most once)"),
    description: str = typer.Option(""),
    disabled: bool = typer.Option(False, help="Define it without sending through it yet"),
    option: list[str] = typer.Option(None, "--option", "-o", help="Any other SMPP setting as KEY=VALUE (docs/smpp.md)"),
) -> None:
    """Define an SMPP carrier account."""
    from tidings.channels import config as channels

    config = {"host": host, "port": port, "system_id": system_id, "bind_mode": bind_mode, "binds": binds,
              "window": window, "mps": mps, **_options(option)}
    secret = _password(password, password_env, password_stdin)
    emit(_run(lambda ctx: channels.add_channel(ctx, name=name, kind="smpp", config=config, password=secret,
                                               enabled=not disabled, unknown_policy=unknown_policy,
                                               description=description, actor=actor())))


@app.command("add-sandbox")
def add_sandbox(description: str = typer.Option("")) -> None:
    """Define the built-in sandbox carrier as a channel, so routes can send to it."""
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.add_channel(ctx, name=channels.SANDBOX_NAME, kind="sandbox",
                                               description=description, actor=actor())))


@app.command("list")
def list_() -> None:
    from tidings.channels import config as channels

    emit(_run(channels.list_channels))


@app.command("show")
def show(name: str) -> None:
    """Definition, live status (in this process: none for the CLI) and message counts."""
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.channel_status(ctx, name)))


@app.command("set")
def set_(
    name: str,
    option: list[str] = typer.Option(None, "--option", "-o", help="KEY=VALUE; KEY= resets it to the default"),
    unknown_policy: str = typer.Option(None, help="resubmit or fail"),
    description: str = typer.Option(None),
    password: str = typer.Option(None),
    password_env: str = typer.Option(None),
    password_stdin: bool = typer.Option(False),
) -> None:
    """Change a channel's settings (connection settings apply at the next start)."""
    from tidings.channels import config as channels

    secret = _password(password, password_env, password_stdin)
    emit(_run(lambda ctx: channels.update_channel(ctx, name, config=_options(option) or None, password=secret,
                                                  unknown_policy=unknown_policy, description=description, actor=actor())))


@app.command("enable")
def enable(name: str) -> None:
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.update_channel(ctx, name, enabled=True, actor=actor())))


@app.command("disable")
def disable(name: str) -> None:
    """Stop routing new messages to it (its routes stay)."""
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.update_channel(ctx, name, enabled=False, actor=actor())))


@app.command("remove")
def remove(name: str) -> None:
    """Remove a channel and its routes."""
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.remove_channel(ctx, name, actor=actor())))


@route_app.command("add")
def route_add(
    channel: str,
    prefix: str = typer.Option("", help="Destination prefix, E.164 digits without + (e.g. 86)"),
    carrier: str = typer.Option(None, help="cmcc | cucc | ctcc | cbn (by number segment)"),
    product: str = typer.Option(None, help="The product whose messages it carries: an installed product's name (default: the first installed, sms)"),
    priority: int = typer.Option(DEFAULT_PRIORITY, help="Lower is tried first; equal priorities: more specific first"),
) -> None:
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.add_route(ctx, channel=channel, product=product, prefix=prefix, carrier=carrier,
                                             priority=priority, actor=actor())))


@route_app.command("list")
def route_list(channel: str = typer.Option(None)) -> None:
    """Routes in the order they are tried."""
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.list_routes(ctx, channel)))


@route_app.command("remove")
def route_remove(route_id: int) -> None:
    from tidings.channels import config as channels

    emit(_run(lambda ctx: channels.remove_route(ctx, route_id, actor=actor())))
