"""Bench-only instrumentation of a server started by bench/pipeline.py --profile.

Python imports ``sitecustomize`` at start-up from any directory on
PYTHONPATH; the bench puts this directory there and names a file in
``TIDINGS_BENCH_STAGES``.  It measures the database work that sampling cannot
give to a stage, in the server's own process, without touching Tidings:

* every statement aiosqlite runs on its connection thread: that thread's CPU
  (``time.thread_time``) for it, given to the stage whose code awaited it;
* every stretch SQLAlchemy's async layer runs the ORM/Core in a greenlet
  (each ``switch`` into it): the main thread's CPU, given to the stage that
  called ``greenlet_spawn``.

The stage is read from the awaiting coroutine's frames with bench/stages.py's
patterns.  Totals (CPU seconds per stage) are written to
``<TIDINGS_BENCH_STAGES>.<pid>.json`` twice a second.  If a library changed
so that a patch no longer applies, that part is skipped and the file says so.
"""

from __future__ import annotations

import os

if os.environ.get("TIDINGS_BENCH_CPROFILE"):
    # cProfile of the main thread (the event loop), written at exit: the Python
    # side of a stage, function by function (slow: compare shares, not times).
    # The server is killed, not stopped, so the profile is written every 3 s
    # (a signal the process sends itself: the handler runs on the main thread).
    import cProfile
    import signal
    import threading
    import time

    _cprofile = cProfile.Profile(time.thread_time)  # CPU, not the waits for the GIL

    def _dump(*_args) -> None:
        _cprofile.disable()
        _cprofile.dump_stats(f"{os.environ['TIDINGS_BENCH_CPROFILE']}.{os.getpid()}")
        _cprofile.enable()

    def _tick() -> None:
        while True:
            time.sleep(3)
            os.kill(os.getpid(), signal.SIGUSR2)

    signal.signal(signal.SIGUSR2, _dump)
    threading.Thread(target=_tick, name="bench-cprofile", daemon=True).start()
    _cprofile.enable()

if os.environ.get("TIDINGS_BENCH_STAGES"):
    import importlib.util
    import json
    import sys
    import threading
    import time
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location("_bench_stages", Path(__file__).resolve().parents[1] / "stages.py")
    _stages = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_stages)

    _out = Path(f"{os.environ['TIDINGS_BENCH_STAGES']}.{os.getpid()}.json")
    _lock = threading.Lock()
    _totals: dict[str, dict[str, float]] = {"sqlite_thread": {}, "greenlet": {}}
    _statements: dict[str, list[float]] = {}  # "stage | SQL head" -> [calls, CPU seconds]
    _active: list[str] = []

    def _stage(frame) -> str:
        # Up the awaiting coroutines to the event loop, not beyond: below it
        # are the frames that started the server (uvicorn.run), not the stage.
        files = []
        while frame is not None and not _stages._LOOP.search(frame.f_code.co_filename):
            files.append(frame.f_code.co_filename)
            frame = frame.f_back
        for stage, pattern in _stages.STAGES:
            if any(pattern.search(f) for f in files):
                return stage
        return _stages.OTHER

    def _add(kind: str, stage: str, seconds: float) -> None:
        with _lock:
            bucket = _totals[kind]
            bucket[stage] = bucket.get(stage, 0.0) + seconds

    def _patch_aiosqlite() -> None:
        from aiosqlite.core import Connection

        original = Connection._execute

        async def _execute(self, fn, *args, **kwargs):
            stage = _stage(sys._getframe(1))

            what = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "?")
            key = f"{stage} | {' '.join(what.split())[:90]}"

            def timed():
                t0 = time.thread_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spent = time.thread_time() - t0
                    _add("sqlite_thread", stage, spent)
                    with _lock:
                        tally = _statements.setdefault(key, [0, 0.0])
                        tally[0] += 1
                        tally[1] += spent

            return await original(self, timed)

        Connection._execute = _execute
        _active.append("sqlite_thread")

    def _patch_greenlet() -> None:
        from sqlalchemy.util import concurrency

        shim = concurrency._concurrency_shim
        shim._initialize()
        base = shim._AsyncIoGreenlet

        class TimedGreenlet(base):
            def __init__(self, fn, driver):
                super().__init__(fn, driver)
                self.bench_stage = _stage(sys._getframe(1))

            def _timed(self, into, *args, **kwargs):
                # Runs the greenlet until it next awaits: all of it is this stage's CPU.
                t0 = time.thread_time()
                try:
                    return into(self, *args, **kwargs)
                finally:
                    _add("greenlet", self.bench_stage, time.thread_time() - t0)

            def switch(self, *args, **kwargs):
                return self._timed(base.switch, *args, **kwargs)

            def throw(self, *args, **kwargs):
                return self._timed(base.throw, *args, **kwargs)

        shim._AsyncIoGreenlet = TimedGreenlet
        _active.append("greenlet")

    _errors = []
    for _patch in (_patch_aiosqlite, _patch_greenlet):
        try:
            _patch()
        except Exception as exc:  # a library that moved: measure what still can be
            _errors.append(f"{_patch.__name__}: {exc!r}")

    def _writer() -> None:
        while True:
            with _lock:
                snapshot = {"active": _active, "errors": _errors, "statements": {k: list(v) for k, v in _statements.items()},
                            **{k: dict(v) for k, v in _totals.items()}}
            tmp = _out.with_suffix(".tmp")
            tmp.write_text(json.dumps(snapshot))
            tmp.replace(_out)
            time.sleep(0.5)

    threading.Thread(target=_writer, name="bench-stages", daemon=True).start()
