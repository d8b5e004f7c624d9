"""Smart-message (AIM) templates: speed figures of issue 23 (a script, not a test).

    .venv/bin/python bench/aim.py [--only render[,...]] [--renders N]

Each bench is a function in BENCHES printing one row: what, rate, p50 / p99
latency, and where it matters the process's RSS.  Add a bench by writing a
function ``(args) -> None`` and listing it in BENCHES; ``--only`` picks some.

* ``render``: the card renderer (tidings/aim/render.py) drawing the preview of
  a 10-component template with 7 variables, card + standalone page (what
  ``/aim/preview/{tpl_id}`` does after its database read), in this process,
  one render at a time; RSS sampled every 10 % of ``--renders`` (default
  100,000) to show it stays flat.  Target: >= 1,500/s, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.card_fixtures import BENCH_VALUES, ten_components  # noqa: E402
from tidings.aim.render import render_card, render_document  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1e6


def bench_render(args: argparse.Namespace) -> None:
    pages = ten_components()
    resolve = {"https://img.example.com/banner.png": "/m/banner", "https://img.example.com/logo.png": "/m/logo"}.get
    for _ in range(500):  # warm up: Jinja's compiled template, caches
        render_document(render_card(pages, BENCH_VALUES, resolve, width=360), title="bench")
    n = args.renders
    step = max(1, n // 10)
    samples = [rss_mb()]
    times: list[int] = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    clock = time.perf_counter_ns
    for i in range(1, n + 1):
        t0 = clock()
        render_document(render_card(pages, BENCH_VALUES, resolve, width=360), title="bench")
        times.append(clock() - t0)
        if i % step == 0:
            samples.append(rss_mb())
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    times.sort()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"render  {n:>8} renders  {n / wall:8.0f}/s  p50 {percentile(times, 0.5):6.3f} ms  p99 {percentile(times, 0.99):6.3f} ms"
          f"  max {times[-1] / 1e6:6.2f} ms  CPU {cpu / n * 1e6:5.0f} us/render")
    print(f"        RSS MB every {step}: " + " ".join(f"{s:.1f}" for s in samples)
          + f"  (growth {samples[-1] - samples[1]:+.1f} MB after the first tenth)")


BENCHES = {
    "render": bench_render,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ", ".join(BENCHES))
    parser.add_argument("--renders", type=int, default=100_000)
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# bench/aim.py  commit {commit}  python {platform.python_version()}  cores {os.cpu_count()}"
          f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name in args.only.split(","):
        BENCHES[name.strip()](args)


if __name__ == "__main__":
    main()
