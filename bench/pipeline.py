"""End-to-end pipeline benchmark: HTTP send → dispatch → carrier → delivery
report stored → AIM receipt delivered to a local receiver.

    python bench/pipeline.py                              # sandbox, SQLite, 200,000 messages
    python bench/pipeline.py --backend postgresql         # PostgreSQL at 127.0.0.1:5432
    python bench/pipeline.py --channel smpp --smpp-window 50 --binds 1 --messages 50000
    python bench/pipeline.py --messages 100000 --baseline 77f4a7f --rounds 2
    python bench/pipeline.py --messages 50000 --profile  # + CPU by stage and top functions (py-spy)

It starts its own ``tidings serve`` (fresh data directory and database),
creates a tenant through the admin API and sets it up through the KooMessage
API (filing, application, approved signature and template: the tenant is
auto-approved), registers a batched (url_type 2) receipt URL pointing at an
in-process receiver, then sends batches of 500 distinct numbers signed with
the official SDK's ``Signer``.  The driver keeps at most ``--window`` messages
accepted but not yet called back, so it measures what the pipeline sustains,
not how fast a queue fills.

``--channel smpp`` carries the messages over SMPP instead of the sandbox: the
bench starts the node-smpp peer (``../shared/peers/smsc``, receipts after
``--dlr-delay-ms``), defines an SMPP channel to it through the admin API
(``--smpp-window``, ``--binds``) with a catch-all route, and restarts the
server so it binds (channel definitions take effect at start).

Reported, each with the cores, the load average before and after and the
commit: end to end and sustained messages per second, the accept rate, lost
and duplicated receipts, **server CPU per message** (user + system of the
server and every process it started, from /proc, over the sending window),
the driver's own and the peer's (and PostgreSQL's backends') CPU, p50/p99
latency accept → callback received, the per-stage latencies from the
database's timestamps (accepted → submitted → receipt queued → delivered),
and the server's RSS.  ``--profile`` adds CPU by stage (accept,
dispatch, report intake, callback delivery, ...) from py-spy samples, and the
top functions (bench/stages.py).

``--baseline COMMIT`` runs that commit's server (a worktree and venv under
/tmp, made once: bench/sitting.py) and this checkout's, alternately, ``--rounds``
times each, with this same driver, and prints the medians and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import sitting, stages
from tests.api.sms_support import pdf_bytes, png_bytes
from tests.support.harness import free_port
from tests.support.signer import SdkSigned

PG_ADMIN = os.environ.get("TIDINGS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SMPP_CHANNEL = "bench-smpp"


# --- the server under test -------------------------------------------------------------------
def rss_kb(pids: list[int]) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB of the processes and every process they started
    (the default ``tidings serve`` is a supervisor with API and worker
    children), added up."""
    rss = hwm = 0
    for pid in sitting.tree_pids(*pids):
        try:
            with open(f"/proc/{pid}/status") as f:
                lines = f.readlines()
        except FileNotFoundError:  # ended between the listing and now
            continue
        for line in lines:
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm += int(line.split()[1])
    return rss, hwm


class ServerProcess:
    """``tidings serve`` of one checkout (its own venv), on a fresh database
    (in as many processes as ``processes`` or its default says: the CPU meter
    counts the whole process tree); with ``workers`` > 0, ``tidings api`` and that many ``tidings worker``
    processes instead (after a first ``serve`` has bootstrapped the operator)."""

    def __init__(self, tree: sitting.Tree, backend: str, extra: dict, workers: int = 0, hook: bool = False, processes: int = 0):
        self.tree = tree
        self.backend = backend
        self.workers = workers
        self.data_dir = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
        self.port = free_port()
        self.pg_name = None
        if backend == "postgresql":
            self.pg_name = "tidings_bench_" + uuid.uuid4().hex[:8]
            asyncio.run(self._pg(f'CREATE DATABASE "{self.pg_name}"'))
            self.db_url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + self.pg_name
        else:
            self.db_url = f"sqlite+aiosqlite:///{self.data_dir / 'tidings.db'}"
        self.env = dict(os.environ, TIDINGS_DATA_DIR=str(self.data_dir), TIDINGS_DATABASE_URL=self.db_url, TIDINGS_PORT=str(self.port),
                        TIDINGS_ALLOW_PRIVATE_CALLBACKS="true", TIDINGS_LOG_LEVEL="warning", TIDINGS_EXTRA=json.dumps(extra),
                        TIDINGS_SHARED_DIR=str(sitting.SHARED))
        self.env.pop("PYTHONPATH", None)  # the tree's own venv decides what `tidings` is
        if processes:
            self.env["TIDINGS_PROCESSES"] = str(processes)
        self.hook_base = self.data_dir / "stages"
        if hook:  # bench/hook/sitecustomize.py: database work by stage, measured in the server
            self.env.update(PYTHONPATH=str(Path(__file__).resolve().parent / "hook"), TIDINGS_BENCH_STAGES=str(self.hook_base))
        self.proc: subprocess.Popen | None = None  # the one answering HTTP
        self.procs: list[subprocess.Popen] = []

    async def _pg(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(sql)
        await conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def _spawn(self, *command: str) -> subprocess.Popen:
        with open(self.data_dir / "server.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen([self.tree.python, "-m", "tidings", *command], cwd=self.data_dir, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def start(self, final: bool = False) -> None:
        """``serve``; or, once bootstrapped (``final``) and with workers, ``api`` + workers."""
        split = final and self.workers > 0
        self.proc = self._spawn("api" if split else "serve", "--port", str(self.port))
        if split:
            for _ in range(self.workers):
                self._spawn("worker")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{(self.data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("server did not come up")

    def halt(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def restart(self) -> None:
        self.halt()
        self.start(final=True)

    def bootstrap(self) -> dict:
        return json.loads((self.data_dir / "bootstrap.json").read_text())

    def admin(self) -> httpx.Client:
        op = self.bootstrap()["operator"]
        return httpx.Client(base_url=self.url, auth=SdkSigned(op["access_key"], op["secret_key"]), timeout=30)

    def stop(self) -> None:
        self.halt()
        if self.pg_name:
            asyncio.run(self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.data_dir, ignore_errors=True)


class SmscPeer:
    """The node-smpp peer from ../shared/peers/smsc (not our code)."""

    def __init__(self, dlr_delay_ms: int) -> None:
        self.port = free_port()
        out = subprocess.run([str(sitting.SHARED / "peers/smsc/start.sh"), str(self.port), "0", str(dlr_delay_ms)],
                             check=True, capture_output=True, text=True)
        self.pid = int(out.stdout.strip())

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def configure_smpp(srv: ServerProcess, peer: SmscPeer, args) -> None:
    """One SMPP channel to the peer taking every SMS (a catch-all route), as
    an operator defines it; it binds when the server restarts."""
    config = {"host": "127.0.0.1", "port": peer.port, "system_id": "bench", "window": args.smpp_window, "binds": args.binds}
    with srv.admin() as c:
        r = c.post("/admin/v1/channels", json={"name": SMPP_CHANNEL, "kind": "smpp", "password": "pw", "config": config})
        if r.status_code != 200:
            raise SystemExit(f"defining the SMPP channel: {r.status_code} {r.text}")
        r = c.post("/admin/v1/routes", json={"channel": SMPP_CHANNEL, "product": "sms", "prefix": "", "priority": 10})
        if r.status_code != 200:
            raise SystemExit(f"adding the route: {r.status_code} {r.text}")
    srv.restart()
    deadline = time.monotonic() + 30
    with srv.admin() as c:
        while time.monotonic() < deadline:
            status = c.get(f"/admin/v1/channels/{SMPP_CHANNEL}").json().get("status", {})
            if status.get("bound", 0) >= args.binds:
                return
            if not status.get("running", True):  # an API-only process: the workers bind, unseen from here
                time.sleep(2)
                return
            time.sleep(0.2)
    raise SystemExit(f"the SMPP channel did not bind: {status}")


# --- the callback receiver -----------------------------------------------------------------
class Receiver:
    """A minimal asyncio HTTP/1.1 server (keep-alive) that records when each
    msg_id's receipt arrived, dropping redelivered requests by request_id."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.requests = 0
        self.events = 0
        self._seen: set[str] = set()
        self.changed = asyncio.Event()
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                self._record(body)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the peer closed, or the benchmark is over
        finally:
            writer.close()

    def _record(self, body: bytes) -> None:
        now = time.monotonic()
        self.requests += 1
        env = orjson.loads(body)
        if env["request_id"] in self._seen:
            return
        self._seen.add(env["request_id"])
        items = orjson.loads(env["body"])
        for item in items if isinstance(items, list) else [items]:
            self.events += 1
            self.arrived.setdefault(item["msg_id"], now)
        self.changed.set()


# --- tenant setup through the API ------------------------------------------------------------
# The tests' own sample files, so the bench's uploads pass the same checks the tests' do.
PNG = png_bytes()
PDF = pdf_bytes()


def setup_tenant(srv: ServerProcess, receiver_url: str) -> dict:
    op = srv.bootstrap()["operator"]
    with httpx.Client(base_url=srv.url, auth=SdkSigned(op["access_key"], op["secret_key"]), timeout=30) as admin:
        r = admin.post("/admin/v1/tenants", json={"name": "bench-" + uuid.uuid4().hex[:8], "settings": {"auto_approve": True}})
        r.raise_for_status()
        t = r.json()
    with httpx.Client(base_url=srv.url, auth=SdkSigned(t["access_key"], t["secret_key"]), timeout=30) as c:
        def ok(resp: httpx.Response) -> dict:
            if resp.status_code != 200:
                raise SystemExit(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text}")
            return resp.json()

        cert = ok(c.post("/tidings/v1/filings/files", files={"file": ("licence.pdf", PDF, "application/pdf")}))["file_id"]
        ok(c.put("/tidings/v1/filings/aim.send_task", json={"company_name": "Bench Co., Ltd.", "credit_code": "91310000MA1FL4X123",
                                                         "contact_name": "Bench", "contact_phone": "13800138000", "certificate_file_id": cert}))
        app_id = ok(c.post("/v1/sms/apps", json={"app_name": "bench"}))["app_id"]
        file_id = ok(c.post("/v1/sms/signatures/files", params={"file_desc": "licence"}, files={"file": ("l.png", PNG, "image/png")}))["file_id"]
        sig = ok(c.post("/v1/sms/signatures", json={"signature_name": "压测商城", "signature_type": "NOTIFY_TYPE", "app_id": app_id, "file_id": file_id,
                                                   "signature_source": 0, "is_involved_third": "no"}))["signature_id"]
        channel = ok(c.get(f"/v1/sms/signatures/{sig}"))["channel_num"]
        tpl = ok(c.post("/v1/sms/templates", json={"signature_id": sig, "template_name": "notice", "template_desc": "bench",
                                                   "template_content": "尊敬的${1}，您的订单已发货，请注意查收。",
                                                   "variable_attributes": [
                                                       {"variable_index": 1, "variable_type": "TEXT", "variable_desc": "name"}]}))["template_id"]
        ok(c.post("/v1/aim/callbacks", json={"callback_url": receiver_url, "url_type": 2}))
    return {"ak": t["access_key"], "sk": t["secret_key"], "tenant": t["tenant_name"], "template_id": tpl, "channel_num": channel}


# --- the driver ----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(seconds: float) -> int | None:
    return None if seconds != seconds else round(seconds * 1000)  # NaN: nothing to measure


def pg_backends(db_name: str) -> list[int]:
    """PostgreSQL's server processes serving one database (they run on the same cores)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and f" {db_name} ".encode() in cmd:
                pids.append(int(entry))
    return pids


def own_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def drive(srv: ServerProcess, args, peer: SmscPeer | None, profile_to: Path | None) -> dict:
    rx = Receiver()
    await rx.start()
    t = setup_tenant(srv, f"http://127.0.0.1:{rx.port}/receipts")
    if args.verbose:
        print(f"  server pids {srv.pids}, receiver on port {rx.port}", flush=True)
    accepted_at: dict[str, float] = {}
    sent = 0
    rss_at_100k = None
    peak_rss = 0
    batch = args.batch
    total = args.messages
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    client = httpx.AsyncClient(base_url=srv.url, auth=SdkSigned(t["ak"], t["sk"]), timeout=120, limits=limits)
    lock = asyncio.Lock()
    inflight = 0
    last_accept = 0.0
    stalled = False

    server_cpu = sitting.CpuMeter(srv.pids)
    peer_cpu = sitting.CpuMeter([peer.pid]) if peer else None
    pg_pids = pg_backends(srv.pg_name) if srv.pg_name else []
    profilers = [stages.Profiler(pid, profile_to.with_suffix(f".{i}.txt") if i else profile_to, args.profile_rate)
                 for i, pid in enumerate(srv.pids)] if profile_to else []
    hook_t0 = None
    if profile_to:
        await asyncio.sleep(0.6)  # the hook writes its totals twice a second
        hook_t0 = stages.read_hook(srv.hook_base)
    server_cpu.start()
    if peer_cpu:
        peer_cpu.start()
    pg_t0 = {p: sitting.tree_cpu(p)[0] for p in pg_pids}
    driver_t0 = own_cpu()
    start = time.monotonic()

    async def sender() -> None:
        nonlocal sent, inflight, last_accept
        while True:
            async with lock:
                if sent >= total or stalled:
                    return
                n = min(batch, total - sent)
                first = sent
                sent += n
            if args.rate:
                # Open loop: this batch leaves when the schedule says, whatever the pipeline does.
                delay = start + first / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            # Back-pressure: at most `window` messages accepted (or being
            # accepted) whose receipt has not arrived yet.
            while len(accepted_at) + inflight - len(rx.arrived) + n > args.window:
                rx.changed.clear()
                try:
                    await asyncio.wait_for(rx.changed.wait(), 5)
                except TimeoutError:
                    if stalled:
                        return
            inflight += n
            base = next(counter) * batch
            numbers = [f"13{(base + j) % 10**9:09d}" for j in range(n)]
            body = orjson.dumps({"template_id": t["template_id"], "to": numbers, "template_params": ["客户"]})
            r = await client.post("/v1/aim/sms/messages", content=body, headers={"Content-Type": "application/json"})
            if r.status_code != 200:
                raise SystemExit(f"send failed: {r.status_code} {r.text[:300]}")
            now = time.monotonic()
            for item in r.json()["result"]:
                if item["send_status"] != "000000":
                    raise SystemExit(f"a number was refused: {item}")
                accepted_at[item["msg_id"]] = now
            inflight -= n
            last_accept = now

    async def monitor() -> None:
        nonlocal rss_at_100k, peak_rss, stalled
        last, last_change = 0, time.monotonic()
        while len(rx.arrived) < total:
            await asyncio.sleep(1.0)
            rss, hwm = rss_kb(srv.pids)
            peak_rss = max(peak_rss, hwm)
            done = len(rx.arrived)
            if rss_at_100k is None and done >= 100_000:
                rss_at_100k = rss
            if args.verbose:
                print(f"  t={time.monotonic() - start:6.1f}s accepted={len(accepted_at):>8} called back={done:>8} (+{done - last}/s) rss={rss / 1024:.0f} MB",
                      flush=True)
            if done != last:
                last_change = time.monotonic()
            elif time.monotonic() - last_change > args.stall_seconds:
                print(f"  no receipt for {args.stall_seconds} s: stopping with {total - done} missing", flush=True)
                stalled = True
                return
            last = done

    mon = asyncio.create_task(monitor())
    await asyncio.gather(*(sender() for _ in range(args.concurrency)))
    await mon
    end = time.monotonic()
    cpu_s = server_cpu.stop()
    driver_s = own_cpu() - driver_t0
    peer_s = peer_cpu.stop() if peer_cpu else None
    # A backend that started during the run counts from zero; one that ended is missed.
    pg_s = sum(sitting.tree_cpu(p)[0] - pg_t0.get(p, 0.0) for p in pg_backends(srv.pg_name)) if srv.pg_name else None
    samples = [s for p in profilers for s in p.stop()] if profilers else None
    if hook_t0 is not None:
        await asyncio.sleep(0.6)
        hook = stages.hook_delta(hook_t0, stages.read_hook(srv.hook_base))
    rss_end, hwm = rss_kb(srv.pids)
    await client.aclose()
    rx.server.close()

    done = len(rx.arrived)
    arrivals = sorted(rx.arrived.values()) or [end]
    # Sustained rate: from the moment 10% had been called back to the end.
    warm = arrivals[len(arrivals) // 10]
    sustained = (len(arrivals) - len(arrivals) // 10) / max(1e-9, arrivals[-1] - warm)
    lat = [rx.arrived[m] - a for m, a in accepted_at.items() if m in rx.arrived]
    elapsed = end - start
    per_msg = 1e6 / max(1, done or len(accepted_at))
    result = {
        "messages": total,
        "elapsed_s": round(elapsed, 1),
        "end_to_end_msgs_per_s": round(done / max(1e-9, arrivals[-1] - start)),
        "sustained_msgs_per_s": round(sustained),
        "accept_msgs_per_s": round(len(accepted_at) / max(1e-9, last_accept - start)),
        "lost": total - done,
        "duplicated": rx.events - done,
        "server_cpu_us_per_msg": round(cpu_s * per_msg),
        "server_cpu_cores": round(cpu_s / elapsed, 2),
        "server_processes": server_cpu.processes,
        "driver_cpu_us_per_msg": round(driver_s * per_msg),
        "accept_to_callback_p50_ms": ms(pct(lat, 0.50)),
        "accept_to_callback_p99_ms": ms(pct(lat, 0.99)),
        "callback_requests": rx.requests,
        "rss_at_100k_mb": round(rss_at_100k / 1024, 1) if rss_at_100k else None,
        "rss_end_mb": round(rss_end / 1024, 1),
        "rss_peak_mb": round(max(peak_rss, hwm) / 1024, 1),
    }
    if peer_s is not None:
        result["peer_cpu_us_per_msg"] = round(peer_s * per_msg)
    if pg_s is not None:
        result["postgres_cpu_us_per_msg"] = round(pg_s * per_msg)
    if samples is not None:
        result["_samples"] = samples
        result["_hook"] = hook
    return result


def _dt(v) -> datetime | None:
    return v if not isinstance(v, str) else datetime.fromisoformat(v)


async def stage_latency(db_url: str, sample: int = 50_000) -> dict:
    """Where a message waits, from the database's own timestamps: accepted
    (created_at) → submitted → its receipt queued in the outbox → delivered.
    (``reported_at`` is the carrier's time of the outcome: SMPP's "done date"
    has minutes only, so it is not used.)  Read after the run, so it costs
    the run nothing; a schema that lacks one of them leaves the figures out."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT m.created_at, m.submitted_at, o.created_at, o.delivered_at FROM messages m "
                "JOIN callback_subjects s ON s.subject_id = m.id JOIN callback_outbox o ON o.request_id = s.request_id "
                "LIMIT :n"), {"n": sample})).all()
    except Exception as exc:  # a later schema: say so rather than fail the run
        return {"stage_latency_error": str(exc).splitlines()[0][:200]}
    finally:
        await engine.dispose()
    out: dict = {}
    names = ["accepted", "submitted", "queued", "delivered"]
    for i in range(3):
        span = [(_dt(r[i + 1]) - _dt(r[i])).total_seconds() for r in rows if r[i] is not None and r[i + 1] is not None]
        key = f"{names[i]}_to_{names[i + 1]}"
        out[key + "_p50_ms"] = ms(pct(span, 0.5))
        out[key + "_p99_ms"] = ms(pct(span, 0.99))
    return out


def warnings(log: Path, most: int = 10) -> dict[str, int]:
    """The server's warnings and errors, without their timestamps, counted."""
    seen: Counter = Counter()
    for line in log.read_text(errors="replace").splitlines():
        for level in (" WARNING ", " ERROR ", " CRITICAL "):
            if level in line:
                seen[(level.strip() + " " + line.split(level, 1)[1])[:300]] += 1
    return dict(seen.most_common(most))


async def statuses(db_url: str) -> dict:
    """Where the messages are when some receipts never arrived: how many per
    status, and how many receipts still wait in the outbox."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            msgs = (await conn.execute(text("SELECT status, count(*) FROM messages GROUP BY status"))).all()
            outbox = (await conn.execute(text("SELECT status, count(*), sum(events) FROM callback_outbox GROUP BY status"))).all()
    except Exception as exc:
        return {"statuses_error": str(exc).splitlines()[0][:200]}
    finally:
        await engine.dispose()
    return {"messages_by_status": {s: int(n) for s, n in msgs},
            "outbox_by_status": {s: {"rows": int(n), "events": int(e or 0)} for s, n, e in outbox}}


def run_once(tree: sitting.Tree, args, index: int) -> dict:
    extra = {"sandbox": {"latency_ms": list(args.latency)}}
    load_before = sitting.loadavg()
    peer = SmscPeer(args.dlr_delay_ms) if args.channel == "smpp" else None
    srv = ServerProcess(tree, args.backend, extra, args.workers, hook=args.profile, processes=args.processes)
    profile_to = Path(args.profile_dir) / f"pipeline-{args.channel}-{args.backend}-{tree.label}-{tree.commit}-{index}.txt" if args.profile else None
    try:
        srv.start()
        if peer:
            configure_smpp(srv, peer, args)
        elif args.workers:
            srv.restart()
        result = asyncio.run(drive(srv, args, peer, profile_to))
        result.update(asyncio.run(stage_latency(srv.db_url)))
        if result["lost"]:
            result.update(asyncio.run(statuses(srv.db_url)))
            result["server_warnings"] = warnings(srv.data_dir / "server.log")
    finally:
        srv.stop()
        if peer:
            peer.stop()
    result.update(tree=tree.label, commit=tree.commit, cores=os.cpu_count(), load_before=load_before, load_after=sitting.loadavg())
    if profile_to:
        result["profile"] = str(profile_to)
    return result


def show(res: dict) -> None:
    samples = res.pop("_samples", None)
    hook = res.pop("_hook", None)
    print(json.dumps(res, indent=2), flush=True)
    if samples:
        print(stages.report(samples, res["server_cpu_us_per_msg"], hook=hook, messages=res["messages"] - res["lost"]), flush=True)


KEYS = ["end_to_end_msgs_per_s", "sustained_msgs_per_s", "accept_msgs_per_s", "server_cpu_us_per_msg", "server_cpu_cores", "server_processes",
        "postgres_cpu_us_per_msg", "peer_cpu_us_per_msg", "lost", "accept_to_callback_p50_ms", "accept_to_callback_p99_ms", "rss_end_mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--channel", choices=["sandbox", "smpp"], default="sandbox")
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=500, help="numbers per request (at most 500)")
    ap.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    ap.add_argument("--window", type=int, default=30_000, help="messages accepted but not yet called back, at most")
    ap.add_argument("--rate", type=float, default=0,
                    help="send at this many messages/s (open loop, e.g. half the maximum, for latency) instead of as fast as the window allows")
    ap.add_argument("--latency-ms", default="20,200", help="sandbox receipt latency range")
    ap.add_argument("--workers", type=int, default=0,
                    help="0: one `tidings serve`; N: `tidings api` + N `tidings worker` processes (each worker binds the SMPP channel's binds)")
    ap.add_argument("--processes", type=int, default=0,
                    help="TIDINGS_PROCESSES for `tidings serve` (0: the tree's own default, from the core count since item 3 of issue 22; "
                         "a baseline before it runs one process whatever this says)")
    ap.add_argument("--smpp-window", type=int, default=50, help="SMPP: submits in flight per bind")
    ap.add_argument("--binds", type=int, default=1, help="SMPP: transceiver binds of the channel")
    ap.add_argument("--dlr-delay-ms", type=int, default=500, help="SMPP: the peer sends each receipt this long after the submit")
    ap.add_argument("--baseline", metavar="COMMIT", help="also run this commit's server, alternating with this checkout's")
    ap.add_argument("--code", metavar="COMMIT", help="measure this commit's server instead of this checkout's (e.g. to profile it)")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each side (the order alternates)")
    ap.add_argument("--profile", action="store_true", help="sample the server with py-spy: CPU by stage, top functions")
    ap.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second")
    ap.add_argument("--profile-dir", default="/tmp", help="where py-spy's raw samples are kept")
    ap.add_argument("--stall-seconds", type=int, default=120, help="give up after this long without a receipt")
    ap.add_argument("--json", metavar="FILE", help="append each run's figures to this file (JSON lines)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.latency = tuple(float(x) for x in args.latency_ms.split(","))
    if args.profile:
        stages.py_spy()  # before any server starts: say how to install it when it is missing

    head = sitting.baseline(args.code, "HEAD") if args.code else sitting.current()
    base = sitting.baseline(args.baseline) if args.baseline else None
    print(f"machine: {sitting.machine()}")
    for tree in filter(None, (base, head)):
        print(f"{tree.label}: {tree.describe()}")
    carrier = (f"SMPP to the node-smpp peer, window {args.smpp_window}, {args.binds} bind(s), receipts after {args.dlr_delay_ms} ms"
               if args.channel == "smpp" else f"sandbox, receipt latency {args.latency[0]:.0f}-{args.latency[1]:.0f} ms")
    topology = (f"tidings api + {args.workers} x tidings worker" if args.workers
                else f"tidings serve, TIDINGS_PROCESSES={args.processes or 'default'} (server_processes: the processes measured)")
    print(f"server: {topology}; backend={args.backend} channel: {carrier}; messages={args.messages} batch={args.batch} concurrency={args.concurrency} "
          f"window={args.window}" + (f" rate={args.rate:.0f}/s" if args.rate else ""))
    print("rate limits in force: the defaults, 2000 requests/s and 100000 SMS parts/s per tenant; frequency limits: the defaults "
          "(every number distinct)", flush=True)
    results = []
    for i, tree in enumerate(sitting.order(base, head, args.rounds)):
        print(f"\n== run {i + 1}: {tree.describe()}  [load average {sitting.loadavg()}]", flush=True)
        res = run_once(tree, args, i)
        show(res)
        results.append((tree, res))
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps({**res, "channel": args.channel, "backend": args.backend}) + "\n")
    if base or args.rounds > 1:
        print(f"\n== summary  [{sitting.machine()}]")
        print(sitting.compare(results, KEYS))


if __name__ == "__main__":
    main()
