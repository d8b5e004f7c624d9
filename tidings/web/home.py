"""The front door: ``/`` links the API reference, the virtual phone and
(later) the console; the favicon every page asks for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tidings.api.deps import ctx_of
from tidings.web.phone import TEMPLATES, phone_enabled

router = APIRouter(include_in_schema=False)

FAVICON = (Path(__file__).parent / "static" / "favicon.svg").read_bytes()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    settings = ctx_of(request).settings
    html = TEMPLATES.get_template("home.html").render(base_url=settings.base_url, phone=phone_enabled(request))
    return HTMLResponse(html)


@router.get("/phone")
async def open_phone(number: str = Query("", max_length=32)) -> Response:
    """The start page's "open a handset" form."""
    return RedirectResponse(f"/phone/{quote(number.strip(), safe='+')}" if number.strip() else "/", status_code=303)


@router.get("/favicon.svg")
@router.get("/favicon.ico")
async def favicon() -> Response:
    # One SVG icon; browsers that ask for /favicon.ico accept it by its media type.
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
