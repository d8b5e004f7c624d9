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



capability_app = typer.Typer(no_args_is_help=True)
app.add_typer(capability_app, name="capability", help="The capability registry: which maker shows cards for a number.")


@capability_app.command("import")
def capability_import(path: str = typer.Argument(..., help="CSV file: number_or_sha1,maker per line (maker none = incapable); - for stdin")) -> None:
    """Import registry rows (a row replaces the number's earlier one)."""
    import sys
    from pathlib import Path

    from tidings.aim import capability
    from tidings.cli.common import fail

    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        rows = capability.parse_csv(text)
    except capability.CsvError as exc:
        fail(str(exc))

    async def go(ctx: AppContext) -> dict:
        async with ctx.db.write() as session:
            return {"imported": await capability.import_rows(session, rows, source=f"cli:{path}")}

    emit(run(go))


@capability_app.command("show")
def capability_show(number: str, sha1: bool = typer.Option(False, "--sha1", help="NUMBER is the SHA1 of 86 + number")) -> None:
    """The maker of one handset and where the answer comes from."""
    from tidings.aim import capability
    from tidings.cli.common import fail

    key = capability.key_of(number, capability.SHA1 if sha1 else capability.NONE)
    if key is None:
        fail(f"{number!r} is neither a mainland mobile number nor a SHA1 hex digest")

    async def go(ctx: AppContext) -> dict:
        async with ctx.db.read() as session:
            imported = await capability.imported_makers(session, [key])
        maker = capability.maker_of(key, imported)
        return {"key": key, "maker": maker, "capable": maker is not None, "source": "import" if key in imported else "sandbox rule"}

    emit(run(go))


@app.command("send")
def send(
    tenant: str = tenant_option(),
    tpl_id: str = typer.Option(..., help="the smart-message template (9 digits)"),
    app_name: str = typer.Option(..., "--app", help="sms_channel.sms_app_name"),
    sign: str = typer.Option(..., help="sms_channel.sms_sign"),
    channel_number: str = typer.Option(..., help="sms_channel.channel_number"),
    sms_tpl_id: str = typer.Option(..., help="sms_channel.sms_tpl_id: an SMS template with one NEWTEXT variable"),
    mobiles: typer.FileText = typer.Option(..., help="the numbers, one a line ('-' for stdin)"),
    fallback: str = typer.Option("none", help="for numbers that cannot show the card: none | sms | basic (not available yet)"),
    task_name: str = typer.Option("send flow"),
    sms_param: list[str] = typer.Option([], help="the SMS template's values except the link, in order (repeat)"),
    param: list[str] = typer.Option([], help="a card variable NAME=VALUE (repeat)"),
    expiration_time: int = typer.Option(7, min=1, max=7, help="link validity in days"),
    wait: bool = typer.Option(False, help="wait until a running `tidings serve` / `tidings worker` has finished it"),
) -> None:
    """A send flow (capability check -> smart messages -> fallback), run by the server's background runner."""
    import asyncio

    from tidings.aim import flows, sending

    numbers = [line.strip() for line in mobiles if line.strip()]
    dync = dict(p.split("=", 1) for p in param) or None

    async def go(ctx: AppContext) -> dict:
        tenant_id = await tenant_id_by_name(ctx, tenant)
        inp = flows.FlowInput(task_name=task_name, tpl_id=tpl_id, channel=sending.SmsChannel(app_name, sign, channel_number, sms_tpl_id),
                              fallback=fallback, mobiles=numbers, days=expiration_time, sms_params=list(sms_param), dync_params=dync)
        flow_id = await flows.create(ctx, tenant_id, inp)
        while True:
            async with ctx.db.read() as session:
                shown = await flows.show(session, tenant_id, flow_id)
            assert shown is not None
            if not wait or shown["state"] in (flows.DONE, flows.FAILED):
                return shown
            await asyncio.sleep(0.5)

    emit(run(go))


@app.command("flow")
def flow(flow_id: str, tenant: str = tenant_option()) -> None:
    """A send flow's progress and counts per outcome."""
    from tidings.aim import flows
    from tidings.errors import KooError

    async def go(ctx: AppContext) -> dict:
        tenant_id = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            shown = await flows.show(session, tenant_id, flow_id)
        if shown is None:
            raise KooError("TD.00000404", f"Send flow {flow_id} does not exist")
        return shown

    emit(run(go))
