"""Helpers shared by CLI commands: one context per invocation, JSON output,
the tenant option every command takes the same way.

Command modules import their heavy dependencies (SQLAlchemy, the stores,
FastAPI models) inside the commands, so ``tidings --help`` and a command's
``--help`` never pay for them."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from tidings.context import AppContext

T = TypeVar("T")

TENANT_HELP = "The tenant, by name (or id); default $TIDINGS_TENANT"


def tenant_option(required: bool = True, help: str = TENANT_HELP) -> Any:
    """``--tenant NAME`` (``-t``): how every command names a tenant."""
    return typer.Option(... if required else None, "--tenant", "-t", envvar="TIDINGS_TENANT", show_envvar=False, help=help)


def actor() -> str:
    """Who the audit trail names for a CLI change: the operating-system user."""
    return f"cli:{getpass.getuser()}"


async def tenant_id_by_name(ctx: AppContext, name: str) -> str:
    """The id of the tenant called ``name`` (or with that id); the platform's
    own account is no tenant here."""
    from tidings.errors import KooError
    from tidings.store import tenants as tenant_store
    from tidings.store.models.core import Tenant

    async with ctx.db.read() as session:
        tenant = await tenant_store.tenant_by_name(session, name) or await session.get(Tenant, name)
    if tenant is None or tenant.is_platform:
        raise KooError("TD.00000404", f"no tenant {name!r}")
    return tenant.id


def run(fn: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run one async operation against the configured database, whose schema
    is brought up to date first (a fresh data dir works before the first
    ``tidings serve``).  A KooMessage error becomes ``error: CODE: message``
    and exit status 1."""
    import asyncio

    from tidings.config import Settings
    from tidings.errors import KooError
    from tidings.installed import build_context
    from tidings.store.migrate import ensure_current

    async def _go() -> T:
        ctx = build_context(Settings())
        try:
            migrated_from = await ensure_current(ctx.db)
            if migrated_from:
                typer.echo(f"migrated the database schema (it was at {migrated_from})", err=True)
            return await fn(ctx)
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(_go())
    except KooError as exc:
        fail(f"{exc.code}: {exc.msg}")
        raise  # unreachable: fail() exits


def emit(data: Any, as_json: bool = True) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(data)


def fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def describe_exception(exc: BaseException) -> str:
    """One line for an error no command expected: what failed, not where."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    if orig is not None:
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return f"database: {first}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def guarded(command: Callable[[], None]) -> None:
    """Run the CLI so that nothing ends in a traceback: an unexpected error is
    one ``error: ...`` line on stderr and exit status 1 (``TIDINGS_DEBUG=1``
    shows the traceback for bug reports)."""
    import os

    try:
        command()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("TIDINGS_DEBUG"):
            raise
        typer.echo(f"error: {describe_exception(exc)}", err=True)
        sys.exit(1)
