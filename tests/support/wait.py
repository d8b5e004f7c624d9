"""Waiting for something that happens in another process, thread or task.

    wait_until(lambda: rx.accepted, what="a callback")                # sync tests
    await wait_until_async(lambda: has_rows(ctx, 1), what="the row")  # async tests

Both poll ``predicate`` until it returns something truthy and return that
value, or fail with an ``AssertionError`` naming ``what`` and the last value
seen.  The async form also awaits a predicate's awaitable result, so a
database query can be the condition.  One deadline rule, one failure message,
one default everywhere: a test states a timeout only when it means one.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 30.0
# Short enough that a test waits at most a few ms beyond the event, long enough
# not to compete with the server under test for the two CPUs.
INTERVAL = 0.05


def _timed_out(what: str | None, predicate: Callable[[], Any], timeout: float, last: Any) -> AssertionError:
    name = what or getattr(predicate, "__name__", "condition")
    return AssertionError(f"timed out after {timeout}s waiting for {name}; last value: {last!r}")


def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT, *, interval: float = INTERVAL, what: str | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, predicate, timeout, last)
        time.sleep(interval)


async def wait_until_async(predicate: Callable[[], Any], timeout: float = TIMEOUT, *, interval: float = INTERVAL, what: str | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, predicate, timeout, last)
        await asyncio.sleep(interval)
