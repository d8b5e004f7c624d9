"""An AppContext on a fresh, migrated database (SQLite file or a PostgreSQL
database of its own) for tests that drive the outbox and the delivery
service in-process.  Callers check PostgreSQL is reachable first
(``tests.conftest.require_pg``, outside the event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from tidings.config import Settings
from tidings.context import AppContext
from tidings.installed import build_context
from tidings.store import tenants
from tidings.store.migrate import upgrade


@contextlib.asynccontextmanager
async def migrated_ctx(backend: str, **settings) -> AsyncIterator[AppContext]:
    from tests.support.harness import create_pg_database, drop_pg_database

    data_dir = Path(tempfile.mkdtemp(prefix=f"tidings-cb-{backend}-"))
    if backend == "postgresql":
        url = await asyncio.to_thread(create_pg_database)
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'cb.db'}"
    await asyncio.to_thread(upgrade, url)
    ctx = build_context(Settings(data_dir=data_dir, database_url=url, **settings))
    try:
        yield ctx
    finally:
        await ctx.db.dispose()
        if backend == "postgresql":
            await asyncio.to_thread(drop_pg_database, url)


async def new_tenant(ctx: AppContext, name: str) -> str:
    async with ctx.db.write() as session:
        return (await tenants.create_tenant(session, name)).id
