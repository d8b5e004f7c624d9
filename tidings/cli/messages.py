"""``tidings messages ...``: the message log from the command line (the same
view as ``/tidings/v1/messages``), acting on the database as the operator.
The tenant is named with ``--tenant``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tidings.cli.common import emit, fail, run, tenant_id_by_name, tenant_option

if TYPE_CHECKING:
    from tidings.context import AppContext

app = typer.Typer(no_args_is_help=True)

# Kept here rather than imported: `--help` must not load the store.
STATUS_HELP = "queued | submitting | submitted | delivered | failed | expired | unknown | rejected"


@app.command("list")
def list_(
    tenant: str = tenant_option(),
    number: str = typer.Option(None, help="Recipient, any spelling the send API accepts"),
    task: str = typer.Option(None, help="Task id"),
    status: str = typer.Option(None, help=STATUS_HELP),
    since: str = typer.Option(None, help="Created at or after (ISO 8601, UTC)"),
    until: str = typer.Option(None, help="Created before (ISO 8601, UTC)"),
    offset: int = typer.Option(0, min=0),
    limit: int = typer.Option(20, min=1, max=1000),
) -> None:
    """A tenant's messages, newest first."""
    from tidings import message_log
    from tidings.domain.numbers import NumberError, normalize
    from tidings.store import messages as store
    from tidings.store.models.pipeline import STATUSES
    from tidings.timeutil import parse_wire

    f = store.LogFilter(task_id=task)
    try:
        f.number = normalize(number, international=True) if number else None
        f.since, f.until = parse_wire(since), parse_wire(until)
    except (NumberError, ValueError) as exc:
        fail(str(exc))
    if status and status not in STATUSES:
        fail(f"status must be one of {', '.join(STATUSES)}")
    f.status = status

    async def go(ctx: AppContext) -> dict:
        tid = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            rows, total = await store.list_messages(session, tid, f, offset, limit)
        return {"messages": [message_log.summary(m) for m in rows], "page_info": {"offset": offset, "limit": limit, "total": total}}

    emit(run(go))


@app.command("show")
def show(msg_id: str, tenant: str = tenant_option()) -> None:
    """One message: text, parts, attempts, times, part reports, callbacks; a
    refused number's send_status with what it means."""
    from tidings import message_log
    from tidings.domain.send_status import MEANING
    from tidings.errors import KooError

    async def go(ctx: AppContext) -> dict:
        tid = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            found = await message_log.details(session, tid, msg_id)
        if found is None:
            raise KooError("TD.00000404", f"no message {msg_id} for tenant {tenant}")
        if found["status_code"] in MEANING:
            found["send_status_meaning"] = MEANING[found["status_code"]]
        return found

    emit(run(go))


@app.command("stats")
def stats(tenant: str = tenant_option(required=False, help="Only this tenant (by name); adds its metered parts")) -> None:
    """Messages per status, and (with --tenant) what the installed products metered (SMS: parts delivered)."""
    from tidings.meters import stream as meters
    from tidings.store import messages as store

    async def go(ctx: AppContext) -> dict:
        tid = await tenant_id_by_name(ctx, tenant) if tenant else None
        async with ctx.db.read() as session:
            out: dict = {"statuses": await store.status_counts(session, tid)}
            if tid:
                kinds = [kind for product in ctx.products for kind in product.meter_kinds]
                out["metered"] = {kind: await meters.usage(session, tid, kind) for kind in kinds}
        return out

    emit(run(go))
