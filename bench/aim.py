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
* ``validate``: a create request checked and turned into stored pages in this
  process (Pydantic model, tidings/aim/rules.py, tidings/aim/pages.py), over
  the sample request of each of the 29 layouts.
* ``create``: ``POST /v1/aim/templates`` end to end against a real server
  (``--backend sqlite|postgresql``): signed, validated, stored with its makers
  and review item; ``--concurrency`` requests in flight.  Target: >= 300/s.
  Besides throughput the server benches print the server process's CPU per
  request (``/proc/<pid>/stat``) and what that makes per server core: the
  figure that holds still on a shared machine.
* ``material``: ``POST /v1/aim/template-materials`` of a 2 MB PNG (Base64
  stream) against the same server: decoded, sniffed, read by Pillow, ratio
  checked, quota checked, written to disk and recorded.  Target: >= 50/s.
* ``send``: ``POST /v1/aim/send-tasks`` of 100 numbers each (``--send-messages``
  in all, ``--concurrency`` in flight) end to end: links minted, SMS accepted
  as smart messages, dispatched to the sandbox carrier, reported, and every
  ``sms`` receipt (batched, url_type 2) received by a local receiver; the rate
  is messages over the time from the first request to the last receipt.  The
  tenant's smart-message cap (1,000/s by default) is raised for the bench, so
  it measures the pipeline, not the cap.  Target: >= 1,000/s.
* ``flow``: a send flow of ``--flow-numbers`` (default 1,000,000) numbers
  (fallback ``--flow-fallback``, default none) created with ``tidings aim send``
  against the server's database and run by the server's background runner;
  prints the time, the counts and the server's RSS before, at its peak while
  the flow ran and after.  Target: RSS growth < 100 MB.
* ``cardpage``: the card page's HTML of ``/s/{code}`` in this process (the
  parcel public template, 100 recipients in turn, the page with its inlined
  CSS and scripts): what a card-page render costs without HTTP and the
  (cached) reads.  Target: >= 1,500/s, p99 < 50 ms.
* ``delivery``: issue 24's handset half against one server (``--backend``):
  links minted by ``create_resolve_task`` (100 individual links per request,
  ``--links``), ``check_mobile_capability`` (100 numbers per request,
  ``--capability``) and the batch function over 1,000,000 keys in this
  process, card pages ``GET /s/{code}`` (``--pages``), parses through the
  gateway endpoint ``POST /admin/v1/aim/resolves`` on a group link
  (``--parses``, each a new message: a real parse with receipt and meter
  event), click events by beacons of 50 (``--clicks``).  ``cardpage`` opens
  100 recipients' links in turn (a page drawn once is served again for
  5 s); ``cardcold`` opens ``--cold-pages`` links once each (every page
  looked up and drawn).  Targets: links
  >= 10,000/s, numbers >= 20,000/s, pages >= 1,500/s with p99 < 50 ms,
  parses >= 1,000/s, click events >= 5,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import subprocess
import sys
import time
from array import array
from pathlib import Path

# --baseline runs this file again with the baseline's Python and its checkout first on the path
ROOT = Path(os.environ.get("TIDINGS_BENCH_CODE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
RESULTS: dict[str, float] = {}  # what --baseline compares (printed as one JSON line at the end of a run)

from tests.unit.card_fixtures import BENCH_VALUES, ten_components
from tidings.aim.render import render_card, render_document

# This file's own helpers, also when --baseline runs it against an older checkout.
sys.path.insert(1, str(Path(__file__).resolve().parent))
import sitting


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
    # Latencies go into a preallocated array, so the bench's own bookkeeping does
    # not grow the RSS it reports.
    times = array("q", [0]) * n
    samples = [rss_mb()]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    clock = time.perf_counter_ns
    for i in range(1, n + 1):
        t0 = clock()
        render_document(render_card(pages, BENCH_VALUES, resolve, width=360), title="bench")
        times[i - 1] = clock() - t0
        if i % step == 0:
            samples.append(rss_mb())
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    times = sorted(times)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"render  {n:>8} renders  {n / wall:8.0f}/s  p50 {percentile(times, 0.5):6.3f} ms  p99 {percentile(times, 0.99):6.3f} ms"
          f"  max {times[-1] / 1e6:6.2f} ms  CPU {cpu / n * 1e6:5.0f} us/render")
    print(f"        RSS MB every {step}: " + " ".join(f"{s:.1f}" for s in samples)
          + f"  (growth {samples[-1] - samples[1]:+.1f} MB after the first tenth)")


def _timed(label: str, n: int, wall: float, times: list[int], unit: str) -> None:
    times.sort()
    RESULTS[f"{label} rate/s"] = n / wall
    RESULTS[f"{label} p99 ms"] = percentile(times, 0.99)
    print(f"{label:<8}{n:>8} {unit:<9}{n / wall:8.0f}/s  p50 {percentile(times, 0.5):6.3f} ms  p99 {percentile(times, 0.99):6.3f} ms"
          f"  max {times[-1] / 1e6:6.2f} ms")


def bench_validate(args: argparse.Namespace) -> None:
    from tidings.aim import pages, rules
    from tidings.aim.layouts import LAYOUTS
    from tidings.aim.requests import CreateTemplate
    from tidings.aim.samples import sample_request

    bodies = [sample_request(card_id, layout.makers) for card_id, layout in LAYOUTS.items()]
    n = args.creates * 10
    times: list[int] = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter_ns()
        req = CreateTemplate.model_validate(bodies[i % len(bodies)])
        rules.check_create(req)
        pages.to_json(req)
        times.append(time.perf_counter_ns() - t0)
    _timed("validate", n, time.perf_counter() - start, times, "requests")


async def _requests(method: str, calls: list[tuple[str, object]], auth, concurrency: int, check=None) -> tuple[float, list[int]]:
    """``calls`` of (url, json body or None) with ``concurrency`` in flight; latencies in ns."""
    import httpx

    times: list[int] = []
    queue = list(calls)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(auth=auth, timeout=120, limits=limits) as client:

        async def worker() -> None:
            while queue:
                url, body = queue.pop()
                t0 = time.perf_counter_ns()
                r = await client.request(method, url, json=body)
                times.append(time.perf_counter_ns() - t0)
                assert r.status_code == 200, r.text
                if check:
                    check(r)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, times


async def _load(url: str, auth, bodies, concurrency: int) -> tuple[float, list[int]]:
    """``bodies`` POSTed to ``url``."""
    return await _requests("POST", [(url, body) for body in bodies], auth, concurrency)


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of the server: the process and every process
    it started (all their threads), since the default ``tidings serve`` is a
    supervisor whose API and worker children do the work."""
    return sitting.tree_cpu(pid)[0]


def idle_cpu(pid: int, seconds: float = 3.0) -> float:
    """The server's CPU per second when nobody calls it (its background services)."""
    cpu0 = proc_cpu(pid)
    time.sleep(seconds)
    return (proc_cpu(pid) - cpu0) / seconds


def _server_cpu(srv, label: str, n: int, wall: float, cpu: float, idle: float) -> None:
    work = max(cpu - idle * wall, 1e-9)
    RESULTS[f"{label} server CPU ms"] = cpu / n * 1e3
    RESULTS[f"{label} server CPU ms w/o idle"] = work / n * 1e3
    RESULTS[f"{label} /s per server core w/o idle"] = n / work
    print(f"        server CPU {cpu / n * 1e3:6.2f} ms per request ({cpu / wall:4.2f} cores busy; idle services {idle:4.2f} cores), "
          f"{work / n * 1e3:6.2f} ms without them: {n / work:6.0f}/s per server core")


def _with_server(args: argparse.Namespace, fn) -> None:
    from tests.conftest import start_server, stop_server
    from tests.support.signer import SdkSigned

    srv = start_server(args.backend, {"TIDINGS_RATE_REQUESTS_PER_SECOND": "1000000"})
    try:
        creds = srv.create_tenant(settings={"rate_requests_per_second": 1_000_000})
        fn(srv, SdkSigned(creds.access_key, creds.secret_key))
    finally:
        stop_server(srv)


def bench_create(args: argparse.Namespace) -> None:
    from tidings.aim.layouts import LAYOUTS
    from tidings.aim.samples import sample_request

    layouts = list(LAYOUTS)
    bodies = [sample_request(layouts[i % len(layouts)]) for i in range(args.creates)]

    def go(srv, auth) -> None:
        asyncio.run(_load(srv.url + "/v1/aim/templates", auth, bodies[:50], args.concurrency))  # warm up
        idle = idle_cpu(srv.proc.pid)
        cpu0 = proc_cpu(srv.proc.pid)
        wall, times = asyncio.run(_load(srv.url + "/v1/aim/templates", auth, bodies, args.concurrency))
        cpu = proc_cpu(srv.proc.pid) - cpu0
        _timed(f"create/{args.backend[:2]}", len(bodies), wall, times, "templates")
        _server_cpu(srv, f"create/{args.backend[:2]}", len(bodies), wall, cpu, idle)

    _with_server(args, go)


def bench_material(args: argparse.Namespace) -> None:
    import base64
    import io

    from PIL import Image

    side = 816  # raw RGB noise: the PNG cannot compress it, so it is just under 2 MB
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=1)
    data = out.getvalue()
    assert 1.9 * 2**20 < len(data) <= 2 * 2**20, len(data)
    body = {"resource_type": "image", "file_type": "stream", "file_name": "noise.png", "image_rate": "oneToOne",
            "file_stream": "data:image/png;base64," + base64.b64encode(data).decode()}

    def go(srv, auth) -> None:
        asyncio.run(_load(srv.url + "/v1/aim/template-materials", auth, [body] * 5, 2))  # warm up
        idle = idle_cpu(srv.proc.pid)
        cpu0 = proc_cpu(srv.proc.pid)
        wall, times = asyncio.run(_load(srv.url + "/v1/aim/template-materials", auth, [body] * args.materials, args.concurrency))
        cpu = proc_cpu(srv.proc.pid) - cpu0
        _timed(f"mat/{args.backend[:2]}", args.materials, wall, times, f"x{len(data) / 2**20:.2f}MB")
        _server_cpu(srv, f"mat/{args.backend[:2]}", args.materials, wall, cpu, idle)

    _with_server(args, go)


def server_rss_mb(pid: int) -> float:
    """VmRSS of the server's process tree, added up."""
    total = 0
    for member in sitting.tree_pids(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (FileNotFoundError, StopIteration):  # ended, or a zombie without memory
            continue
    return total / 1024


def _send_setup(srv):
    from tests.api.aim_send_support import aim_sender

    s = aim_sender(srv, settings={"rate_requests_per_second": 1_000_000, "rate_messages_per_second": 1_000_000,
                                  "rate_aim_messages_per_second": 1_000_000})
    channel = {"channel_number": s.channel_num, "sms_tpl_id": s.sms_tpl, "sms_sign": s.sign, "sms_app_name": s.app_name}
    return s, channel


def bench_send(args: argparse.Namespace) -> None:
    import json

    from huaweicloudsdkkoomessage.v1 import AddCallBackRequest, AddCallbackRequestBody

    from tests.api.aim_send_support import PARCEL, PARCEL_VALUES
    from tests.conftest import start_server, stop_server
    from tests.support.receiver import Receiver
    from tests.support.signer import SdkSigned

    tasks = args.send_messages // 100
    srv = start_server(args.backend, {"TIDINGS_RATE_REQUESTS_PER_SECOND": "1000000"})
    try:
        s, channel = _send_setup(srv)
        auth = SdkSigned(s.creds.access_key, s.creds.secret_key)
        bodies = [{"task_name": f"bench {t}", "sms_channel": channel,
                   "resolve_task": {"tpl_id": PARCEL, "resolve_times": 1, "aim_code_type": "individual", "expiration_time": 1,
                                    "params": [{"cust_flag": f"139{t:05d}{i:03d}", "dync_params": PARCEL_VALUES, "sms_params": ["客户"]} for i in range(100)]}}
                  for t in range(tasks)]
        with Receiver() as rx:
            s.sdk.add_call_back(AddCallBackRequest(body=AddCallbackRequestBody(callback_url=rx.url("/aim"), url_type=2)))
            idle = idle_cpu(srv.proc.pid)
            cpu0 = proc_cpu(srv.proc.pid)
            start = time.perf_counter()
            accept_wall, times = asyncio.run(_load(srv.url + "/v1/aim/send-tasks", auth, bodies, args.concurrency))
            seen, counted, filled = 0, 0, 0
            deadline = time.monotonic() + 600
            while counted < tasks * 100 and time.monotonic() < deadline:
                got = rx.accepted
                for r in got[seen:]:
                    items = json.loads(r.json()["body"])
                    counted += len(items)
                    filled += sum(1 for i in items if i["tpl_id"] == PARCEL and i["aim_code"] and i["aim_url"].endswith(i["aim_code"]))
                seen = len(got)
                time.sleep(0.05)
            wall = time.perf_counter() - start
            cpu = proc_cpu(srv.proc.pid) - cpu0
        _timed(f"send/{args.backend[:2]}", tasks, accept_wall, times, "tasks of 100 accepted")
        print(f"send/{args.backend[:2]} end to end: {counted:,} receipts ({filled:,} with tpl_id, aim_code, aim_url) of {tasks * 100:,} smart messages "
              f"in {wall:.1f} s: {counted / wall:7.0f} smart messages/s with receipts")
        _server_cpu(srv, "send", tasks * 100, wall, cpu, idle)
        tag = args.backend[:2]
        RESULTS[f"send/{tag} smart messages/s with receipts"] = counted / wall
        RESULTS[f"send/{tag} server CPU us per message"] = cpu / (tasks * 100) * 1e6
        RESULTS[f"send/{tag} messages/s per server core"] = tasks * 100 / max(cpu, 1e-9)
        RESULTS[f"send/{tag} server cores busy"] = cpu / wall
    finally:
        stop_server(srv)


def bench_flow(args: argparse.Namespace) -> None:
    from tests.api.aim_send_support import PARCEL, PARCEL_VALUES
    from tests.conftest import start_server, stop_server

    srv = start_server(args.backend, {"TIDINGS_RATE_REQUESTS_PER_SECOND": "1000000"})
    try:
        s, channel = _send_setup(srv)
        path = Path(srv.data_dir) / "numbers.txt"
        with open(path, "w") as f:
            for i in range(args.flow_numbers):
                f.write(f"13{i:09d}\n")
        time.sleep(2)
        before = server_rss_mb(srv.proc.pid)
        start = time.perf_counter()
        out = srv.cli_json("aim", "send", "--tenant", s.creds.name, "--tpl-id", PARCEL, "--app", s.app_name, "--sign", s.sign,
                           "--channel-number", s.channel_num, "--sms-tpl-id", s.sms_tpl, "--mobiles", str(path), "--fallback", args.flow_fallback,
                           "--sms-param", "客户", *[a for k, v in PARCEL_VALUES.items() for a in ("--param", f"{k}={v}")])
        created = time.perf_counter() - start
        peak = before
        with srv.http(s.creds) as c:
            while True:
                flow = c.get(f"/tidings/v1/aim/send-flows/{out['flow_id']}").json()
                peak = max(peak, server_rss_mb(srv.proc.pid))
                if flow["state"] in ("done", "failed"):
                    break
                time.sleep(1.0)
        wall = time.perf_counter() - start
        time.sleep(2)
        after = server_rss_mb(srv.proc.pid)
        print(f"flow/{args.backend[:2]} {args.flow_numbers:,} numbers, fallback {args.flow_fallback}: {flow['state']} in {wall:.0f} s "
              f"(stored in {created:.1f} s; {args.flow_numbers / wall:,.0f} numbers/s); counts {flow['counts']}, "
              f"support_resolve_count {flow['support_resolve_count']:,}")
        print(f"flow/{args.backend[:2]} server RSS {before:.0f} MB before, {peak:.0f} MB peak while it ran (+{peak - before:.0f} MB), {after:.0f} MB after")
    finally:
        stop_server(srv)


def bench_delivery(args: argparse.Namespace) -> None:
    """Issue 24's handset half against one server: links minted (100 per
    request), capability numbers checked (100 per request, and the batch
    function in this process), card pages rendered, parses through the
    gateway endpoint, click events ingested (50 per beacon)."""
    from tests.api.links_support import PARCEL, PARCEL_VALUES, SIGN, number_of
    from tests.api.sms_support import file_filing
    from tests.support.signer import SdkSigned

    def go(srv, auth) -> None:
        creds = srv.create_tenant(settings={"rate_requests_per_second": 1_000_000, "auto_approve": True})
        file_filing(srv, creds, area="aim.short_link")
        auth = SdkSigned(creds.access_key, creds.secret_key)
        op = srv.operator
        op_auth = SdkSigned(op.access_key, op.secret_key)
        pid, tag = srv.proc.pid, args.backend[:2]
        idle = idle_cpu(pid)  # the server's background services (dispatcher, runners) while nobody calls it
        print(f"        idle services {idle:4.3f} cores")

        def measured(label: str, n: int, unit: str, method: str, calls, a, check=None, per_call: int = 1, warm=None) -> None:
            if not calls:  # --links 0 etc.: that part is skipped
                return
            asyncio.run(_requests(method, calls[:20] if warm is None else warm, a, args.concurrency, check))  # warm up
            cpu0 = proc_cpu(pid)
            wall, times = asyncio.run(_requests(method, calls, a, args.concurrency, check))
            cpu = proc_cpu(pid) - cpu0
            _timed(f"{label}/{tag}", n, wall, times, unit)
            work = max(cpu - idle * wall, 1e-9)
            print(f"        server CPU {cpu / len(calls) * 1e3:6.2f} ms per request: {len(calls) * per_call / max(cpu, 1e-9):8.0f} {unit}/s per server core"
                  f" ({work / len(calls) * 1e3:5.2f} ms, {len(calls) * per_call / work:8.0f}/s without the idle services)")
            RESULTS[f"{label}/{tag} server CPU us"] = cpu / len(calls) * 1e6
            RESULTS[f"{label}/{tag} {unit}/s per core"] = len(calls) * per_call / max(cpu, 1e-9)
            RESULTS[f"{label}/{tag} /s per core w/o idle"] = len(calls) * per_call / work

        # Links: individual, 100 per request, each with its recipient's values.
        requests_ = args.links // 100
        body = lambda i: {"tpl_id": PARCEL, "sms_signs": [SIGN], "resolving_times": 1, "aim_code_type": "individual",  # noqa: E731
                          "expiration_time": 7, "params": [{"cust_flag": f"c{i}-{k}", "dync_params": PARCEL_VALUES} for k in range(100)]}
        calls = [(srv.url + "/v1/aim/resolve-tasks", body(i)) for i in range(requests_ + 20)]
        measured("links", requests_ * 100, "links", "POST", calls[20:], auth, per_call=100)

        # Capability: 100 numbers per request (a few imported rows in the registry).
        numbers = [number_of(None) for _ in range(100)]
        calls = [(srv.url + "/v1/aim/mobile-capabilities/check", {"mobiles": numbers, "tpl_id": PARCEL}) for _ in range(args.capability // 100)]
        measured("capab", args.capability, "numbers", "POST", calls, auth, per_call=100)
        from tidings.aim import capability

        keys = [capability.key_of(f"139{i:08d}") for i in range(1_000_000 if args.capability else 0)]
        t0 = time.perf_counter()
        capability.verdicts(keys, {}, frozenset({"HUAWEI"}))
        if keys:
            print(f"capab/pure {len(keys):>8} numbers {len(keys) / (time.perf_counter() - t0):8.0f}/s  (key_of + sandbox rule, in this process;"
                  f" keys made in advance)")

        # A group link for the card page, the parses and the clicks.
        import httpx

        recipients = {"tpl_id": PARCEL, "sms_signs": [SIGN], "resolving_times": 1, "aim_code_type": "individual", "expiration_time": 7,
                      "params": [{"cust_flag": number_of("HUAWEI"), "dync_params": dict(PARCEL_VALUES, name=f"客户{k}")} for k in range(100)]}
        with httpx.Client(auth=auth, timeout=60) as c:
            pages = c.post(srv.url + "/v1/aim/resolve-tasks", json=recipients).json()["params"]
            link = pages[0]
            tpl = c.post(srv.url + "/v1/aim/templates", json=_plain_body()).json()["data"]["tpl_id"]
            glink = c.post(srv.url + "/v1/aim/resolve-tasks", json={"tpl_id": tpl, "sms_signs": [SIGN], "resolving_times": 10_000_000,
                                                                      "aim_code_type": "group", "expiration_time": 30,
                                                                      "params": [{"cust_flag": "bench"}]}).json()["params"][0]
        calls = [(srv.url + "/s/" + pages[i % len(pages)]["aim_code"], None) for i in range(args.pages)]  # 100 recipients in turn
        measured("cardpage", args.pages, "pages", "GET", calls, None)
        # Each link opened once (an individual link's recipient opening it the first time): no page kept to serve.
        cold = []
        with httpx.Client(auth=auth, timeout=60) as c:
            for _ in range((args.cold_pages + 20 + 99) // 100):
                cold += c.post(srv.url + "/v1/aim/resolve-tasks", json=recipients).json()["params"]
        calls = [(srv.url + "/s/" + p["aim_code"], None) for p in cold[: args.cold_pages + 20]]
        measured("cardcold", args.cold_pages, "pages", "GET", calls[20:], None, warm=calls[:20])

        hw = [number_of("HUAWEI") for _ in range(args.parses + 20)]
        calls = [(srv.url + "/admin/v1/aim/resolves", {"aim_url": glink["aim_url"], "mobile": n, "sms_sign": SIGN, "message_id": f"m{i}"})
                 for i, n in enumerate(hw)]

        def parsed(r) -> None:
            assert r.json()["status"] == 0, r.text
        measured("parses", args.parses, "parses", "POST", calls[20:], op_auth, parsed)

        events = [{"kind": "click", "component": f"button#{k % 7 + 1}:OPEN_URL"} for k in range(50)]
        calls = [(srv.url + f"/s/{link['aim_code']}/events", {"events": events})] * (args.clicks // 50)
        measured("clicks", args.clicks, "events", "POST", calls, None, per_call=50)

    _with_server(args, go)


def _plain_body() -> dict:
    from tidings.aim.samples import sample_request

    body = sample_request("PureText")
    body["pages"][0]["contents"][0]["content"] = "Your offer is here"
    body["params"] = []
    return body


def bench_cardpage(args: argparse.Namespace) -> None:
    """The card page's HTML in this process, as ``/s/{code}`` draws it after its
    (cached) reads: the parcel public template with one of 100 recipients'
    values, the page with its inlined CSS and scripts."""
    from markupsafe import Markup

    from tidings.aim import cardpage, public
    from tidings.aim.preview import resolver
    from tidings.aim.render import CARD_CSS, CARD_JS

    tpl = public.library()["900000001"]
    recipients = [dict(tpl.examples, name=f"客户{k:04d}") for k in range(100)]
    page = cardpage._PAGES.get_template("card_page.html")
    resolve = resolver({})

    def one(values: dict) -> str:
        card = render_card(tpl.pages, values, resolve, width=360)
        return page.render(card=card, title="bench", beacon="/s/x/events", css=Markup(CARD_CSS), js=Markup(CARD_JS),
                           beacon_js=Markup(cardpage.BEACON_JS))

    for i in range(500):
        one(recipients[i % 100])
    n = args.renders // 5
    times = array("q", [0]) * n
    clock = time.perf_counter_ns
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for i in range(n):
        t0 = clock()
        one(recipients[i % 100])
        times[i] = clock() - t0
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    _timed("cardpage", n, wall, list(times), "pages")
    print(f"        CPU {cpu / n * 1e6:5.0f} us/page: {n / cpu:6.0f} pages/s per core")
    RESULTS["cardpage in-process CPU us"] = cpu / n * 1e6
    RESULTS["cardpage in-process pages/s per core"] = n / cpu


BENCHES = {
    "render": bench_render,
    "validate": bench_validate,
    "create": bench_create,
    "material": bench_material,
    "send": bench_send,
    "delivery": bench_delivery,
    "cardpage": bench_cardpage,
    "flow": bench_flow,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="render,validate,create,material", help="comma-separated: " + ", ".join(BENCHES))
    parser.add_argument("--renders", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=2000, help="templates created over HTTP (x10 for validate)")
    parser.add_argument("--materials", type=int, default=200, help="2 MB images uploaded")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP requests in flight")
    parser.add_argument("--send-messages", type=int, default=20_000, help="smart messages sent by send tasks of 100")
    parser.add_argument("--flow-numbers", type=int, default=1_000_000, help="numbers of the send flow")
    parser.add_argument("--flow-fallback", default="none", choices=["none", "sms"])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--links", type=int, default=20_000, help="delivery: links minted, 100 per request")
    parser.add_argument("--capability", type=int, default=100_000, help="delivery: numbers checked, 100 per request")
    parser.add_argument("--pages", type=int, default=5_000, help="delivery: card pages opened")
    parser.add_argument("--cold-pages", type=int, default=2_000, help="delivery: card pages of links opened once each")
    parser.add_argument("--parses", type=int, default=3_000, help="delivery: parses through the gateway endpoint")
    parser.add_argument("--clicks", type=int, default=100_000, help="delivery: click events, 50 per beacon")
    parser.add_argument("--baseline", metavar="COMMIT", help="also run this commit (worktree and venv under /tmp), alternating with this checkout")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: runs of each")
    args = parser.parse_args()
    if args.baseline:
        return sitting_runs(args)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# bench/aim.py  commit {commit}  python {platform.python_version()}  cores {os.cpu_count()}"
          f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name in args.only.split(","):
        BENCHES[name.strip()](args)
    if os.environ.get("TIDINGS_BENCH_CODE"):
        import json

        print("RESULTS " + json.dumps(RESULTS))


def sitting_runs(args: argparse.Namespace) -> None:
    """The same benches against ``--baseline`` and this checkout, alternately
    (B H H B ...), each run in its tree's Python with its tree's code, then
    the medians side by side (bench/sitting.py)."""
    import json

    argv = sitting.side_args(sys.argv[1:])
    base, head = sitting.baseline(args.baseline), sitting.current()
    print(f"machine: {sitting.machine()}")
    results: list[tuple[sitting.Tree, dict]] = []
    for tree in sitting.order(base, head, args.rounds):
        print(f"\n== {tree.describe()}  [load average {sitting.loadavg()}]", flush=True)
        done = subprocess.run([tree.python, str(Path(__file__).resolve()), *argv], env={**os.environ, "TIDINGS_BENCH_CODE": str(tree.path)},
                              capture_output=True, text=True)
        lines = done.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("RESULTS ")), done.stderr[-2000:] if done.returncode else "", flush=True)
        res = next((json.loads(line[8:]) for line in lines if line.startswith("RESULTS ")), {})
        results.append((tree, dict(res, commit=tree.commit)))
    keys = sorted({k for _, r in results for k in r if k != "commit"})
    print(f"\n== summary  [{sitting.machine()}]")
    print(sitting.compare(results, keys))


if __name__ == "__main__":
    main()
