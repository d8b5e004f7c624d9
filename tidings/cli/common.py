"""Helpers shared by CLI commands: one context per invocation, JSON output."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, TypeVar

import typer

from tidings.config import Settings
from tidings.context import AppContext

T = TypeVar("T")


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
