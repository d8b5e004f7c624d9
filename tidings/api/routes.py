"""The core routers: what every installation mounts whatever its products
(the products' own routers come from tidings.installed)."""

from __future__ import annotations

from tidings.api import (
    admin_accounts,
    admin_channels,
    admin_review,
    callbacks,
    filings,
    iam,
    messages,
)
from tidings.web import home, phone

ROUTERS = [
    iam.router,
    # KooMessage namespace (/v1/...)
    callbacks.router,
    # Tidings' own tenant APIs (/tidings/v1/...)
    filings.router,
    messages.router,
    # Operators (/admin/v1/...)
    admin_accounts.router,
    admin_review.router,
    admin_channels.router,
    # Web pages
    home.router,
    phone.router,
]
