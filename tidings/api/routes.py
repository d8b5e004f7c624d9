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
    # Web pages
    home.router,
    phone.router,
]
