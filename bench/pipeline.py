"""End-to-end pipeline benchmark: HTTP send → dispatch → sandbox carrier →
delivery report stored → AIM receipt delivered to a local receiver.

    python bench/pipeline.py                       # SQLite, 200,000 messages
    python bench/pipeline.py --backend postgresql  # PostgreSQL at 127.0.0.1:5432
    python bench/pipeline.py --messages 1000000    # the long run (memory growth)

It starts its own ``tidings serve`` (fresh data directory and database),
creates a tenant through the admin API and sets it up through the KooMessage
API (filing, application, approved signature and template: the tenant is
auto-approved), registers a batched (url_type 2) receipt URL pointing at an
in-process receiver, then sends batches of 500 distinct numbers signed with
the official SDK's ``Signer``.  The driver keeps at most ``--window`` messages
accepted but not yet called back, so it measures what the pipeline sustains,
not how fast a queue fills.

Reported: sustained end-to-end throughput (messages whose receipt reached the
receiver, per second, after a warm-up), p50/p99 latency from accept (the send
response) to the receipt at the receiver, p50/p99 accept→report-stored from
the database, and the server's resident memory (RSS at the 100,000th message,
at the end, and the peak).  Standalone: needs only the packages Tidings and
its tests already use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.harness import free_port  # noqa: E402
from tests.support.signer import SdkSigned  # noqa: E402

PG_ADMIN = os.environ.get("TIDINGS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- the server under test -------------------------------------------------------------------
def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB."""
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


class ServerProcess:
    def __init__(self, backend: str, extra: dict):
        self.backend = backend
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
                        TIDINGS_ALLOW_PRIVATE_CALLBACKS="true", TIDINGS_LOG_LEVEL="warning", TIDINGS_EXTRA=json.dumps(extra))
        self.proc: subprocess.Popen | None = None

    async def _pg(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(sql)
        await conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "tidings", "serve", "--port", str(self.port)], cwd=self.data_dir, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
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

    def bootstrap(self) -> dict:
        return json.loads((self.data_dir / "bootstrap.json").read_text())

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.pg_name:
            asyncio.run(self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.data_dir, ignore_errors=True)


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
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


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
                                                   "variable_attributes": [{"variable_index": 1, "variable_type": "TEXT", "variable_desc": "name"}]}))["template_id"]
        ok(c.post("/v1/aim/callbacks", json={"callback_url": receiver_url, "url_type": 2}))
    return {"ak": t["access_key"], "sk": t["secret_key"], "tenant": t["tenant_name"], "template_id": tpl, "channel_num": channel}


# --- the driver ----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def drive(srv: ServerProcess, args) -> dict:
    rx = Receiver()
    await rx.start()
    t = setup_tenant(srv, f"http://127.0.0.1:{rx.port}/receipts")
    if args.verbose:
        print(f"  server pid {srv.proc.pid}, receiver on port {rx.port}", flush=True)
    accepted_at: dict[str, float] = {}
    sent = 0
    rss_at_100k = None
    peak_rss = 0
    batch = args.batch
    total = args.messages
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    client = httpx.AsyncClient(base_url=srv.url, auth=SdkSigned(t["ak"], t["sk"]), timeout=60, limits=limits)
    start = time.monotonic()
    lock = asyncio.Lock()

    inflight = 0

    async def sender() -> None:
        nonlocal sent, inflight
        while True:
            async with lock:
                if sent >= total:
                    return
                n = min(batch, total - sent)
                sent += n
            # Back-pressure: at most `window` messages accepted (or being
            # accepted) whose receipt has not arrived yet.
            while len(accepted_at) + inflight - len(rx.arrived) + n > args.window:
                rx.changed.clear()
                await rx.changed.wait()
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

    async def monitor() -> None:
        nonlocal rss_at_100k, peak_rss
        last = 0
        while len(rx.arrived) < total:
            await asyncio.sleep(1.0)
            rss, hwm = rss_kb(srv.proc.pid)
            peak_rss = max(peak_rss, hwm)
            done = len(rx.arrived)
            if rss_at_100k is None and done >= 100_000:
                rss_at_100k = rss
            if args.verbose:
                print(f"  t={time.monotonic() - start:6.1f}s accepted={len(accepted_at):>8} called back={done:>8} (+{done - last}/s) rss={rss / 1024:.0f} MB",
                      flush=True)
            last = done

    mon = asyncio.create_task(monitor())
    await asyncio.gather(*(sender() for _ in range(args.concurrency)))
    await mon
    end = time.monotonic()
    rss_end, hwm = rss_kb(srv.proc.pid)
    await client.aclose()
    rx.server.close()

    # Sustained rate: from the moment 10% had been called back to the end.
    arrivals = sorted(rx.arrived.values())
    warm = arrivals[len(arrivals) // 10]
    sustained = (len(arrivals) - len(arrivals) // 10) / max(1e-9, arrivals[-1] - warm)
    lat = [rx.arrived[m] - a for m, a in accepted_at.items() if m in rx.arrived]
    return {
        "messages": total,
        "elapsed_s": round(end - start, 1),
        "end_to_end_msgs_per_s": round(total / (arrivals[-1] - start)),
        "sustained_msgs_per_s": round(sustained),
        "accept_to_callback_p50_ms": round(pct(lat, 0.50) * 1000),
        "accept_to_callback_p99_ms": round(pct(lat, 0.99) * 1000),
        "callback_requests": rx.requests,
        "receipt_events": rx.events,
        "rss_at_100k_mb": round(rss_at_100k / 1024, 1) if rss_at_100k else None,
        "rss_end_mb": round(rss_end / 1024, 1),
        "rss_peak_mb": round(max(peak_rss, hwm) / 1024, 1),
        "tenant": t["tenant"],
    }


async def report_latency(db_url: str, sample: int = 200_000) -> dict:
    """accept→report stored, from the database (created_at → reported_at)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT created_at, reported_at FROM messages WHERE reported_at IS NOT NULL LIMIT :n"), {"n": sample})).all()
    await engine.dispose()

    def as_dt(v):
        from datetime import datetime

        return v if not isinstance(v, str) else datetime.fromisoformat(v)

    lat = [(as_dt(r) - as_dt(c)).total_seconds() for c, r in rows]
    return {"accept_to_report_p50_ms": round(pct(lat, 0.5) * 1000), "accept_to_report_p99_ms": round(pct(lat, 0.99) * 1000)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=500, help="numbers per request (at most 500)")
    ap.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    ap.add_argument("--window", type=int, default=30_000, help="messages accepted but not yet called back, at most")
    ap.add_argument("--latency-ms", default="20,200", help="sandbox receipt latency range")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    lo, hi = (float(x) for x in args.latency_ms.split(","))
    extra = {"sandbox": {"latency_ms": [lo, hi]}}
    srv = ServerProcess(args.backend, extra)
    try:
        srv.start()
        limits = {"rate_requests_per_second": 2000.0, "rate_messages_per_second": 100_000.0}  # Settings defaults (tidings/config.py)
        print(f"backend={args.backend} messages={args.messages} batch={args.batch} concurrency={args.concurrency} window={args.window} "
              f"sandbox latency={lo:.0f}-{hi:.0f} ms cores={os.cpu_count()}")
        print(f"rate limits in force: {limits['rate_requests_per_second']:.0f} requests/s, {limits['rate_messages_per_second']:.0f} SMS parts/s per tenant; "
              "frequency limits: defaults (every number distinct)")
        result = asyncio.run(drive(srv, args))
        result.update(asyncio.run(report_latency(srv.db_url)))
        print(json.dumps(result, indent=2))
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
