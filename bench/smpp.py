"""SMPP channel throughput against the node-smpp peer (a script, not a test).

    .venv/bin/python bench/smpp.py [--messages N] [--windows 1,10,50] [--db sqlite,postgresql] [--no-memory]

Measures submits/s **with every receipt matched** (the clock stops when the
last DeliveryReport reached the events sink) for

* SmppChannel alone: codec, session, window, in-memory matcher, no database;
* SmppChannel with its persistence (``--db``): the DbReceiptMatcher stores
  every submit's carrier id and matches every receipt through the database
  (SQLite file with WAL, or PostgreSQL at 127.0.0.1), in batches, one
  transaction per batch;

then the peer's own ceiling with the barest client: one socket, submit_sm
pipelined from a precomputed template, receipts answered, our codec only.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tidings.channels.base import OutboundMessage  # noqa: E402
from tidings.channels.smpp.channel import SmppChannel, SmppConfig  # noqa: E402
from tidings.channels.smpp.pdu import CommandId, Pdu, PduReader, encode  # noqa: E402

SHARED = Path(os.environ.get("TIDINGS_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")


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


async def bench_channel(port: int, window: int, n: int, batch: int = 500, db=None, name: str = "bench") -> float:
    sink = Sink(n)
    matcher = None
    if db is not None:
        from tidings.channels.smpp.db_matcher import DbReceiptMatcher

        matcher = DbReceiptMatcher(db, name)
    ch = SmppChannel(SmppConfig(name=name, port=port, system_id="bench", password="pw", window=window), matcher=matcher)
    await ch.start(sink)
    await ch.wait_bound(10)
    msgs = [OutboundMessage(str(i), "t", "10690000", "8613800138000", f"【华为云】验证码{i:06d}", 1) for i in range(n)]
    start = time.perf_counter()
    # The pipeline hands over batches; keep a few in flight so the window stays full.
    sem = asyncio.Semaphore(4)

    async def one(chunk):
        async with sem:
            results = await ch.submit(chunk)
            assert all(r.ok for r in results), results[:3]

    await asyncio.gather(*(one(msgs[i : i + batch]) for i in range(0, n, batch)))
    await sink.done.wait()
    elapsed = time.perf_counter() - start
    await ch.stop()
    return n / elapsed


async def bench_raw(port: int, n: int, pipeline: int = 1000) -> float:
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
    writer.close()
    return n / elapsed


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
        cleanup = lambda: drop_pg_database(url)  # noqa: E731
    upgrade(url)
    return url, cleanup


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--windows", default="1,10,50")
    ap.add_argument("--db", default="sqlite,postgresql", help="persisted configurations to run ('' for none)")
    ap.add_argument("--no-memory", action="store_true", help="skip the in-memory configuration")
    ap.add_argument("--no-raw", action="store_true", help="skip the peer's raw ceiling")
    ap.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                    help="event loop (the server and `tidings worker` run on uvloop)")
    args = ap.parse_args()
    port = free_port()
    pid = start_peer(port)
    windows = [int(x) for x in args.windows.split(",")]
    try:
        rows = []
        if not args.no_memory:
            for w in windows:
                n = min(args.messages, 3000) if w == 1 else args.messages
                rows.append((f"SmppChannel window={w}", n, await bench_channel(port, w, n)))
        for kind in [k for k in args.db.split(",") if k]:
            from tidings.store.db import Database

            url, cleanup = await asyncio.to_thread(make_db, kind)
            db = Database(url)
            try:
                for w in windows:
                    n = min(args.messages, 3000) if w == 1 else args.messages
                    rows.append((f"+ DbReceiptMatcher ({kind}) window={w}", n,
                                 await bench_channel(port, w, n, db=db, name=f"bench-w{w}")))
            finally:
                await db.dispose()
                if cleanup:
                    await asyncio.to_thread(cleanup)
        if not args.no_raw:
            rows.append(("raw pipelined client (peer ceiling)", args.messages, await bench_raw(port, args.messages)))
    finally:
        os.kill(pid, signal.SIGTERM)
    print(f"event loop: {type(asyncio.get_running_loop()).__module__}")
    print(f"{'setup':<46} {'messages':>9} {'submits/s with receipts':>24}")
    for name, n, rate in rows:
        print(f"{name:<46} {n:>9} {rate:>24,.0f}")


if __name__ == "__main__":
    if "--loop" in sys.argv and sys.argv[sys.argv.index("--loop") + 1] == "asyncio":
        asyncio.run(main())
    else:
        import uvloop

        uvloop.run(main())
