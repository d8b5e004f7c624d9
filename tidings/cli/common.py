"""Helpers shared by CLI commands: one context per invocation, JSON output."""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Any, Awaitable, Callable, TypeVar

import typer

from tidings.config import Settings
from tidings.context import AppContext

T = TypeVar("T")


def actor() -> str:
    """Who the audit trail names for a CLI change: the operating-system user."""
    return f"cli:{getpass.getuser()}"


async def tenant_id_by_name(ctx: AppContext, name: str) -> str:
    """The id of the tenant called ``name``; the platform's own is no tenant here."""
    from tidings.api.errors import KooError
    from tidings.store import tenants as tenant_store

    async with ctx.db.read() as session:
        tenant = await tenant_store.tenant_by_name(session, name)
    if tenant is None or tenant.is_platform:
        raise KooError("TD.00000404", f"no tenant {name!r}")
    return tenant.id


def run(fn: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run one async operation against the configured database; a KooMessage
    error becomes ``error: CODE: message`` and exit status 1."""
    from tidings.api.errors import KooError

    async def _go() -> T:
        ctx = AppContext.build(Settings())
        try:
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
