"""Top-level commands: serve, api, worker, migrate, and the account commands.
Product command groups (review, filing, messages, smpp ...) are added below.

Every import beyond Typer happens inside a command: ``tidings --help`` must
answer at once (bench/cli.py measures it)."""

from __future__ import annotations

import typer

from tidings.cli.common import emit, fail, run, tenant_option

app = typer.Typer(help="Tidings: self-hosted smart messaging that speaks the KooMessage API.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
tenant_app = typer.Typer(help="Tenants (KooMessage accounts).", no_args_is_help=True)
user_app = typer.Typer(help="Users of a tenant.", no_args_is_help=True)
key_app = typer.Typer(help="Access keys (AK/SK).", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")


def _command_groups() -> None:
    """The core groups, then one per installed product (tidings.installed)."""
    from tidings.cli import channels, filing, messages, review, sandbox
    from tidings.installed import PRODUCTS

    app.add_typer(review.app, name="review", help="Review queue: signatures, templates, filings (operators).")
    app.add_typer(filing.app, name="filing", help="Enterprise filing per product area.")
    app.add_typer(messages.app, name="messages", help="The message log: find messages, parts, reports, callbacks.")
    app.add_typer(sandbox.app, name="sandbox", help="The sandbox carrier: virtual handsets, uplink replies.")
    app.add_typer(channels.app, name="channels", help="Channels and routes (SMPP carriers).")
    for entry in PRODUCTS:
        if entry.cli is not None:
            app.add_typer(entry.cli.app, name=entry.cli.name, help=entry.cli.help)


_command_groups()


@app.command()
def migrate() -> None:
    """Create or upgrade the schema; the first time, also the operator and demo tenant.

    On an empty data dir this creates the operator and (unless
    TIDINGS_BOOTSTRAP_DEMO=false) the demo tenant, and prints their keys once.
    """
    from tidings.cli.serve import first_start, migrate_schema
    from tidings.config import Settings

    settings = Settings()
    migrate_schema(settings)
    typer.echo(f"database at {settings.db_url.split('@')[-1]} is up to date")
    first_start(settings, announce=False)


@app.command()
def serve(host: str = typer.Option(None, help="Bind address (TIDINGS_HOST)"),
          port: int = typer.Option(None, help="Port (TIDINGS_PORT)")) -> None:
    """Run everything: API, workers, sandbox carrier (in TIDINGS_PROCESSES processes)."""
    from tidings.cli.serve import serve as run_serve
    from tidings.config import Settings

    run_serve(Settings(), run_workers=True, bootstrap=True, host=host, port=port)


@app.command()
def api(host: str = typer.Option(None, help="Bind address (TIDINGS_HOST)"),
        port: int = typer.Option(None, help="Port (TIDINGS_PORT)"),
        supervised: bool = typer.Option(False, "--supervised", hidden=True),
        fd: int = typer.Option(None, "--fd", hidden=True)) -> None:
    """Run only the HTTP API (workers run as `tidings worker`)."""
    from tidings.cli.serve import serve as run_serve
    from tidings.config import Settings

    run_serve(Settings(), run_workers=False, bootstrap=False, host=host, port=port, fd=fd if supervised else None)


@app.command()
def worker(carriers: bool = typer.Option(True, "--carriers/--no-carriers",
                                         help="Run the operator's channels (SMPP). Give one worker --carriers: each binds a channel's binds"),
           supervised: bool = typer.Option(False, "--supervised", hidden=True)) -> None:
    """Run only the background services (dispatch, callbacks, channels)."""
    from tidings.cli.serve import worker as run_worker
    from tidings.config import Settings

    run_worker(Settings(), carriers=carriers, supervised=supervised)


@tenant_app.command("create")
def tenant_create(
    name: str,
    admin_user: str = typer.Option("admin", help="Name of the tenant's first user (role te_admin)"),
    password: str = typer.Option(None, help="Password for IAM token login"),
    auto_approve: bool = typer.Option(False, help="Approve this tenant's reviews automatically (demo only)"),
) -> None:
    """Create a tenant with an admin user and an access key (the secret is shown once)."""
    from tidings import accounts

    try:
        initial = {"auto_approve": auto_approve} if auto_approve else {}
        created = run(lambda ctx: accounts.create_tenant(ctx, name, admin_name=admin_user, password=password, settings=initial))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit(created.as_dict())


@tenant_app.command("list")
def tenant_list() -> None:
    from tidings import accounts

    emit(run(accounts.list_tenants))


@user_app.command("create")
def user_create(
    name: str,
    tenant: str = tenant_option(required=False, help="The tenant, by name (not needed for --role operator)"),
    role: str = typer.Option("member", help="te_admin, member, or operator (platform account only)"),
    password: str = typer.Option(None),
) -> None:
    """Add a user with an access key (the secret is shown once)."""
    from tidings import accounts

    if role == "operator":
        tenant = accounts.PLATFORM_TENANT
    elif not tenant:
        fail("--tenant is required (except for --role operator)")
    try:
        created = run(lambda ctx: accounts.add_user(ctx, tenant, name, role, password))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit(created.as_dict())


@key_app.command("create")
def key_create(tenant: str = tenant_option(), user: str = typer.Option("admin"), description: str = typer.Option("")) -> None:
    """Create another access key for a user (the secret is shown once)."""
    from tidings import accounts

    try:
        ak, sk = run(lambda ctx: accounts.add_key(ctx, tenant, user, description))
    except accounts.AccountError as exc:
        fail(str(exc))
    emit({"access_key": ak, "secret_key": sk})


@key_app.command("list")
def key_list(tenant: str = tenant_option()) -> None:
    """A tenant's access keys (secrets are never shown again)."""
    from tidings import accounts

    emit(run(lambda ctx: accounts.list_keys(ctx, tenant)))


@key_app.command("revoke")
def key_revoke(access_key: str) -> None:
    from tidings import accounts

    if not run(lambda ctx: accounts.revoke_key(ctx, access_key)):
        fail(f"no active key {access_key}")
    emit({"revoked": access_key})
