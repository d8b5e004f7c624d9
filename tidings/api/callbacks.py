"""``/v1/aim/callbacks`` (add_call_back, list_aim_callbacks) and Tidings' own
callback administration under ``/tidings/v1/callbacks``.

Decisions (docs/callbacks.md): registering a url_type again replaces its URL
and gives the registration a new id; pending events follow it to the new URL.
Registering needs the ``te_admin`` role (as upstream); listing any user of the
tenant.  The signing secret is shown and rotated by ``te_admin`` only.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tidings.api.deps import Principal, ctx_of, require_tenant_admin, tenant_principal
from tidings.api.paging import limit_query, offset_query
from tidings.callbacks import log as callback_log
from tidings.callbacks import registrations
from tidings.callbacks.urls import CallbackUrlError, check_url
from tidings.errors import invalid
from tidings.store import tenants
from tidings.timeutil import wire_z

router = APIRouter()


class AddCallbackBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    callback_url: str = Field(min_length=1, max_length=1000)
    url_type: Literal[0, 1, 2] = 0

    @field_validator("url_type", mode="before")
    @classmethod
    def _url_type(cls, value: Any) -> Any:
        # Accept "2" as well as 2 (upstream examples are inconsistent about numbers).
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, bool):  # true is not 1 here
            return str(value).lower()
        return 0 if value is None else value


def _callback(reg: registrations.Registration) -> dict:
    return {"callback_url": reg.url, "id": reg.id, "url_type": reg.url_type}


@router.post("/v1/aim/callbacks", tags=["AIM callbacks"], operation_id="add_call_back")
async def add_call_back(body: AddCallbackBody, request: Request, principal: Principal = Depends(require_tenant_admin)) -> dict:
    ctx = ctx_of(request)
    try:
        await check_url(body.callback_url, allow_private=ctx.settings.allow_private_callbacks)
    except CallbackUrlError as exc:
        raise invalid("callback_url", str(exc)) from None
    async with ctx.db.write() as session:
        reg, previous = await registrations.register(session, principal.tenant_id, body.url_type, body.callback_url)
        await tenants.audit(
            session,
            actor=principal.actor,
            action="callback.register",
            object_type="aim_callback",
            object_id=reg.id,
            tenant_id=principal.tenant_id,
            detail={"url_type": reg.url_type, "url": reg.url, "replaced": previous},
        )
    return {"status": "200", "message": "success", "data": _callback(reg)}


@router.get("/v1/aim/callbacks", tags=["AIM callbacks"], operation_id="list_aim_callbacks")
async def list_aim_callbacks(request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        regs = await registrations.list_registrations(session, principal.tenant_id)
    return {"status": "200", "message": "success", "data": [_callback(r) for r in regs]}


# --- Tidings' own: the signing secret and the delivery log ------------------------------


def _secret_view(secret: str) -> dict:
    return {"secret": secret, "algorithm": "HMAC-SHA256", "header": "X-Tidings-Signature", "event_id_header": "X-Tidings-Event-Id"}


@router.get("/tidings/v1/callbacks/secret", tags=["Tidings callbacks"])
async def show_secret(request: Request, principal: Principal = Depends(require_tenant_admin)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        secret = await registrations.secret(session, ctx.box, principal.tenant_id)
    return _secret_view(secret)


@router.put("/tidings/v1/callbacks/secret", tags=["Tidings callbacks"])
async def rotate_secret(request: Request, principal: Principal = Depends(require_tenant_admin)) -> dict:
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        secret = await registrations.rotate_secret(session, ctx.box, principal.tenant_id)
        await tenants.audit(
            session, actor=principal.actor, action="callback.secret.rotate", object_type="tenant", object_id=principal.tenant_id, tenant_id=principal.tenant_id
        )
    return _secret_view(secret)


AttemptOutcome = Literal["delivered", "retrying", "failed"]


@router.get("/tidings/v1/callbacks/deliveries", tags=["Tidings callbacks"])
async def list_deliveries(
    request: Request,
    status: AttemptOutcome | None = Query(None, description="delivered | retrying | failed (given up)"),
    request_id: str | None = Query(None, max_length=36),
    limit: int = limit_query(50, 500),
    offset: int = offset_query(),
    principal: Principal = Depends(tenant_principal),
) -> dict:
    """Recent delivery attempts (one per HTTP request made), newest first, and
    the tenant's backlog: events waiting and events given up."""
    async with ctx_of(request).db.read() as session:
        rows = await callback_log.recent_attempts(session, principal.tenant_id, outcome=status, request_id=request_id, offset=offset, limit=limit)
        waiting = await callback_log.backlog(session, principal.tenant_id)
    return {
        "deliveries": [
            {
                "request_id": a.request_id,
                "kind": a.kind,
                "url": a.url,
                "attempt": a.attempt,
                "events": a.events,
                "status": a.outcome,
                "http_status": a.http_status,
                "error": a.error,
                "started_at": wire_z(a.started_at),
                "duration_ms": a.duration_ms,
            }
            for a in rows
        ],
        "pending": waiting["pending"],
        "failed": waiting["failed"],
        "limit": limit,
        "offset": offset,
    }
