"""``tidings sms ...``: operator actions on SMS configuration: suspend and
resume applications, and the channel-number pool (numbers are handed out when
a signature's review passes).  The same actions as ``/admin/v1/sms/...``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tidings.cli.common import actor, emit, fail, run

if TYPE_CHECKING:
    from tidings.context import AppContext

app = typer.Typer(no_args_is_help=True)
apps_app = typer.Typer(no_args_is_help=True, help="SMS applications of every tenant.")
pool_app = typer.Typer(no_args_is_help=True, help="SMS channel-number pool (assigned to approved signatures).")
app.add_typer(apps_app, name="apps")
app.add_typer(pool_app, name="pool")


def _set_suspended(app_id: str, suspended: bool, reason: str) -> dict:
    from tidings.sms import lifecycle, views

    async def go(ctx: AppContext) -> dict:
        async with ctx.db.write() as session:
            return views.app_admin_view(await lifecycle.set_app_suspended(session, app_id, suspended, actor(), reason))

    return run(go)


@apps_app.command("suspend")
def apps_suspend(app_id: str, reason: str = typer.Option("", help="Shown to the tenant and kept in the audit trail")) -> None:
    """Suspend an application: its requests and sends are refused until resumed."""
    emit(_set_suspended(app_id, True, reason))


@apps_app.command("resume")
def apps_resume(app_id: str) -> None:
    """Resume a suspended application."""
    emit(_set_suspended(app_id, False, ""))


@pool_app.command("list")
def pool_list() -> None:
    """Configured ranges with assigned and free counts."""
    from tidings.sms import pool

    async def go(ctx: AppContext) -> list:
        async with ctx.db.read() as session:
            return await pool.pool_summary(session)

    emit(run(go))


@pool_app.command("add")
def pool_add(
    first: str = typer.Option(None, help="First number of the range"),
    last: str = typer.Option(None, help="Last number (same number of digits)"),
    prefix: str = typer.Option(None, help="Or: every number with this prefix ..."),
    suffix_digits: int = typer.Option(None, help="... followed by this many digits"),
    note: str = typer.Option(""),
) -> None:
    """Add numbers; signatures waiting for one (PROCESSING) get theirs at once."""
    from tidings.errors import KooError
    from tidings.sms import pool

    if prefix is not None:
        if not suffix_digits:
            fail("--suffix-digits is required with --prefix")
        first, last = prefix + "0" * suffix_digits, prefix + "9" * suffix_digits
    if not first or not last:
        fail("give --first and --last, or --prefix and --suffix-digits")

    async def go(ctx: AppContext) -> dict:
        async with ctx.db.write() as session:
            try:
                rng = await pool.add_range(session, first, last, actor(), note)
            except pool.PoolError as exc:
                raise KooError("KM.00000001", f"Invalid parameter range: {exc}") from None
            return {"range_id": rng.id, "first": rng.first, "last": rng.last, "note": rng.note}

    emit(run(go))
