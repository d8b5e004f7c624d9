"""Starting the server (``serve``, ``api``), the workers (``worker``) and
``migrate``: logging, the listening socket, the schema, the first start.

The port is bound before anything else happens, so a busy port is one line
naming it instead of a banner full of credentials followed by a traceback."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import time

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


# A port still held for a moment by a server that was just killed (its API
# child closes the socket as it dies) is tried again this long.
BUSY_PORT_PATIENCE = 2.0


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket, or one ``error:`` line and exit status 1."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}: {exc.strerror} (set TIDINGS_HOST or --host)")
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + BUSY_PORT_PATIENCE
    while True:
        try:
            sock.bind(address)
            break
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use (another Tidings?): stop it, or pick a free port with TIDINGS_PORT=... or --port")
            fail(f"cannot listen on {host}:{port}: {exc.strerror} (set TIDINGS_HOST / TIDINGS_PORT)")
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, *, run_workers: bool, bootstrap: bool, host: str | None, port: int | None,
          fd: int | None = None) -> None:
    """``serve`` (bootstrap: the first start's accounts and the banner) and
    ``api``.  ``serve`` with ``processes`` > 1 runs the API and the workers
    as children of a supervisor (tidings/supervisor.py); ``fd`` is the
    socket such an API child inherits (the supervisor has migrated)."""
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
    if fd is not None:
        sock = socket.socket(fileno=fd)
    else:
        sock = listen(settings.host, settings.port)
        migrate_schema(settings)
    if bootstrap:
        first_start(settings, announce=True)
        processes = settings.process_count() if run_workers else 1
        if processes > 1:
            from tidings.supervisor import supervise

            raise typer.Exit(supervise(sock, processes, settings.host, settings.port))
    elif fd is None:
        typer.echo(f"Tidings API listening on {settings.base_url} (reference: {settings.base_url}/docs)")
    ctx = build_context(settings)  # a fresh engine for uvicorn's event loop
    application = create_app(settings, ctx=ctx, run_workers=run_workers)
    config = uvicorn.Config(application, host=settings.host, port=settings.port, log_level=settings.log_level,
                            access_log=False, log_config=None, http=KooHttpProtocol)
    uvicorn.Server(config).run(sockets=[sock])


def worker(settings: Settings, *, carriers: bool = True, supervised: bool = False) -> None:
    """``worker``: the background services.  ``carriers=False`` leaves the
    operator's channels (SMPP) to another worker, so their binds are not
    multiplied; ``supervised``: a child of ``serve``, which has migrated."""
    from tidings.channels.setup import build_registry
    from tidings.installed import build_context
    from tidings.logs import configure
    from tidings.runtime import ServiceRunner, build_services

    configure(settings.log_level)
    if not supervised:
        migrate_schema(settings)  # like `api`: a worker started first must not crash on a missing table

    async def _go() -> None:
        ctx = build_context(settings)
        await build_registry(ctx)
        runner = ServiceRunner(ctx, build_services(ctx, carriers=carriers))
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
