"""``tidings aim ...``: operators' view of smart-message templates and
materials (reviews themselves go through ``tidings review``, like SMS).
Stores are imported inside the commands so ``tidings --help`` stays light."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tidings.aim import public_cli
from tidings.cli.common import emit, run, tenant_id_by_name, tenant_option

if TYPE_CHECKING:
    from tidings.context import AppContext

app = typer.Typer(no_args_is_help=True)
app.add_typer(public_cli.app, name="public", help="Public templates every tenant may use: list, add, update, retire, restore.")


@app.command("templates")
def templates(tenant: str = tenant_option(), limit: int = typer.Option(100, min=1, max=1000)) -> None:
    """A tenant's templates with their review and per-maker state."""
    from tidings.aim import queries, views

    async def go(ctx: AppContext) -> dict:
        tenant_id = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            rows, total = await queries.list_templates(session, tenant_id, queries.TemplateFilter(tpl_type="private"), 0, limit)
            makers = await queries.makers_of(session, [t.id for t in rows])
        return {"total": total, "templates": [views.template_view(t, makers[t.id], ctx.settings.base_url, ctx.box, only_status=True) for t in rows]}

    emit(run(go))


@app.command("show")
def show(tpl_id: str) -> None:
    """One template (any tenant's) with its stored pages and makers."""
    from tidings.aim import codes, queries, views
    from tidings.errors import KooError
    from tidings.store.models.aim import AimTemplate

    async def go(ctx: AppContext) -> dict:
        async with ctx.db.read() as session:
            tpl = await session.get(AimTemplate, tpl_id)
            if tpl is None:
                raise KooError(codes.TEMPLATE_NOT_FOUND, "Smart-message template does not exist")
            makers = (await queries.makers_of(session, [tpl.id]))[tpl.id]
        view = views.template_view(tpl, makers, ctx.settings.base_url, ctx.box, only_status=False)
        return {**view, "tenant_id": tpl.tenant_id, "public": tpl.public, "deleted": tpl.deleted_at is not None}

    emit(run(go))


@app.command("quota")
def quota(tenant: str = tenant_option()) -> None:
    """Material space used (recycle bin included) and the tenant's limit."""
    from sqlalchemy import select

    from tidings.aim import materials, queries
    from tidings.store.models.core import Tenant

    async def go(ctx: AppContext) -> dict:
        tenant_id = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            used = await queries.quota_used(session, tenant_id)
            settings = (await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))).scalar_one()
        return {"tenant": tenant, "used_bytes": used, "limit_bytes": materials.quota_of(ctx.settings, settings or {})}

    emit(run(go))


@app.command("sweep")
def sweep() -> None:
    """Run today's material sweep now (skipped if a process already ran it today)."""
    from tidings.aim.sweeper import sweep_once

    async def go(ctx: AppContext) -> dict:
        result = await sweep_once(ctx)
        return {"day": result.day, "ran": result.ran, "purged": result.purged, "freed_bytes": result.freed_bytes}

    emit(run(go))


@app.command("layouts")
def layouts() -> None:
    """The 29 layouts and their slots (Markdown, as in docs/smart-messages.md)."""
    from tidings.aim.layouts import slot_table

    emit(slot_table(), as_json=False)

