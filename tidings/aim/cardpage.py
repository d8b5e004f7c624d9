"""The card page of a short link, ``/s/{code}``: what a browser (or a handset
that cannot show cards natively) sees when the SMS's link is opened.

- a live link draws its card with the one renderer (tidings/aim/render.py)
  and that recipient's ``dync_params``, every action wired; a link with a
  ``custom_url`` redirects there instead;
- an unknown code and an expired link get a friendly page (404 / 410), never
  a trace; unknown-code lookups are rate limited per client address
  (:data:`GUESS_BURST`, then :data:`GUESS_RATE` per second) against guessing;
- opening it is an **exposure**, never a parse: the page's beacon
  (static/beacon.js) posts the exposure and the clicks to
  ``POST /s/{code}/events``, with a first-party cookie as the visitor.

:func:`draw` is shared with the virtual phone and the gateway's resolve.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send

from tidings.aim import capability, events, queries
from tidings.aim.parse import kept, kept_link
from tidings.aim.preview import _MATERIAL_ID, WIDTH, resolver
from tidings.aim.render import CARD_CSS, CARD_JS, CardError, render_card
from tidings.api.deps import ctx_of
from tidings.ratelimit import Bucket
from tidings.store.models.aim import AimLink, AimParse, AimTemplate
from tidings.timeutil import utcnow

router = APIRouter(include_in_schema=False)

_HERE = Path(__file__).parent
BEACON_JS = (_HERE / "static" / "beacon.js").read_text(encoding="utf-8")
_PAGES = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"]))
_PAGE = _PAGES.get_template("card_page.html")  # loaded once: no file check per request
_CSS, _JS, _BEACON_JS = Markup(CARD_CSS), Markup(CARD_JS), Markup(BEACON_JS)
COOKIE = "tdv"
COOKIE_AGE = 365 * 24 * 3600
GUESS_BURST, GUESS_RATE = 20, 1.0
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
_guesses: dict[str, Bucket] = {}


def guess_wait(client: str) -> float:
    """Take one unknown-code lookup from ``client``'s bucket (seconds to wait, 0 = allowed)."""
    now = time.monotonic()
    bucket = _guesses.get(client)
    if bucket is None:
        if len(_guesses) > 100_000:  # bounded memory under a spray of addresses
            _guesses.clear()
        bucket = _guesses[client] = Bucket(rate=GUESS_RATE, capacity=GUESS_BURST, tokens=GUESS_BURST, stamp=now)
    return bucket.take(1, now)


@dataclass(frozen=True, slots=True)
class _Card:
    """What drawing a template's card needs, kept for :data:`CACHE_SECONDS`."""

    id: str
    name: str
    pages: str
    paths: dict[str, str]
    at: float


CACHE_SECONDS = 5.0  # a template or material change shows on the card page within this
_cards: dict[str, _Card] = {}


async def _template(session: AsyncSession, tpl_id: str) -> _Card | None:
    now = time.monotonic()
    hit = _cards.get(tpl_id)
    if hit is not None and now - hit.at < CACHE_SECONDS:
        return hit
    tpl = await session.get(AimTemplate, tpl_id)
    if tpl is None:
        return None
    paths = await queries.material_paths(session, tpl.tenant_id, set(_MATERIAL_ID.findall(tpl.pages)))
    if len(_cards) > 10_000:
        _cards.clear()
    card = _cards[tpl_id] = _Card(tpl.id, tpl.name, tpl.pages, paths, now)
    return card


_drawn: dict[tuple[str, int], tuple[_Card, Markup | None]] = {}


async def draw(session: AsyncSession, link: AimLink, width: int = WIDTH) -> tuple[_Card | None, Markup | None]:
    """The card of ``link`` for its recipient (a deleted template still draws:
    links already made keep their card).  Drawn once per template entry of
    :data:`_cards` and width, then kept like the card page (a group link's
    many handsets, the phone's refresh)."""
    tpl = await _template(session, link.tpl_id)
    if tpl is None:
        return None, None
    return tpl, _drawn_card(tpl, link, width)


def _drawn_card(tpl: _Card, link: AimLink, width: int) -> Markup | None:
    """``link``'s card from template entry ``tpl``, drawn once per entry and
    width (None when it cannot be drawn)."""
    hit = _drawn.get((link.id, width))
    if hit is not None and hit[0] is tpl:
        return hit[1]
    try:
        card: Markup | None = render_card(tpl.pages, link.dync_params or {}, resolver(tpl.paths), width=width)
    except CardError:
        card = None
    if len(_drawn) >= PAGES_KEPT:
        _drawn.clear()
    _drawn[link.id, width] = (tpl, card)
    return card


def _notice(status: int, heading: str, text: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = _PAGE.render(card=None, title=heading, heading=heading, text=text, css=Markup(""))
    return HTMLResponse(html, status_code=status, headers={**_HEADERS, **(headers or {})})


def _host(request: Request) -> str:
    return (request.headers.get("host") or "").lower()


async def _link(session: AsyncSession, request: Request, code: str) -> AimLink | None:
    """The code on the domain the page was reached at, else on any domain (the
    embedded server answers for its own address and for registered domains);
    kept a few seconds (:func:`tidings.aim.parse.kept_link`, expiry is checked
    on every use)."""
    if not 3 <= len(code) <= 16 or not code.isalnum():
        return None
    return await kept_link(session, code, _host(request))


def _visitor(request: Request) -> tuple[str, bool]:
    """The browser's first-party cookie (made when missing: then True)."""
    value = request.cookies.get(COOKIE, "")
    if 16 <= len(value) <= 43 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(16), True


def _remember(response: Response, visitor: str) -> None:
    response.set_cookie(COOKIE, visitor, max_age=COOKIE_AGE, httponly=True, samesite="lax", path="/s/")


_pages: dict[tuple[str, str], tuple[_Card, bytes]] = {}
PAGES_KEPT = 1_000  # ~17 kB each: the pages drawn last, for reloads and group links


def _kept_card(tpl_id: str, now: float) -> _Card | None:
    hit = _cards.get(tpl_id)
    return hit if hit is not None and now - hit.at < CACHE_SECONDS else None


def _page(key: tuple[str, str], tpl: _Card, link: AimLink) -> bytes | None:
    """The card page's HTML of ``link``: drawn once per template entry of
    :data:`_cards` (so a template or material change shows within
    :data:`CACHE_SECONDS`, as before), then kept for the next opens of the
    same link (reloads, a group link's many recipients)."""
    hit = _pages.get(key)
    if hit is not None and hit[0] is tpl:
        return hit[1]
    card = _drawn_card(tpl, link, WIDTH)
    if card is None:
        return None
    html = _PAGE.render(card=card, title=tpl.name, beacon=f"/s/{key[1]}/events", css=_CSS, js=_JS, beacon_js=_BEACON_JS).encode()
    if len(_pages) >= PAGES_KEPT:
        _pages.clear()
    _pages[key] = (tpl, html)
    return html


@router.get("/s/{code}", response_class=HTMLResponse)
async def card_page(code: str, request: Request) -> Response:
    ctx = ctx_of(request)
    # A link and its template seen in the last CACHE_SECONDS need no database
    # session at all (the common case: a reload, a group link's recipients).
    key, mono = (_host(request), code), time.monotonic()
    link = kept(key[0], code, mono)
    tpl = _kept_card(link.tpl_id, mono) if link is not None and not link.custom_url else None
    if tpl is None:
        async with ctx.db.read() as session:
            link = await _link(session, request, code)
            if link is not None and not link.custom_url and link.expires_at > utcnow():
                tpl = await _template(session, link.tpl_id)
    if link is None:
        wait = guess_wait(request.client.host if request.client else "?")
        if wait:
            return _notice(429, "Too many tries", "Please wait a moment before opening another link.", {"Retry-After": str(max(1, round(wait)))})
        return _notice(404, "Link not found", "This link does not exist. Please check the message you received.")
    if link.expires_at <= utcnow():
        return _notice(410, "Link expired", "This link has expired. Please contact the sender for a new message.")
    visitor, fresh = _visitor(request)
    if link.custom_url:
        # The landing page is the tenant's: the exposure is counted here.
        async with ctx.db.write() as session:
            await events.store(session, tenant_id=link.tenant_id, tpl_id=link.tpl_id, link_id=link.id, maker=await _maker(session, link),
                               visitor=visitor, events=[events.Event(events.EXPOSE)])
        response: Response = RedirectResponse(link.custom_url, status_code=302, headers=_HEADERS)
    else:
        html = _page(key, tpl, link) if tpl is not None else None
        if html is None:
            return _notice(404, "Card unavailable", "This card cannot be shown any more.")
        response = HTMLResponse(html, headers=_HEADERS)
    if fresh:
        _remember(response, visitor)
    return response


async def fast_card_page(scope: Scope, receive: Receive, send: Send) -> bool:
    """``GET /s/{code}`` straight from the gateway (``Product.fast_paths``),
    without FastAPI's route matching over every route; anything else under
    ``/s/`` (the beacon, a query string, a trailing slash) goes to the routers."""
    path = scope["path"]
    if scope["method"] != "GET" or scope["query_string"] or path.count("/") != 2:
        return False
    response = await card_page(path[3:], Request(scope, receive))
    await response(scope, receive, send)
    return True


async def _maker(session: AsyncSession, link: AimLink) -> str:
    """The recipient handset's maker when the link names a number (individual links), else ''."""
    key = capability.key_of(link.cust_flag)
    if key is None:
        return ""
    return capability.maker_of(key, await capability.imported_makers(session, [key])) or ""


@router.post("/s/{code}/events")
async def card_events(code: str, request: Request) -> Response:
    """A beacon batch: ``{"events": [{"kind": "expose"|"click", "component": "button#3:OPEN_URL"}], "number": ""}``.
    With ``number`` (the virtual phone) the visitor is that handset, which must
    be one the link was resolved for; otherwise the browser's cookie."""
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"stored": 0}, status_code=400)
    batch = events.clean(body.get("events") if isinstance(body, dict) else None)
    number = str(body.get("number") or "") if isinstance(body, dict) else ""
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        link = await _link(session, request, code)
        if link is None:
            return JSONResponse({"stored": 0}, status_code=404)
        fresh = False
        if number:
            maker = (await session.execute(select(AimParse.maker).where(AimParse.link_id == link.id, AimParse.mobile == number).limit(1))).scalar()
            if maker is None:
                return JSONResponse({"stored": 0}, status_code=403)
            visitor = number
        else:
            visitor, fresh = _visitor(request)
            maker = await _maker(session, link)
        stored = await events.store(session, tenant_id=link.tenant_id, tpl_id=link.tpl_id, link_id=link.id, maker=maker, visitor=visitor,
                                    events=batch)
    response = JSONResponse({"stored": stored})
    if fresh:
        _remember(response, visitor)
    return response
