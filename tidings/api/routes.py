"""Every router the application mounts.  A product adds its module here."""

from __future__ import annotations

from tidings.api import (
    admin_accounts,
    admin_channels,
    admin_review,
    admin_sms,
    aim_callbacks,
    filings,
    iam,
    messages,
    sms_apps,
    sms_send,
    sms_signatures,
    sms_templates,
)
from tidings.aim import api as aim_api
from tidings.aim import preview as aim_preview
from tidings.aim.public import admin as aim_public
from tidings.aim.public import api as aim_public_api
from tidings.web import home, phone

ROUTERS = [
    iam.router,
    # KooMessage namespace (/v1/...)
    sms_apps.router,
    sms_signatures.router,
    sms_templates.router,
    sms_send.router,
    aim_callbacks.router,
    aim_api.router,
    # Tidings' own tenant APIs (/tidings/v1/...)
    filings.router,
    messages.router,
    # Operators (/admin/v1/...)
    admin_accounts.router,
    admin_review.router,
    admin_sms.router,
    admin_channels.router,
    aim_public_api.router,
    # Web pages
    home.router,
    phone.router,
    aim_preview.router,
]

# Run once at start-up, before the first request: (ctx) -> awaitable.
ON_START = [
    aim_public.install_library,  # the shipped public templates (docs/smart-messages.md)
]
