"""Every router the application mounts.  A product adds its module here."""

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
from tidings.sms.api import admin as sms_admin
from tidings.sms.api import apps as sms_apps
from tidings.sms.api import send as sms_send
from tidings.sms.api import signatures as sms_signatures
from tidings.sms.api import templates as sms_templates
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
    callbacks.router,
    aim_api.router,
    # Tidings' own tenant APIs (/tidings/v1/...)
    filings.router,
    messages.router,
    # Operators (/admin/v1/...)
    admin_accounts.router,
    admin_review.router,
    sms_admin.router,
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
