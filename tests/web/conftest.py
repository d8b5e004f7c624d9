"""One Chromium per test module for the browser tests (a launch costs seconds);
each test opens its own context."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch
from tests.support.harness import Server


@pytest.fixture(scope="module")
def browser(server: Server):
    # Started after the server: Playwright's sync API runs an event loop in
    # this thread, and the harness starts PostgreSQL servers with asyncio.run.
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
