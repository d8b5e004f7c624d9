"""What protects the virtual phone's reply form (docs/virtual-phone.md).

The phone pages have no login (they are a test handset), but a reply becomes
a real uplink callback to a tenant's ``up_link_addr``: without these checks any
web page could make its visitors' browsers post replies, and a script could
post hundreds a second (300 in 3.6 s became 300 uplinks).

- **Off unless wanted**: ``TIDINGS_PHONE_PAGES`` (``phone_pages``) turns the
  pages on or off; unset, they are on only when the server listens on a
  loopback address (the legacy ``[extra] virtual_phone`` is still honoured).
- **Same origin**: a reply whose ``Origin`` (or, without one, ``Referer``) is
  not this server, or whose ``Sec-Fetch-Site`` says cross-site, is refused.
- **CSRF token**: the page sets a random token in a ``SameSite=Strict``,
  HttpOnly cookie and in a hidden form field; a reply must carry both, equal
  (double submit: works with any number of API processes, nothing stored).
- **Limits**: per handset number 5 replies in a burst then one every 2
  seconds, and per client address 20 in a burst then one a second, each
  process on its own (token buckets, like the tenant rate limits).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request

from tidings.config import Settings
from tidings.ratelimit import Bucket

CSRF_COOKIE = "tidings_phone_csrf"
CSRF_FIELD = "csrf"

PER_NUMBER = (5, 0.5)  # burst, replies per second
PER_CLIENT = (20, 1.0)
_MAX_TRACKED = 10_000


def phone_pages_enabled(settings: Settings) -> bool:
    if settings.phone_pages is not None:
        return settings.phone_pages
    legacy = settings.extra.get("virtual_phone")
    if legacy is not None:
        return bool(legacy)
    return is_loopback(settings.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origin(request: Request, settings: Settings) -> bool:
    """True when the reply was posted from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    claimed = request.headers.get("origin")
    if claimed is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False  # not a browser: the CSRF token still has to match
        claimed = _origin_of(referer) or "null"
    own = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if settings.public_url:
        own.add(_origin_of(settings.public_url) or "")
    return claimed.lower() not in own


def csrf_token(request: Request) -> str:
    """The token this browser already has, or a new one (set it as a cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 64 else secrets.token_urlsafe(24)


def set_csrf_cookie(response, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/phone")


def csrf_ok(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), submitted.encode())


class ReplyLimits:
    """Token buckets per handset number and per client address."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def _bucket(self, key: tuple[str, str], burst: int, rate: float, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > _MAX_TRACKED:
                self._buckets.clear()
            bucket = self._buckets[key] = Bucket(rate=rate, capacity=burst, tokens=burst, stamp=now)
        bucket.take(0, now)  # refill up to now
        return bucket

    def take(self, number: str, client: str) -> float:
        """0.0 when the reply may go (it then counts against both limits),
        else the seconds to wait; a refused reply counts against neither."""
        now = time.monotonic()
        buckets = (self._bucket(("client", client), *PER_CLIENT, now), self._bucket(("number", number), *PER_NUMBER, now))
        wait = max((1 - b.tokens) / b.rate for b in buckets)
        if wait > 0:
            return wait
        for b in buckets:
            b.tokens -= 1
        return 0.0


def reply_limits(request: Request) -> ReplyLimits:
    state = request.app.state
    limits = getattr(state, "phone_reply_limits", None)
    if limits is None:
        limits = state.phone_reply_limits = ReplyLimits()
    return limits
