"""Where the server's CPU goes, by pipeline stage, without changing the server.

py-spy samples every thread of the server (and its subprocesses) from outside
while the bench runs; idle threads are not sampled, so the share of samples
is the share of CPU.  Each sample is given to one stage by the frames on its
stack (see ``STAGES``); the server's measured CPU per message times a stage's
share is that stage's CPU per message.

The SQLite driver runs every statement on its own thread (aiosqlite), whose
stack does not say which stage sent the statement: it is its own line.  Its
work belongs to the stages in proportion to the statements they run.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (stage, pattern on a frame's file path).  A sample goes to the first stage
# in this order whose pattern any frame of its stack matches: a receipt the
# SMPP session decodes and hands to the intake is intake; the SMPP codec
# under a dispatcher's submit is dispatch.
STAGES: list[tuple[str, re.Pattern]] = [
    ("accept (HTTP API)", re.compile(r"/(uvicorn|starlette|fastapi|httptools)/|/tidings/api/|/accept\.py$")),
    # The server's only HTTP client is callback delivery's (its POSTs run as tasks of their own).
    ("callback delivery", re.compile(r"/tidings/callbacks/|/(httpx|httpcore|h11)/")),
    ("report intake", re.compile(r"/tidings/dispatch/intake\.py$|/intake\.py$")),
    ("dispatch", re.compile(r"/tidings/dispatch/worker\.py$|/dispatch(er)?\.py$")),
    ("channel I/O (carrier side)", re.compile(r"/tidings/channels/")),
]
# SQLAlchemy's async layer runs the ORM and Core in a greenlet, whose frames
# do not link back to the coroutine that awaited it: such samples show the
# statement being built or its rows being read, not the stage.
ORM_HIDDEN = "SQLAlchemy in a greenlet (stage hidden)"
SQLITE_THREAD = "SQLite connection thread"
OTHER_THREADS = "other threads"
OTHER = "event loop itself, housekeeping, other"

_LINE = re.compile(r"^(?:process \d+:\"[^\"]*\";)?thread \((?:0x)?[0-9a-fA-F]+\): (?P<stack>.*) (?P<n>\d+)$")
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::\d+)?\)$")


def parse(raw: str) -> list[tuple[str, list[tuple[str, str]], int]]:
    """py-spy's raw (collapsed) format with -t: (thread name, frames root
    first as (function, file), samples)."""
    out = []
    for line in raw.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        parts = m["stack"].split(";")
        frames = []
        for p in parts[1:]:
            f = _FRAME.match(p)
            frames.append((f["func"], f["file"]) if f else (p, ""))
        out.append((parts[0], frames, int(m["n"])))
    return out


_LOOP = re.compile(r"/asyncio/(runners|base_events|events)\.py$|/uvloop/")


def below_loop(frames: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The frames the event loop is running (a task's step, a protocol
    callback), without what started the loop (the CLI, uvicorn.run)."""
    for i in range(len(frames) - 1, -1, -1):
        if _LOOP.search(frames[i][1]):
            return frames[i + 1 :]
    return frames


def stage_of(thread: str, frames: list[tuple[str, str]]) -> str:
    if thread != "MainThread":
        return SQLITE_THREAD if any("/aiosqlite/" in f for _, f in frames) else OTHER_THREADS
    if not any(_LOOP.search(f) for _, f in frames):
        return ORM_HIDDEN  # a greenlet's stack ends at its own first frame, not at the event loop
    files = [f for _, f in below_loop(frames)]
    for stage, pattern in STAGES:
        if any(pattern.search(f) for f in files):
            return stage
    return OTHER


def shares(samples) -> dict[str, float]:
    counts: Counter = Counter()
    for thread, frames, n in samples:
        counts[stage_of(thread, frames)] += n
    total = sum(counts.values()) or 1
    return {stage: counts[stage] / total for stage in [s for s, _ in STAGES] + [ORM_HIDDEN, SQLITE_THREAD, OTHER_THREADS, OTHER] if counts[stage]}


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/tidings/", "/lib/python3"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return ("tidings/" + tail) if marker == "/tidings/" else tail
    return Path(path).name


def top(samples, n: int = 20) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The functions with the most samples on top of the stack (self) and
    anywhere on it (inclusive), as shares of all samples."""
    own: Counter = Counter()
    incl: Counter = Counter()
    total = 0
    for _thread, frames, k in samples:
        total += k
        if frames:
            func, file = frames[-1]
            own[f"{func} ({_short(file)})"] += k
        for name in {f"{func} ({_short(file)})" for func, file in below_loop(frames)}:
            incl[name] += k
    total = total or 1
    return ([(name, c / total) for name, c in own.most_common(n)],
            [(name, c / total) for name, c in incl.most_common(n)])


def py_spy() -> str:
    """py-spy's executable, or exit saying how to install it (the ``bench`` extra)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("--profile needs py-spy, the bench extra: `make setup` installs it, "
                         "or .venv/bin/pip install -e '.[bench]' (py-spy alone: .venv/bin/pip install py-spy)")
    return exe


class Profiler:
    """py-spy recording one process tree until ``stop()``."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        exe = py_spy()
        self.out = out
        self.proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(rate),
                                      "--format", "raw", "--full-filenames", "--threads", "--output", str(out)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> list:
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return []
        if not self.out.exists():
            print(f"py-spy wrote nothing: {err.decode()[-500:]}", file=sys.stderr)
            return []
        return parse(self.out.read_text())


# --- the database work the hook measured (bench/hook/sitecustomize.py) ---------------------------
def read_hook(base: Path) -> dict:
    """The hook's totals of every server process, added up: {"sqlite_thread":
    {stage: s}, "greenlet": {stage: s}, "active": [...], "errors": [...]}."""
    out: dict = {"sqlite_thread": {}, "greenlet": {}, "statements": {}, "active": set(), "errors": []}
    for f in base.parent.glob(base.name + ".*.json"):
        try:
            snap = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        out["active"] |= set(snap.get("active", []))
        out["errors"] += snap.get("errors", [])
        for kind in ("sqlite_thread", "greenlet"):
            for stage, sec in snap.get(kind, {}).items():
                out[kind][stage] = out[kind].get(stage, 0.0) + sec
        for key, (calls, sec) in snap.get("statements", {}).items():
            tally = out["statements"].setdefault(key, [0, 0.0])
            tally[0] += calls
            tally[1] += sec
    return out


def hook_delta(before: dict, after: dict) -> dict:
    d = {k: {s: v - before[k].get(s, 0.0) for s, v in after[k].items()} for k in ("sqlite_thread", "greenlet")}
    was = before.get("statements", {})
    d["statements"] = {k: [c - was.get(k, [0, 0.0])[0], sec - was.get(k, [0, 0.0])[1]] for k, (c, sec) in after.get("statements", {}).items()}
    return {**d, "active": sorted(after["active"]), "errors": after["errors"]}


def combined(samples, hook: dict, cpu_s: float) -> dict[str, float]:
    """CPU seconds per stage: the database work as the hook measured it, plus
    the rest of the server's CPU shared out by py-spy's samples outside
    greenlets and the SQLite thread."""
    db = {}
    for kind in ("sqlite_thread", "greenlet"):
        for stage, sec in hook[kind].items():
            db[stage] = db.get(stage, 0.0) + sec
    rest = max(0.0, cpu_s - sum(db.values()))
    direct = {s: v for s, v in shares(samples).items() if s not in (ORM_HIDDEN, SQLITE_THREAD)}
    norm = sum(direct.values()) or 1.0
    stages = [s for s, _ in STAGES] + [OTHER_THREADS, OTHER]
    return {s: db.get(s, 0.0) + rest * direct.get(s, 0.0) / norm for s in stages if db.get(s) or direct.get(s)}


def report(samples, cpu_us_per_msg: float | None, n_top: int = 15, hook: dict | None = None, messages: int = 0) -> str:
    lines = []
    total = sum(k for _, _, k in samples)
    if hook and hook["active"] == ["greenlet", "sqlite_thread"] and cpu_us_per_msg and messages:
        cpu_s = cpu_us_per_msg * messages / 1e6
        lines.append("  server CPU by stage (database work measured in the server by the bench hook, the rest shared out by py-spy):")
        for stage, sec in combined(samples, hook, cpu_s).items():
            sq, gr = hook["sqlite_thread"].get(stage, 0.0), hook["greenlet"].get(stage, 0.0)
            lines.append(f"    {stage:<40} {sec / cpu_s * 100:5.1f} % {sec * 1e6 / messages:7.0f} µs/msg"
                         f"   (of which SQLite thread {sq * 1e6 / messages:4.0f}, SQLAlchemy greenlet {gr * 1e6 / messages:4.0f})")
    elif hook and hook["active"]:
        lines.append(f"  bench hook partly active {hook['active']}: {hook['errors']}")
        for kind in ("sqlite_thread", "greenlet"):
            lines += [f"    {kind} {stage:<40} {sec * 1e6 / max(1, messages):7.0f} µs/msg" for stage, sec in hook[kind].items()]
    if hook and hook.get("statements") and messages:
        lines.append("  SQLite thread by statement (the hook; stage | statement):")
        for key, (calls, sec) in sorted(hook["statements"].items(), key=lambda kv: -kv[1][1])[:n_top]:
            if calls:
                lines.append(f"    {sec * 1e6 / messages:6.1f} µs/msg {calls:7d} calls {sec * 1e6 / calls:7.0f} µs/call  {key}")
    lines.append(f"  server CPU by stage (py-spy alone, {total} samples):")
    for stage, share in shares(samples).items():
        us = f"{share * cpu_us_per_msg:7.0f} µs/msg" if cpu_us_per_msg else ""
        lines.append(f"    {stage:<40} {share * 100:5.1f} %  {us}")
    own, incl = top(samples, n_top)
    lines.append("  top functions by own samples:")
    lines += [f"    {share * 100:5.1f} %  {name}" for name, share in own]
    lines.append("  top functions by inclusive samples (tidings only):")
    lines += [f"    {share * 100:5.1f} %  {name}" for name, share in incl if "tidings/" in name][:n_top]
    return "\n".join(lines)
