"""How SMS objects look on the wire and to operators: one view each, shared by
the routers and the CLI."""

from __future__ import annotations

from tidings.store.models.sms import SmsApp
from tidings.timeutil import wire_local


def app_view(app: SmsApp) -> dict:
    return {
        "app_id": app.id,
        "app_name": app.name,
        "status": app.status,
        "region": app.region,
        "create_time": wire_local(app.created_at),
        "up_link_addr": app.up_link_addr,
    }


def app_admin_view(app: SmsApp) -> dict:
    """The operator's view: the tenant's, plus whose it is and why it is suspended."""
    return {**app_view(app), "tenant_id": app.tenant_id, "suspend_reason": app.suspend_reason}
