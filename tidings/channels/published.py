"""The live state of channels that run in another process, for the admin API.

A channel's binds, window and counters live in the worker process that runs
it; the admin API (``GET /admin/v1/channels/{name}``, ``tidings channels
show``) may run in another (``tidings serve`` on several cores, or ``tidings
api`` beside ``tidings worker`` on one machine).  So each worker writes the
state of the channels it started to a small JSON file in the data dir
(``run/channels-<host>-<pid>.json``) every second, replaced atomically, and
removes it when it stops; the API reads the files written in the last few
seconds.  A worker that was killed leaves a file nobody renews: it is ignored
once stale and removed by the next reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tidings.channels.base import Channel
    from tidings.context import AppContext

log = logging.getLogger("tidings.channels")

INTERVAL = 1.0
FRESH = 5.0  # a file older than this is a dead worker's
FORGET = 60.0  # ... and removed by a reader after this


def digest(definition: object) -> str | None:
    """A stable text for a channel's definition (``Channel.definition``), compared across processes."""
    return None if definition is None else hashlib.sha256(repr(definition).encode()).hexdigest()


def _dir(data_dir: Path) -> Path:
    return data_dir / "run"


class StatePublisher:
    """Writes the state of this process's started channels every second."""

    name = "channels:state"

    def __init__(self, ctx: AppContext, channels: Sequence[Channel]) -> None:
        self.ctx = ctx
        self.channels = list(channels)
        self.path = _dir(ctx.settings.data_dir) / f"channels-{socket.gethostname()}-{os.getpid()}.json"

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for ch in self.channels:
            if not ch.started:
                continue
            unknown = sum(d.stats.get("unknown", 0) for d in self.ctx.dispatchers if d.channel.name == ch.name)
            out[ch.name] = {"stats": ch.stats(), "definition": digest(ch.definition), "unknown_since_start": unknown}
        return out

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "channels": self.snapshot()}, default=str))
        os.replace(tmp, self.path)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.write()
                except OSError:
                    log.exception("could not publish the channels' state to %s", self.path)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), INTERVAL)
        finally:
            with contextlib.suppress(OSError):
                self.path.unlink()


def read(data_dir: Path, name: str) -> list[dict[str, Any]]:
    """The fresh states other processes published for channel ``name``."""
    states: list[dict[str, Any]] = []
    now = time.time()
    try:
        files = list(_dir(data_dir).glob("channels-*.json"))
    except OSError:
        return states
    for path in files:
        try:
            age = now - path.stat().st_mtime
            if age > FRESH:
                if age > FORGET:
                    path.unlink(missing_ok=True)
                continue
            state = json.loads(path.read_text()).get("channels", {}).get(name)
        except (OSError, ValueError):
            continue
        if state:
            states.append(state)
    return states
