"""The preview page of a template (``AIMTemplate.preview_url``), the pictures
it shows, and the shipped pictures of the public templates.

``/aim/preview/{tpl_id}?token=...`` draws the card with the template's
variable examples for tenants and reviewers.  The token is a MAC of the
``tpl_id`` under the master key (:meth:`tidings.security.SecretBox.token`):
unguessable, stable, nothing stored, the same in every process; whoever holds
the link may look, as with upstream's QR preview.  A wrong token and an
unknown template answer the same 404.

A tenant's materials are drawn from ``/aim/materials/{aim_resource_id}`` (the
unguessable id, no listing; tidings/aim/api/materials.py), only those of the template's
own tenant that are live.  Shipped public pictures are at ``/aim/public/<name>.png``.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tidings.aim import public, queries, views
from tidings.aim.render import CardError, Resolver, render_card, render_document
from tidings.api.deps import ctx_of
from tidings.store.models.aim import AimTemplate

router = APIRouter(include_in_schema=False)

WIDTH = 360
_AUDIT = {0: "not submitted", 1: "under review", 2: "approved", 3: "rejected"}
_HEADERS = {
    "Cache-Control": "private, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

# Material ids inside the stored pages (aim_resource_id: digits).
_MATERIAL_ID = re.compile(r'"(\d{6,36})"')


def resolver(paths: dict[str, str]) -> Resolver:
    """Material ids -> where they are served (``paths``: the template tenant's
    live materials, :func:`tidings.aim.queries.material_paths`); shipped ``pub-``
    names -> their files; web URLs as they are (the tenant's own server)."""

    def resolve(src: str) -> str | None:
        if src.startswith(public.PREFIX):
            return public.asset_url(src)
        if src.lower().startswith(("https://", "http://")):
            return src
        return paths.get(src)

    return resolve


def review_links(ctx, item) -> dict[str, str]:
    """The card preview of a template under review (Product.review_links)."""
    return {"preview_url": views.preview_url(ctx.settings.base_url, ctx.box, item.object_id)}



def _not_found() -> Response:
    return Response("Not found", status_code=404, media_type="text/plain", headers=_HEADERS)


async def _template(request: Request, tpl_id: str, token: str) -> AimTemplate | None:
    ctx = ctx_of(request)
    if not hmac.compare_digest(token.encode(), views.preview_token(ctx.box, tpl_id).encode()):
        return None
    async with ctx.db.read() as session:
        tpl = await session.get(AimTemplate, tpl_id)
    return tpl if tpl is not None and tpl.deleted_at is None else None


def examples(tpl: AimTemplate) -> dict[str, str]:
    return {p.get("key") or p["name"][2:-1]: p.get("example", "") for p in tpl.params or [] if isinstance(p, Mapping)}


@router.get("/aim/preview/{tpl_id}", response_class=HTMLResponse)
async def preview(request: Request, tpl_id: str, token: str = Query(default="", max_length=64),
                  width: int = Query(default=WIDTH, ge=200, le=720)) -> Response:
    tpl = await _template(request, tpl_id, token)
    if tpl is None:
        return _not_found()
    async with ctx_of(request).db.read() as session:
        makers = (await queries.makers_of(session, [tpl.id]))[tpl.id]
        paths = await queries.material_paths(session, tpl.tenant_id, set(_MATERIAL_ID.findall(tpl.pages)))
    values = examples(tpl)
    card, problem = None, ""
    try:
        card = render_card(tpl.pages, values, resolver(paths), width=width)
    except CardError as exc:  # stored pages that cannot be drawn: say so instead of a 500
        problem = str(exc)
    details = {
        "tpl_id": tpl.id,
        "card_id": tpl.card_id,
        "type": "public" if tpl.public else "private",
        "review": f"{tpl.audit_state} {_AUDIT.get(tpl.audit_state, '')}".strip() + (f" · {tpl.audit_desc}" if tpl.audit_desc else ""),
        "state": "enabled" if tpl.tpl_state == 1 else f"disabled {tpl.disable_desc}".strip(),
        "makers": ", ".join(f"{m.maker} {m.state}" for m in makers if m.submitted) or "-",
        "examples": ", ".join(f"{k}={v}" for k, v in values.items()) or "-",
    }
    if problem:
        details["problem"] = problem
    html = render_document(card or "", title=tpl.name, lead=tpl.sms_example, details=details)
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/aim/public/{name}.png")
async def public_picture(name: str) -> Response:
    path = public.asset(public.PREFIX + name)
    if path is None:
        return _not_found()
    return Response(path.read_bytes(), media_type="image/png", headers={**_HEADERS, "Cache-Control": "public, max-age=86400"})
