"""The message log (Tidings' own API; KooMessage has no query for plain SMS).

``GET /tidings/v1/messages``: a tenant's messages, newest first, filtered by
``number`` (any spelling the send API accepts), ``task_id``, ``status``
(queued, submitting, submitted, delivered, failed, expired, unknown, rejected)
and creation time (``since`` inclusive, ``until`` exclusive; ISO 8601, UTC
when no zone), paginated with ``offset`` (>= 0) and ``limit`` (1-100, default
20); ``page_info.total`` counts every match.

``GET /tidings/v1/messages/{msg_id}``: one message with its text, parts,
attempts, submit and report times, per-part reports and the callback
deliveries that carried its receipts (each with every attempt).

Authenticated like every tenant API (AK/SK or token); another tenant's message
is answered exactly like a missing one.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request

from tidings import message_log
from tidings.api.deps import Principal, ctx_of, tenant_principal
from tidings.api.paging import limit_query, offset_query
from tidings.domain.numbers import NumberError, normalize
from tidings.errors import invalid, not_found
from tidings.store import messages as store
from tidings.store.models.pipeline import STATUSES
from tidings.timeutil import parse_wire

router = APIRouter()

MESSAGE_NOT_FOUND = "TD.00000404"


def _time(field: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_wire(value)
    except ValueError:
        raise invalid(field, "must be an ISO 8601 time such as 2026-01-31T08:00:00Z") from None


@router.get("/tidings/v1/messages")
async def list_messages(
    request: Request,
    principal: Principal = Depends(tenant_principal),
    number: str | None = Query(None, max_length=21),
    task_id: str | None = Query(None, max_length=50),
    status: str | None = Query(None),
    since: str | None = Query(None),
    until: str | None = Query(None),
    offset: int = offset_query(),
    limit: int = limit_query(20, 100),
) -> dict:
    f = store.LogFilter(task_id=task_id, since=_time("since", since), until=_time("until", until))
    if number is not None:
        try:
            f.number = normalize(number, international=True)
        except NumberError as exc:
            raise invalid("number", str(exc)) from None
    if status is not None:
        if status not in STATUSES:
            raise invalid("status", f"must be one of {', '.join(STATUSES)}")
        f.status = status
    async with ctx_of(request).db.read() as session:
        rows, total = await store.list_messages(session, principal.tenant_id, f, offset, limit)
    return {"messages": [message_log.summary(m) for m in rows], "page_info": {"offset": offset, "limit": limit, "total": total}}


@router.get("/tidings/v1/messages/{msg_id}")
async def show_message(msg_id: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        found = await message_log.details(session, principal.tenant_id, msg_id)
    if found is None:
        raise not_found(MESSAGE_NOT_FOUND, "Message")
    return found
