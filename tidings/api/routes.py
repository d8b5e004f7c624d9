"""Every router the application mounts.  A product adds its module here."""

from __future__ import annotations

from tidings.api import admin_accounts, iam

ROUTERS = [
    iam.router,
    admin_accounts.router,
]
