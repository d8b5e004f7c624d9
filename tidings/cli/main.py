"""Top-level commands: serve, api, worker, migrate, and the account commands.
Product command groups (review, filing, messages, smpp ...) are added below."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from tidings import accounts
from tidings.cli.common import emit, fail, run
from tidings.config import Settings

app = typer.Typer(help="Tidings: self-hosted smart messaging that speaks the KooMessage API.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (KooMessage accounts).", no_args_is_help=True)
user_app = typer.Typer(help="Users of a tenant.", no_args_is_help=True)
key_app = typer.Typer(help="Access keys (AK/SK).", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")


def _product_groups() -> None:
    from tidings.cli import channels, filing, messages, review, sandbox, sms

    app.add_typer(review.app, name="review", help="Review queue: signatures, templates, filings (operators).")
    app.add_typer(sms.app, name="sms", help="SMS applications and the channel-number pool (operators).")
    app.add_typer(filing.app, name="filing", help="Enterprise filing per product area.")
    app.add_typer(messages.app, name="messages", help="The message log: find messages, parts, reports, callbacks.")
    app.add_typer(sandbox.app, name="sandbox", help="The sandbox carrier: virtual handsets, uplink replies.")
    app.add_typer(channels.app, name="channels", help="Channels and routes (SMPP carriers).")


_product_groups()


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin at INFO; its news is only worth a warning.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def _migrate(settings: Settings) -> None:
    from tidings.store.migrate import upgrade

    settings.ensure_dirs()
    upgrade(settings.db_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = Settings()
    _migrate(settings)
    typer.echo(f"database at {settings.db_url.split('@')[-1]} is up to date")


def _serve(settings: Settings, run_workers: bool, host: str | None, port: int | None) -> None:
    import uvicorn

    from tidings.app import create_app
    from tidings.bootstrap import banner, ensure_demo
    from tidings.context import AppContext

    if host:
        settings.host = host
    if port:
        settings.port = port
    _logging(settings.log_level)
    _migrate(settings)
    if settings.bootstrap_demo:
        demo_ctx = AppContext.build(settings)

        async def demo() -> dict:
            # Dispose in the loop that opened the connections: closing them from
            # another loop logs an error per connection (asyncpg).
            try:
                return await ensure_demo(demo_ctx)
            finally:
                await demo_ctx.db.dispose()

        typer.echo(banner(demo_ctx, asyncio.run(demo())))
    ctx = AppContext.build(settings)  # fresh engine for uvicorn's event loop
    application = create_app(settings, ctx=ctx, run_workers=run_workers)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False)


@app.command()
def serve(host: str = typer.Option(None, help="Bind address"), port: int = typer.Option(None, help="Port")) -> None:
    """Run everything in one process: API, workers, sandbox carrier."""
    _serve(Settings(), True, host, port)


@app.command()
def api(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """Run only the HTTP API (workers run as `tidings worker`)."""
    settings = Settings()
    settings.bootstrap_demo = False
    _serve(settings, False, host, port)


@app.command()
def worker() -> None:
    """Run only the background services (dispatch, callbacks, channels)."""
    from tidings.context import AppContext
    from tidings.runtime import ServiceRunner, build_services

    settings = Settings()
    _logging(settings.log_level)

    async def _go() -> None:
        ctx = AppContext.build(settings)
        runner = ServiceRunner(ctx, build_services(ctx))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop.set)
        await runner.start()
        await runner.stop.wait()
        await runner.shutdown()
        await ctx.db.dispose()

    # The same event loop uvicorn gives `serve` and `api`: uvloop where installed.
    try:
        import uvloop
    except ImportError:
        asyncio.run(_go())
    else:
        uvloop.run(_go())


@tenant_app.command("create")
def tenant_create(
    name: str,
    admin_user: str = typer.Option("admin", help="Name of the tenant's first user (role te_admin)"),
    password: str = typer.Option(None, help="Password for IAM token login"),
    auto_approve: bool = typer.Option(False, help="Approve this tenant's reviews automatically (demo only)"),
) -> None:
    """Create a tenant with an admin user and an access key (the secret is shown once)."""
    try:
        created = run(lambda ctx: accounts.create_tenant(ctx, name, admin_name=admin_user, password=password, settings={"auto_approve": auto_approve} if auto_approve else {}))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit(created.as_dict())


@tenant_app.command("list")
def tenant_list() -> None:
    emit(run(accounts.list_tenants))


@user_app.command("create")
def user_create(
    tenant: str,
    name: str,
    role: str = typer.Option("member", help="te_admin, member, or operator (platform account only)"),
    password: str = typer.Option(None),
) -> None:
    """Add a user with an access key (the secret is shown once)."""
    if role == "operator":
        tenant = accounts.PLATFORM_TENANT
    try:
        created = run(lambda ctx: accounts.add_user(ctx, tenant, name, role, password))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit(created.as_dict())


@key_app.command("create")
def key_create(tenant: str, user: str = typer.Option("admin"), description: str = typer.Option("")) -> None:
    """Create another access key for a user (the secret is shown once)."""
    try:
        ak, sk = run(lambda ctx: accounts.add_key(ctx, tenant, user, description))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit({"access_key": ak, "secret_key": sk})


@key_app.command("list")
def key_list(tenant: str) -> None:
    emit(run(lambda ctx: accounts.list_keys(ctx, tenant)))


@key_app.command("revoke")
def key_revoke(access_key: str) -> None:
    if not run(lambda ctx: accounts.revoke_key(ctx, access_key)):
        fail(f"no active key {access_key}")
    emit({"revoked": access_key})
