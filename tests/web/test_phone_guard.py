"""The virtual phone's reply form is not an open relay (issue 20 #6): a page
on another site cannot make a visitor's browser reply (same-origin check and
CSRF token, in real Chromium), replies are limited per number and per client,
and the pages are off unless the server listens on loopback or the operator
says otherwise."""

from __future__ import annotations

import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import launch
from tests.support.callback_db import migrated_ctx
from tests.support.harness import Server
from tidings.app import create_app
from tidings.config import Settings
from tidings.web.phone_guard import PER_CLIENT, PER_NUMBER, phone_pages_enabled


def fresh_number() -> str:
    return f"139{random.randrange(10**8):08d}"


class AttackerSite:
    """Another origin (its own port) serving a page that auto-submits a reply
    form to the phone, as a malicious site would."""

    def __init__(self, target: str):
        page = (f'<form id="f" method="post" action="{target}"><input name="to" value="10690001">'
                f'<input name="text" value="forged reply"><input name="csrf" value="guessed-token-guessed-token"></form>'
                '<script>document.getElementById("f").submit()</script>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.browser
def test_a_page_on_another_site_cannot_post_replies(server: Server):
    number = fresh_number()
    attacker = AttackerSite(f"{server.url}/phone/{number}/reply")
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context()
            page = context.new_page()
            # The visitor has the phone open (so its cookie exists), then visits the other site.
            page.goto(f"{server.url}/phone/{number}")
            expect(page.get_by_text("No messages yet")).to_be_visible()
            with page.expect_response(lambda r: r.url.endswith("/reply")) as answer:
                page.goto(attacker.url)
            assert answer.value.status == 403
            page.goto(f"{server.url}/phone/{number}")
            expect(page.locator("#messages li.msg.mine")).to_have_count(0)
            # The phone's own form still works from the phone's page.
            page.locator("input[name=to]").fill("10690001")
            page.locator("textarea[name=text]").fill("a real reply")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_role("status")).to_have_text("Reply sent")
            expect(page.locator("#messages li.msg.mine")).to_have_count(1)
            context.close()
            browser.close()
    finally:
        attacker.close()


@pytest.fixture
async def phone_app():
    async with migrated_ctx("sqlite") as ctx:
        yield create_app(ctx=ctx, run_workers=False)


def _client(app, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://phone.test", headers={"Origin": "http://phone.test"})


async def _token(client: httpx.AsyncClient, number: str) -> str:
    page = await client.get(f"/phone/{number}")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def _reply(client: httpx.AsyncClient, number: str, token: str, **headers: str) -> httpx.Response:
    return await client.post(f"/phone/{number}/reply", data={"to": "10690001", "text": "hi", "csrf": token}, headers=headers)


async def test_a_reply_needs_the_pages_csrf_token_and_the_same_origin(phone_app):
    async with _client(phone_app) as client:
        number = fresh_number()
        token = await _token(client, number)
        assert (await _reply(client, number, "")).status_code == 403
        assert (await _reply(client, number, "x" * len(token))).status_code == 403
        assert (await _reply(client, number, token, Origin="http://evil.example")).status_code == 403
        assert (await _reply(client, number, token, Origin="null")).status_code == 403
        assert (await _reply(client, number, token, **{"Sec-Fetch-Site": "cross-site"})).status_code == 403
        ok = await _reply(client, number, token)
        assert ok.status_code == 303, ok.text


async def test_replies_are_limited_per_number_and_per_client(phone_app):
    burst_number, burst_client = PER_NUMBER[0], PER_CLIENT[0]
    async with _client(phone_app, "10.1.1.1") as client:
        number = fresh_number()
        token = await _token(client, number)
        answers = [(await _reply(client, number, token)).status_code for _ in range(burst_number + 3)]
        assert answers == [303] * burst_number + [429] * 3
        refused = await _reply(client, number, token)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "too many replies" in refused.text
        # Other numbers from the same client, until the client's own limit.
        sent = burst_number
        while sent < burst_client:
            other = fresh_number()
            for _ in range(min(burst_number, burst_client - sent)):
                assert (await _reply(client, other, await _token(client, other))).status_code == 303
                sent += 1
        assert (await _reply(client, fresh_number(), token)).status_code == 429
    async with _client(phone_app, "10.2.2.2") as another:  # another client is not held back
        number = fresh_number()
        assert (await _reply(another, number, await _token(another, number))).status_code == 303


@pytest.mark.parametrize(
    "host, explicit, legacy, enabled",
    [
        ("127.0.0.1", None, None, True),
        ("::1", None, None, True),
        ("localhost", None, None, True),
        ("0.0.0.0", None, None, False),
        ("192.168.1.5", None, None, False),
        ("0.0.0.0", True, None, True),
        ("127.0.0.1", False, None, False),
        ("127.0.0.1", None, False, False),
    ],
)
def test_phone_pages_are_on_by_default_only_on_loopback(host, explicit, legacy, enabled):
    extra = {} if legacy is None else {"virtual_phone": legacy}
    assert phone_pages_enabled(Settings(host=host, phone_pages=explicit, extra=extra)) is enabled


async def test_phone_pages_off_answer_404(monkeypatch):
    monkeypatch.setenv("TIDINGS_PHONE_PAGES", "false")
    async with migrated_ctx("sqlite") as ctx:
        assert ctx.settings.phone_pages is False
        async with _client(create_app(ctx=ctx, run_workers=False)) as client:
            assert (await client.get("/phone/13800138000")).status_code == 404
            assert (await client.post("/phone/13800138000/reply", data={"to": "1", "text": "x"})).status_code == 404
