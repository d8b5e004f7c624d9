"""The virtual phone: ``/phone/{number}`` is the sandbox carrier's handset
for ``number`` — what it received and what it replied, newest first, and a
box to reply (uplink).

No authentication, by design (docs/virtual-phone.md): it is the handset of a
simulated network, like a test phone on a desk.  It shows only what the
sandbox carrier delivered; messages routed to real carriers never appear.
The pages are on by default only when the server listens on a loopback
address (``TIDINGS_PHONE_PAGES`` decides otherwise); off, they answer 404.
The reply form is guarded against cross-site posts and floods
(:mod:`tidings.web.phone_guard`).

A message shows as the text the handset got (``phone_msg_sms.html``; the
handset's replies ``phone_msg_reply.html``) unless a product's
``Product.handset`` recognises it: its ``decorate`` then gives the list item
(``html``, rendered from the product's own templates: smart messages' cards in
tidings/aim/templates/), so later products (video messages, service-account
profiles) add their rendering without touching this page.  The list refreshes itself every few seconds
by fetching ``/phone/{number}/messages`` (an HTML fragment); the reply box is
a plain form, so the page works without JavaScript too.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from tidings.api.deps import ctx_of
from tidings.domain.numbers import NumberError, normalize
from tidings.web import phone_guard
from tidings.web.phone_guard import phone_pages_enabled

router = APIRouter(include_in_schema=False)

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
REFRESH_SECONDS = 3
SHOWN = 100

_STATUS_WORDS = {"DELIVRD": "Delivered", "pending": "Sending"}


def _status(code: str) -> tuple[str, str]:
    """(text shown, css class) for a message status."""
    if code in _STATUS_WORDS:
        return _STATUS_WORDS[code], ("ok" if code == "DELIVRD" else "pending")
    return f"Failed {code}", "failed"


def _view(item) -> dict:
    text = item.text or ""
    prefix = f"【{item.signature}】" if item.signature else ""
    body = text[len(prefix):] if prefix and text.startswith(prefix) else text
    word, css = _status(item.status)
    received: datetime = item.received_at
    return {
        "kind": getattr(item, "kind", "sms") or "sms",
        "msg_id": item.msg_id,
        "source": item.source,
        "signature": item.signature,
        "body": body,
        "iso": received.strftime("%Y-%m-%dT%H:%M:%SZ") if received else "",
        "when": received.strftime("%Y-%m-%d %H:%M:%S UTC") if received else "",
        "status": word,
        "status_class": css,
        "item": item,
    }


def phone_enabled(request: Request) -> bool:
    return phone_pages_enabled(ctx_of(request).settings)


def _number(raw: str) -> str | None:
    try:
        return normalize(raw, international=True)
    except NumberError:
        return None


_REPLY_STATUS = {
    "routed": ("Sent", "ok"),
    "no_url": ("Sent · the application has no uplink address", "pending"),
    "unrouted": ("Sent · no application owns this number", "failed"),
}


def _reply_view(row) -> dict:
    word, css = _REPLY_STATUS.get(row.status, ("Sent", "ok"))
    return {
        "kind": "reply",
        "msg_id": row.id,
        "source": row.destination,
        "signature": "",
        "body": row.text,
        "iso": row.received_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "when": row.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "status": word,
        "status_class": css,
        "item": row,
        "at": row.received_at,
    }


async def _messages(request: Request, number: str) -> list[dict]:
    """Received messages and the handset's own replies, newest first."""
    from tidings.channels.sandbox import NAME as SANDBOX
    from tidings.store.messages import inbox, replies_from

    async with ctx_of(request).db.read() as session:
        items = await inbox(session, number, SANDBOX, limit=SHOWN)
        replies = await replies_from(session, number, SANDBOX, limit=SHOWN)
    views = [dict(_view(i), at=i.received_at) for i in items] + [_reply_view(r) for r in replies]
    views.sort(key=lambda v: v["at"], reverse=True)
    views = views[:SHOWN]
    # A product may show its messages its own way (smart messages: a card, or
    # a clickable link; docs/smart-messages.md "Virtual phone").
    ctx = ctx_of(request)
    for product in ctx.products:
        if product.handset is not None:
            await product.handset.decorate(ctx, number, views)
    return views


def _page(number: str, messages: list[dict], *, csrf: str, assets: dict[str, Markup], sent: str | None = None, error: str | None = None,
          to: str = "", text: str = "") -> str:
    ports = list(dict.fromkeys(m["source"] for m in messages if m["source"] and m["kind"] != "reply"))
    return TEMPLATES.get_template("phone.html").render(
        number=number,
        display="+" + number,
        messages=messages,
        ports=ports,
        reply_to=to or (ports[0] if ports else ""),
        reply_text=text,
        sent=sent,
        error=error,
        refresh_ms=REFRESH_SECONDS * 1000,
        templates=TEMPLATES,
        csrf=csrf,
        **assets,
    )


async def _page_response(request: Request, number: str, status: int = 200, headers: dict[str, str] | None = None, **kw) -> HTMLResponse:
    """The page, with this browser's CSRF token in the form and the cookie."""
    csrf = phone_guard.csrf_token(request)
    page = _page(number, await _messages(request, number), csrf=csrf, assets=_product_assets(request), **kw)
    response = HTMLResponse(page, status_code=status, headers=headers)
    phone_guard.set_csrf_cookie(response, csrf)
    return response


def _product_assets(request: Request) -> dict[str, Markup]:
    """The CSS and scripts the installed products add to the page (Product.handset)."""
    shown = [p.handset.assets() for p in ctx_of(request).products if p.handset is not None]
    return {"product_css": Markup("\n".join(a.get("css", "") for a in shown)),
            "product_js": Markup("\n".join(a.get("js", "") for a in shown))}


def _not_a_number(raw: str) -> HTMLResponse:
    html = TEMPLATES.get_template("phone.html").render(number=None, display=raw, invalid=True, messages=[], ports=[])
    return HTMLResponse(html, status_code=404)


@router.get("/phone/{raw}", response_class=HTMLResponse)
async def phone(raw: str, request: Request, sent: str | None = None) -> Response:
    if not phone_enabled(request):
        return HTMLResponse("Not found", status_code=404)
    number = _number(raw)
    if number is None:
        return _not_a_number(raw)
    return await _page_response(request, number, sent=sent)


@router.get("/phone/{raw}/messages", response_class=HTMLResponse)
async def phone_messages(raw: str, request: Request) -> Response:
    if not phone_enabled(request):
        return HTMLResponse("Not found", status_code=404)
    number = _number(raw)
    if number is None:
        return HTMLResponse("Not a phone number", status_code=404)
    html = TEMPLATES.get_template("phone_list.html").render(messages=await _messages(request, number), templates=TEMPLATES, number=number)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/phone/{raw}/reply", response_class=HTMLResponse)
async def phone_reply(raw: str, request: Request, to: str = Form(""), text: str = Form(""),
                      csrf: str = Form("")) -> Response:
    """The handset replies: an uplink from ``number`` to channel number ``to``."""
    ctx = ctx_of(request)
    if not phone_enabled(request):
        return HTMLResponse("Not found", status_code=404)
    number = _number(raw)
    if number is None:
        return _not_a_number(raw)
    if phone_guard.cross_origin(request, ctx.settings):
        return HTMLResponse("Reply not sent: posted from another site", status_code=403)
    if not phone_guard.csrf_ok(request, csrf):
        return await _page_response(request, number, 403, error="the form has expired; reload the page and send again", to=to, text=text)
    client = request.client.host if request.client else "-"
    wait = phone_guard.reply_limits(request).take(number, client)
    if wait:
        seconds = max(1, math.ceil(wait))
        return await _page_response(request, number, 429, {"Retry-After": str(seconds)},
                                    error=f"too many replies; try again in {seconds} s", to=to, text=text)
    from tidings.channels.sandbox import ReplyError, reply_from_handset
    from tidings.dispatch.intake import intake_of

    try:
        uplink_id = await reply_from_handset(intake_of(ctx), number, to, text)
    except ReplyError as exc:
        return await _page_response(request, number, 400, error=str(exc), to=to, text=text)
    # Post/redirect/get: a reload does not send the reply twice.
    return RedirectResponse(f"/phone/{number}?sent={quote(uplink_id)}", status_code=303)
