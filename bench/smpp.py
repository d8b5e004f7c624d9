"""SMPP channel throughput against the node-smpp peer (a script, not a test).

    .venv/bin/python bench/smpp.py [--messages N] [--windows 1,10,50] [--db sqlite,postgresql] [--no-memory]

Measures submits/s **with every receipt matched** (the clock stops when the
last DeliveryReport reached the events sink) for

* SmppChannel alone: codec, session, window, in-memory matcher, no database;
* SmppChannel with its persistence (``--db``): every batch's carrier ids
  stored as the dispatcher stores them (one transaction per batch) and every
  receipt matched by the DbReceiptMatcher (SQLite file with WAL, or
  PostgreSQL at 127.0.0.1);

then the peer's own ceiling with the barest client: one socket, submit_sm
pipelined from a precomputed template, receipts answered, our codec only.

Each row also gives the bench process's CPU per message (user + system, all
its threads: the channel, the matcher, SQLite's thread; not PostgreSQL's
server processes, not the peer's).  Printed with the cores, the load average
and the commit.

``--baseline COMMIT [--rounds N]`` runs this script once per side, alternately:
against that commit's code (its worktree and venv under /tmp, see
bench/sitting.py) and against this checkout's, and prints the medians and
HEAD / baseline per row.  Should this script not fit the baseline's channel
interface, the baseline's own bench/smpp.py is run instead (same table, no
CPU column).

The full path (API → SMPP channel → peer → receipts → callbacks) is
``bench/pipeline.py --channel smpp``.
"""


from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

# The code under test: this checkout, or the baseline's tree when --baseline runs this script for it.
TREE = Path(os.environ.get("TIDINGS_BENCH_TREE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(TREE))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import sitting

from tidings.channels.base import OutboundMessage
from tidings.channels.smpp.channel import SmppChannel, SmppConfig
from tidings.channels.smpp.pdu import CommandId, Pdu, PduReader, encode

SHARED = sitting.SHARED


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_peer(port: int) -> int:
    out = subprocess.run([str(SHARED / "peers/smsc/start.sh"), str(port), "0", "0"], check=True,
                         capture_output=True, text=True)
    return int(out.stdout.strip())


class Sink:
    def __init__(self, expected: int) -> None:
        self.count = 0
        self.expected = expected
        self.done = asyncio.Event()

    async def on_reports(self, reports) -> None:
        self.count += sum(1 for r in reports if r.message_id is not None)
        if self.count >= self.expected:
            self.done.set()

    async def on_uplinks(self, uplinks) -> None:
        pass


async def bench_channel(port: int, window: int, n: int, batch: int = 500, db=None, name: str = "bench") -> tuple[float, float]:
    """(submits/s with every receipt matched, CPU seconds of this process per message)."""
    sink = Sink(n)
    matcher = None
    if db is not None:
        from tidings.channels.smpp.db_matcher import DbReceiptMatcher

        try:
            from tidings.store.carrier_ids import CarrierIdStore
        except ImportError:  # trees before the matcher read through the pipeline's store
            matcher = DbReceiptMatcher(db, name)
        else:
            matcher = DbReceiptMatcher(CarrierIdStore(db, name))
    ch = SmppChannel(SmppConfig(name=name, port=port, system_id="bench", password="pw", window=window), matcher=matcher)
    await ch.start(sink)
    await ch.wait_bound(10)
    msgs = [OutboundMessage(str(i), "t", "10690000", "8613800138000", f"【华为云】验证码{i:06d}", 1, "sms") for i in range(n)]
    start = time.perf_counter()
    cpu0 = time.process_time()
    # The pipeline hands over batches; keep a few in flight so the window stays full.
    sem = asyncio.Semaphore(4)

    # The dispatcher stores the carrier ids with each batch's outcome (one
    # transaction per batch); trees before 513fc4e had the matcher write them behind.
    store_ids = matcher is not None and not hasattr(matcher, "flush")

    async def one(chunk):
        async with sem:
            results = await ch.submit(chunk)
            assert all(r.ok for r in results), results[:3]
            if store_ids:
                from tidings.store import carrier_ids
                from tidings.timeutil import utcnow

                rows = [(cid, r.message_id, part) for r in results for part, cid in enumerate(r.carrier_message_ids, 1)]
                async with db.write() as session:
                    await carrier_ids.save(session, name, rows, utcnow())

    await asyncio.gather(*(one(msgs[i : i + batch]) for i in range(0, n, batch)))
    await sink.done.wait()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    await ch.stop()
    return n / elapsed, cpu / n


async def bench_raw(port: int, n: int, pipeline: int = 1000) -> tuple[float, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    writer.write(encode(Pdu(CommandId.BIND_TRANSCEIVER, 1, 0, {"system_id": "raw", "password": "pw", "interface_version": 0x34})))
    frames = PduReader()
    while not frames.feed(await reader.read(4096)):
        pass
    template = bytearray(encode(Pdu(CommandId.SUBMIT_SM, 0, 0, {
        "source_addr": "10690000", "destination_addr": "8613800138000", "registered_delivery": 1,
        "short_message": "raw bench".encode("ascii")})))
    resps = receipts = sent = 0
    seq = 1

    def send(count: int) -> None:
        nonlocal sent, seq
        out = bytearray()
        for _ in range(count):
            seq += 1
            struct.pack_into(">I", template, 12, seq)
            out += template
        sent += count
        writer.write(out)

    start = time.perf_counter()
    cpu0 = time.process_time()
    send(min(pipeline, n))
    resp_header = struct.Struct(">IIII")
    while resps < n or receipts < n:
        data = await reader.read(262144)
        if not data:
            raise RuntimeError("peer closed")
        acks = bytearray()
        for pdu in frames.feed(data):
            if pdu.command_id == CommandId.SUBMIT_SM_RESP:
                resps += 1
            elif pdu.command_id == CommandId.DELIVER_SM:
                receipts += 1
                acks += resp_header.pack(17, CommandId.DELIVER_SM_RESP, 0, pdu.sequence_number) + b"\0"
        if acks:
            writer.write(acks)
        room = min(n - sent, pipeline - (sent - resps))
        if room > 0:
            send(room)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    writer.close()
    return n / elapsed, cpu / n


def make_db(kind: str):
    """A fresh, migrated database: (url, cleanup)."""
    import tempfile

    from tidings.store.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='bench-smpp-')) / 'b.db'}"
        cleanup = None
    else:
        from tests.support.harness import create_pg_database, drop_pg_database

        url = create_pg_database()
        cleanup = lambda: drop_pg_database(url)  # noqa: E731 - the cleanup chosen per backend
    upgrade(url)
    return url, cleanup


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--windows", default="1,10,50")
    ap.add_argument("--db", default="sqlite,postgresql", help="persisted configurations to run ('' for none)")
    ap.add_argument("--no-memory", action="store_true", help="skip the in-memory configuration")
    ap.add_argument("--no-raw", action="store_true", help="skip the peer's raw ceiling")
    ap.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                    help="event loop (the server and `tidings worker` run on uvloop)")
    ap.add_argument("--baseline", metavar="COMMIT", help="also run against this commit's code, alternating")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each side (the order alternates)")
    return ap.parse_args(argv)


async def measure(args: argparse.Namespace) -> None:
    port = free_port()
    pid = start_peer(port)
    windows = [int(x) for x in args.windows.split(",")]
    try:
        rows = []
        if not args.no_memory:
            for w in windows:
                n = min(args.messages, 3000) if w == 1 else args.messages
                rows.append((f"SmppChannel window={w}", n, *await bench_channel(port, w, n)))
        for kind in [k for k in args.db.split(",") if k]:
            from tidings.store.db import Database

            url, cleanup = await asyncio.to_thread(make_db, kind)
            db = Database(url)
            try:
                for w in windows:
                    n = min(args.messages, 3000) if w == 1 else args.messages
                    rows.append((f"+ DbReceiptMatcher ({kind}) window={w}", n,
                                 *await bench_channel(port, w, n, db=db, name=f"bench-w{w}")))
            finally:
                await db.dispose()
                if cleanup:
                    await asyncio.to_thread(cleanup)
        if not args.no_raw:
            rows.append(("raw pipelined client (peer ceiling)", args.messages, *await bench_raw(port, args.messages)))
    finally:
        os.kill(pid, signal.SIGTERM)
    print(f"event loop: {type(asyncio.get_running_loop()).__module__}; {sitting.machine()}; code {TREE}")
    print(f"{'setup':<46} {'messages':>9} {'submits/s with receipts':>24} {'CPU µs/msg':>11}")
    for name, n, rate, cpu in rows:
        print(f"{name:<46} {n:>9} {rate:>24,.0f} {cpu * 1e6:>11,.0f}")


# --- --baseline: this script once per side, alternately -----------------------------------------
def parse_table(out: str) -> dict[str, tuple[float, float | None]]:
    """{setup: (submits/s, CPU µs/msg or None)} from a run's table (this
    script's, or an older bench/smpp.py's without the CPU column)."""
    rows: dict[str, tuple[float, float | None]] = {}
    lines = out.splitlines()
    for line in lines[next((i for i, x in enumerate(lines) if x.startswith("setup")), len(lines)) + 1 :]:
        numbers = line[46:].replace(",", "").split()
        if len(numbers) >= 2:
            rows[line[:46].strip()] = (float(numbers[1]), float(numbers[2]) if len(numbers) > 2 else None)
    return rows


def run_side(tree: sitting.Tree, argv: list[str]) -> tuple[dict, str]:
    env = dict(os.environ, TIDINGS_BENCH_TREE=str(tree.path), TIDINGS_SHARED_DIR=str(SHARED))
    env.pop("PYTHONPATH", None)
    done = subprocess.run([tree.python, __file__, *argv], env=env, capture_output=True, text=True)
    how = "this script"
    if done.returncode and tree.label == "baseline":
        # This script may not fit the baseline's channel interface: its own bench then.
        print(f"  (this script failed on the baseline: {done.stderr.strip().splitlines()[-1:]}; running its own bench/smpp.py)")
        done = subprocess.run([tree.python, str(tree.path / "bench/smpp.py"), *argv], env=env, cwd=tree.path,
                              capture_output=True, text=True)
        how = "its own bench/smpp.py"
    if done.returncode:
        raise SystemExit(f"bench/smpp.py failed for {tree.describe()}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return parse_table(done.stdout), how


def alternate(args: argparse.Namespace) -> None:
    argv = sitting.side_args(sys.argv[1:])  # the same options, minus the ones that chose the sides
    head = sitting.current()
    base = sitting.baseline(args.baseline) if args.baseline else None
    print(f"machine: {sitting.machine()}")
    for tree in filter(None, (base, head)):
        print(f"{tree.label}: {tree.describe()}")
    runs: list[tuple[sitting.Tree, dict]] = []
    for i, tree in enumerate(sitting.order(base, head, args.rounds)):
        print(f"== run {i + 1}: {tree.label} {tree.commit}  [load average {sitting.loadavg()}]", flush=True)
        rows, how = run_side(tree, argv)
        for name, (rate, cpu) in rows.items():
            print(f"  {name:<46} {rate:>10,.0f}/s {'' if cpu is None else f'{cpu:>6,.0f} µs/msg'}", flush=True)
        runs.append((tree, rows))
    print(f"== summary, medians  [{sitting.machine()}]  ({how} on the baseline)" if base else f"== summary  [{sitting.machine()}]")
    labels = [t.label for t in filter(None, (base, head))]
    print(f"{'setup':<46}" + "".join(f"{lab + ' /s':>16}" for lab in labels) + (f"{'HEAD/base':>10}" if base else "")
          + "".join(f"{lab + ' µs/msg':>18}" for lab in labels))
    for name in runs[-1][1]:
        rates = [sitting.median([r[name][0] for t, r in runs if t.label == lab and name in r]) for lab in labels]
        cpus = [sitting.median([r[name][1] for t, r in runs if t.label == lab and r.get(name, (0, None))[1] is not None]) for lab in labels]
        line = f"{name:<46}" + "".join(f"{v:>16,.0f}" for v in rates)
        if base:
            line += f"{rates[1] / rates[0]:>9.2f}x"
        line += "".join(f"{c:>18,.0f}" for c in cpus)
        print(line)


if __name__ == "__main__":
    opts = options()
    if opts.baseline or opts.rounds > 1:
        alternate(opts)
    elif opts.loop == "asyncio":
        asyncio.run(measure(opts))
    else:
        import uvloop

        uvloop.run(measure(opts))
