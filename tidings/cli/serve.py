"""Starting the server (``serve``, ``api``), the workers (``worker``) and
``migrate``: logging, the listening socket, the schema, the first start.

The port is bound before anything else happens, so a busy port is one line
naming it instead of a banner full of credentials followed by a traceback."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket

import typer

from tidings.cli.common import fail
from tidings.config import Settings


def migrate_schema(settings: Settings) -> None:
    from tidings.store.migrate import upgrade

    settings.ensure_dirs()
    upgrade(settings.db_url)


def first_start(settings: Settings, *, announce: bool) -> tuple[dict, bool]:
    """Create the operator and the demo tenant if this data dir has none yet;
    print their secrets when they were created just now.  ``announce`` prints
    the whole "is running" banner (``serve``) instead of the keys alone."""
    from tidings.bootstrap import banner, credentials, ensure_first_start
    from tidings.installed import build_context

    ctx = build_context(settings)

    async def go() -> tuple[dict, bool]:
        # Dispose in the loop that opened the connections: closing them from
        # another loop logs an error per connection (asyncpg).
        try:
            return await ensure_first_start(ctx, demo=settings.bootstrap_demo)
        finally:
            await ctx.db.dispose()

    info, created = asyncio.run(go())
    if announce:
        typer.echo(banner(ctx, info, created))
    elif created:
        typer.echo(credentials(ctx, info))
    return info, created


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket, or one ``error:`` line and exit status 1."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}: {exc.strerror} (set TIDINGS_HOST or --host)")
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use (another Tidings?): stop it, or pick a free port with TIDINGS_PORT=... or --port")
        fail(f"cannot listen on {host}:{port}: {exc.strerror} (set TIDINGS_HOST / TIDINGS_PORT)")
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, *, run_workers: bool, bootstrap: bool, host: str | None, port: int | None) -> None:
    """``serve`` (bootstrap: the first start's accounts and the banner) and ``api``."""
    import uvicorn

    from tidings.api.http_protocol import KooHttpProtocol
    from tidings.app import create_app
    from tidings.installed import build_context
    from tidings.logs import configure

    if host:
        settings.host = host
    if port:
        settings.port = port
    configure(settings.log_level)
    sock = listen(settings.host, settings.port)
    migrate_schema(settings)
    if bootstrap:
        first_start(settings, announce=True)
    else:
        typer.echo(f"Tidings API listening on {settings.base_url} (reference: {settings.base_url}/docs)")
    ctx = build_context(settings)  # a fresh engine for uvicorn's event loop
    application = create_app(settings, ctx=ctx, run_workers=run_workers)
    config = uvicorn.Config(application, host=settings.host, port=settings.port, log_level=settings.log_level,
                            access_log=False, log_config=None, http=KooHttpProtocol)
    uvicorn.Server(config).run(sockets=[sock])


def worker(settings: Settings) -> None:
    from tidings.channels.setup import build_registry
    from tidings.installed import build_context
    from tidings.logs import configure
    from tidings.runtime import ServiceRunner, build_services

    configure(settings.log_level)
    migrate_schema(settings)  # like `api`: a worker started first must not crash on a missing table

    async def _go() -> None:
        ctx = build_context(settings)
        await build_registry(ctx)
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
