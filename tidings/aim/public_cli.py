"""``tidings aim public ...``: the operator's public templates from the command
line (the same actions as ``/admin/v1/aim/public-templates``).  The stores are
imported inside the commands, and this module sits outside ``tidings.aim.public``
(whose package loads the library's models), so ``tidings --help`` stays light."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer

from tidings.cli.common import actor, emit, fail, run

app = typer.Typer(no_args_is_help=True)


def _body(path: Path) -> dict:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read {path}: {exc}")
    # A library file ({tpl_id, scenario, request}) or a bare create request.
    return body["request"] if isinstance(body, dict) and isinstance(body.get("request"), dict) else body


def _shown(op: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Run ``op(ctx, admin)`` and show its template(s) with their preview links."""
    from tidings.aim.public import admin
    from tidings.aim.views import preview_url

    async def go(ctx):
        result = await op(ctx, admin)
        rows = result if isinstance(result, list) else [result]
        views = [admin.view(r, preview_url(ctx.settings.base_url, ctx.box, r.id)) for r in rows]
        return views if isinstance(result, list) else views[0]

    return run(go)


@app.command("list")
def list_(retired: bool = typer.Option(False, help="Include retired templates")) -> None:
    """The public templates every tenant sees, with their preview links."""
    emit(_shown(lambda ctx, admin: admin.list_public(ctx, retired=retired)))


@app.command("add")
def add(file: Path = typer.Argument(..., help="A create request (JSON), or a library file")) -> None:
    """Add a public template; it gets a new tpl_id."""
    body = _body(file)
    emit(_shown(lambda ctx, admin: admin.add(ctx, body, actor=actor())))


@app.command("update")
def update(tpl_id: str, file: Path = typer.Argument(..., help="A create request (JSON), or a library file")) -> None:
    """Replace a public template's card (checked like a tenant's create)."""
    body = _body(file)
    emit(_shown(lambda ctx, admin: admin.update(ctx, tpl_id, body, actor=actor())))


@app.command("retire")
def retire(tpl_id: str) -> None:
    """Withdraw a public template: lists and new tasks no longer see it."""
    emit(_shown(lambda ctx, admin: admin.retire(ctx, tpl_id, actor=actor())))


@app.command("restore")
def restore(tpl_id: str) -> None:
    """Bring a public template back (a shipped one in its shipped version)."""
    emit(_shown(lambda ctx, admin: admin.restore(ctx, tpl_id, actor=actor())))


@app.command("install")
def install() -> None:
    """Install the shipped templates that are missing (start-up does this too)."""
    from tidings.aim.public import admin

    emit(run(lambda ctx: admin.install_library(ctx)))
