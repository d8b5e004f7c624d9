"""Tidings' ASGI app in the test process, on a test server's database and
master key but with settings of its own: for API behaviour the wire adds
nothing to (what a setting changes in validation, an error's shape), where
starting another server process per backend costs seconds and proves no more.

    async with app_client(server, tenant, allow_private_callbacks=False) as c:
        r = await c.post("/v1/aim/callbacks", json={...})

httpx's ASGI transport drives the app: no lifespan, so no background services
(the server under test runs those).  Requests are signed like the SDK's, as
with ``server.http``.  Every KooMessage operation still has
its tests through the official SDK over real HTTP (tests/api/test_contract.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.support.harness import Server, TenantCreds
from tests.support.signer import SdkSigned


@contextlib.asynccontextmanager
async def app_client(server: Server, creds: TenantCreds | None = None, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    from tidings.app import create_app
    from tidings.config import Settings

    app = create_app(Settings(data_dir=server.data_dir, database_url=server.db_url, **settings), run_workers=False)
    auth = SdkSigned(creds.access_key, creds.secret_key) if creds is not None else None
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tidings.test", auth=auth) as client:
            yield client
    finally:
        await app.state.ctx.db.dispose()
