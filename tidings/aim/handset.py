"""What a virtual handset does with an SMS carrying a short link
(tidings/web/phone.py asks :func:`decorate` about its messages, through
``Product.handset``: :data:`HANDSET`).

- A capable number resolves the link (a parse, tidings/aim/parse.py) and
  shows the card natively, with a *show original / show card* toggle; the
  parse happens once per received message, so the phone's refresh and a
  reload show the same card without parsing again.
- An incapable number (or a parse that failed) shows the text, the link made
  clickable: it opens the card page (an exposure, never a parse).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import select

from tidings.aim import capability, cardpage, parse
from tidings.aim.render import CARD_CSS, CARD_JS
from tidings.product import Handset
from tidings.store.models.aim import AimLink, AimParse

LINK = re.compile(r"(https?://)?([A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?)/s/([A-Za-z0-9]{3,16})")
WIDTH = 320
# The phone's list item for a smart message (templates/phone_msg_aim.html), with the phone page's whitespace rules.
_ITEMS = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]),
                     trim_blocks=True, lstrip_blocks=True)
PHONE_CSS = """  .msg.aim .aim-card-box { margin: 6px 0; }
  .aim-toggle { border: 0; background: none; color: var(--accent); font: inherit; font-size: 13px; padding: 0; cursor: pointer; }
  .aim-note { font-size: 12px; color: var(--muted); margin-bottom: 4px; }"""

TOGGLE_JS = """(function(){"use strict";var shown={};
function apply(li){var c=li.querySelector('.aim-card-box'),o=li.querySelector('.aim-original'),b=li.querySelector('[data-toggle]');
if(!c||!o||!b)return;var orig=!!shown[li.dataset.msgId];c.hidden=orig;o.hidden=!orig;b.textContent=orig?'Show card':'Show original';
b.setAttribute('aria-pressed',orig?'true':'false');}
document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('[data-toggle]');if(!b)return;
var li=b.closest('li[data-msg-id]');shown[li.dataset.msgId]=!shown[li.dataset.msgId];apply(li);
if(!shown[li.dataset.msgId]&&window.tidingsBeacon)window.tidingsBeacon.expose(li);});
window.tidingsPhone={restore:function(root){root.querySelectorAll('li[data-kind=aim]').forEach(apply);
if(window.tidingsBeacon)window.tidingsBeacon.expose(root);}};})();"""


def page_assets() -> dict[str, Markup]:
    """CSS and scripts the phone page adds for cards."""
    return {"css": Markup(PHONE_CSS + "\n" + CARD_CSS), "js": Markup(CARD_JS + "\n" + cardpage.BEACON_JS + "\n" + TOGGLE_JS)}


def _href(match: re.Match, base_url: str) -> str:
    scheme = match.group(1) or (urlsplit(base_url).scheme + "://")
    return f"{scheme}{match.group(2)}/s/{match.group(3)}"


def _linkified(body: str, match: re.Match, base_url: str) -> Markup:
    before, after = body[:match.start()], body[match.end():]
    anchor = Markup('<a class="aim-link" href="{}" target="_blank" rel="noopener">{}</a>').format(_href(match, base_url), match.group(0))
    return escape(before) + anchor + escape(after)


async def decorate(ctx: Any, number: str, views: list[dict]) -> None:
    """Turn the received SMS views carrying one of our links into ``aim`` views,
    each with its list item (``html``)."""
    await _decorate(ctx, number, views)
    item = _ITEMS.get_template("phone_msg_aim.html")
    for view in views:
        if view.get("kind") == "aim":
            view["html"] = Markup(item.render(m=view, number=number))


async def _decorate(ctx: Any, number: str, views: list[dict]) -> None:
    found = [(v, m) for v in views if v.get("kind") == "sms" and (m := LINK.search(v.get("body") or ""))]
    if not found:
        return
    base_url = ctx.settings.base_url
    async with ctx.db.read() as session:
        maker = await capability.handset_maker(session, number)
        resolved = []
        for view, match in found:
            link = await parse.find_link(session, match.group(3), match.group(2)) or await parse.find_link(session, match.group(3))
            if link is not None:
                resolved.append((view, match, link))
        if not resolved:
            return
        # What this handset already did with these messages' links (a reload parses nothing).
        earlier = select(AimParse.link_id, AimParse.source, AimParse.status).where(
            AimParse.link_id.in_({link.id for _, _, link in resolved}), AimParse.mobile == number,
            AimParse.source.in_({v["msg_id"] for v, _, _ in resolved}))
        done = {(link_id, source): status for link_id, source, status in (await session.execute(earlier)).all()}
    shown, todo = [], []
    for view, match, link in resolved:
        view.update(kind="aim", aim_text=_linkified(view.get("body") or "", match, base_url), aim_code=link.code, aim_href=_href(match, base_url))
        if maker is None:
            view["aim_note"] = "This phone cannot show cards: the link opens the card page."
        elif (link.id, view["msg_id"]) not in done:
            todo.append((view, link))
        elif done[link.id, view["msg_id"]] == parse.OK:
            shown.append((view, link))
        else:
            view["aim_note"] = "Card not shown: " + parse.DESCRIBE.get(done[link.id, view["msg_id"]], "")
    if todo:  # first showing of these messages: the handset resolves their links
        async with ctx.db.write() as session:
            for view, link in todo:
                handset = parse.Handset(number=number, maker=maker, sms_sign=view.get("signature") or "", source=view["msg_id"])
                outcome = await parse.parse(session, await session.get(AimLink, link.id) or link, handset)
                if outcome.ok:
                    shown.append((view, link))
                else:
                    view["aim_note"] = "Card not shown: " + outcome.describe
    if shown:
        async with ctx.db.read() as session:
            for view, link in shown:
                view["card"] = (await cardpage.draw(session, link, WIDTH))[1]
                view["aim_beacon"] = f"/s/{link.code}/events"


HANDSET = Handset(decorate, page_assets)
