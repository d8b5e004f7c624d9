"""SMS applications (``/v1/sms/apps``), plus the list helpers the other SMS
configuration routers share (paging, time filters, URL checks).

Creating an application needs the tenant's approved smart-message send-task
filing (concepts.md §1).  An application is ``LAUNCHED`` (usable) as soon as it
is created: Tidings has no provisioning step, so ``CREATED`` is never entered;
``SUSPENDED`` is set and lifted by an operator (``/admin/v1/sms/apps/...``).
Application names are unique per tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.api.paging import MAX_OFFSET
from tidings.callbacks import urls
from tidings.errors import KooError, invalid
from tidings.filing import require_filing
from tidings.sms import codes, queries, views
from tidings.store.models.sms import APP_LAUNCHED, SmsApp
from tidings.store.tenants import audit
from tidings.timeutil import parse_wire

router = APIRouter(tags=["sms: applications"])

MAX_LIMIT = 100


# --- helpers shared by the SMS configuration routers ------------------------------
def paging(offset: int | str | None, limit: int | str | None, *, default_offset: int = 0, default_limit: int = 10) -> tuple[int, int]:
    """Parse ``offset``/``limit`` (the SDK types some as strings) and enforce the bounds."""

    def as_int(name: str, value: int | str | None, default: int) -> int:
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise invalid(name, "must be an integer") from None

    off, lim = as_int("offset", offset, default_offset), as_int("limit", limit, default_limit)
    if not 0 <= off <= MAX_OFFSET:
        raise invalid("offset", f"must be between 0 and {MAX_OFFSET}")
    if not 1 <= lim <= MAX_LIMIT:
        raise invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    return off, lim


def time_window(begin: str | None, end: str | None, begin_name: str, end_name: str) -> tuple[datetime, datetime] | None:
    """Creation-time filter; it applies only when both ends are given (concepts.md §9)."""
    try:
        start = parse_wire(begin)
    except ValueError:
        raise invalid(begin_name, "must be a time like 2019-10-12T07:20:50Z") from None
    try:
        stop = parse_wire(end)
    except ValueError:
        raise invalid(end_name, "must be a time like 2019-10-12T07:20:50Z") from None
    if start is None or stop is None:
        return None
    if start > stop:
        raise invalid(begin_name, f"must not be after {end_name}")
    return start, stop


def check_http_url(field: str, url: str, allow_private: bool) -> None:
    """The callback outbox's URL rules (tidings.callbacks.urls), without a DNS
    look-up: a name is checked again on every connection when delivering, so
    an application can be set up before its host name resolves."""
    try:
        host, _port = urls.check_syntax(url, max_length=255)
    except urls.CallbackUrlError as exc:
        raise invalid(field, str(exc)) from None
    if allow_private:
        return
    ip = urls.literal_ip(host)
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and not urls.is_public(ip)):
        raise invalid(field, f"must not point to a private or loopback address ({urls.ALLOW_PRIVATE_HINT})")


# --- applications ---------------------------------------------------------------------
class MsgAppRequest(BaseModel):
    app_name: str = Field(min_length=1, max_length=30)
    up_link_addr: str | None = Field(default=None, max_length=255)


def _clean(request: Request, body: MsgAppRequest) -> tuple[str, str | None]:
    name = body.app_name.strip()
    if not name:
        raise invalid("app_name", "must not be blank")
    uplink = body.up_link_addr.strip() if body.up_link_addr else body.up_link_addr
    if uplink:
        check_http_url("up_link_addr", uplink, ctx_of(request).settings.allow_private_callbacks)
    return name, uplink


@router.post("/v1/sms/apps")
async def create_sms_app(body: MsgAppRequest, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    name, uplink = _clean(request, body)
    async with ctx_of(request).db.write() as session:
        await require_filing(session, principal.tenant_id, "aim.send_task")
        if await queries.app_name_taken(session, principal.tenant_id, name):
            raise KooError(codes.APP_NAME_TAKEN, f"Invalid parameter app_name: an SMS application named {name!r} already exists")
        app = SmsApp(tenant_id=principal.tenant_id, name=name, up_link_addr=uplink or None, status=APP_LAUNCHED)
        session.add(app)
        await session.flush()
        await audit(session, actor=principal.actor, action="sms_app.create", object_type="sms_app", object_id=app.id,
                    tenant_id=principal.tenant_id, detail={"app_name": name, "up_link_addr": app.up_link_addr})
        return {"app_name": app.name, "app_id": app.id}


@router.get("/v1/sms/apps")
async def list_aim_msg_app(
    request: Request,
    offset: str | None = Query(default=None),
    limit: str | None = Query(default=None),
    app_name: str | None = Query(default=None, min_length=1, max_length=30),
    status: Literal["CREATED", "SUSPENDED", "LAUNCHED"] | None = Query(default=None),
    begin_time: str | None = Query(default=None),
    end_time: str | None = Query(default=None),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    off, lim = paging(offset, limit)
    window = time_window(begin_time, end_time, "begin_time", "end_time")
    async with ctx_of(request).db.read() as session:
        apps, total = await queries.list_apps(session, principal.tenant_id, name=app_name, status=status, window=window, offset=off, limit=lim)
    return {"result": [views.app_view(a) for a in apps], "page_info": {"offset": off, "limit": lim, "total": total}}


@router.get("/v1/sms/apps/{app_id}")
async def list_aim_msg_app_detail(app_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        return views.app_view(await queries.get_app(session, principal.tenant_id, app_id))


@router.put("/v1/sms/apps/{app_id}")
async def update_aim_msg_app(app_id: str, body: MsgAppRequest, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    name, uplink = _clean(request, body)
    async with ctx_of(request).db.write() as session:
        app = await queries.get_app(session, principal.tenant_id, app_id)
        queries.require_active(app)
        if name != app.name and await queries.app_name_taken(session, principal.tenant_id, name, except_id=app.id):
            raise KooError(codes.APP_NAME_TAKEN, f"Invalid parameter app_name: an SMS application named {name!r} already exists")
        before = {"app_name": app.name, "up_link_addr": app.up_link_addr}
        app.name = name
        if body.up_link_addr is not None:  # omitted keeps the URL, "" clears it
            app.up_link_addr = uplink or None
        after = {"app_name": app.name, "up_link_addr": app.up_link_addr}
        await audit(session, actor=principal.actor, action="sms_app.update", object_type="sms_app", object_id=app.id,
                    tenant_id=principal.tenant_id, detail={k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]})
        return {"app_name": app.name, "app_id": app.id}
