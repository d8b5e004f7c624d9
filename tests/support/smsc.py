"""A small SMSC for our own tests (not for production), built on our codec and session.

It does what the node-smpp peer cannot: refuse submits with chosen error
statuses, throttle, answer slowly, send receipts with any stat (and before the
submit_sm_resp), drop the connection in the middle of a window, and send
multi-part uplink.  Each submit_sm is handled by a :class:`Plan` chosen by the
test's ``planner(pdu, n)`` (``n`` counts submits from 1).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tidings.channels.smpp.pdu import CommandId, CommandStatus, Pdu
from tidings.channels.smpp.session import Request, Response, Session, Unbound

_RECEIPT_STATE = {"ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8}


@dataclass(slots=True)
class Plan:
    status: int = 0  # submit_sm_resp command_status
    delay: float = 0.0  # seconds before the submit_sm_resp
    receipt: str | None = "DELIVRD"  # stat of the receipt (when registered_delivery asks); None: none
    receipt_first: bool = False  # send the receipt before the submit_sm_resp
    receipt_tlvs: bool = True  # include receipted_message_id / message_state
    receipt_err: str = "000"
    drop: bool = False  # close the connection instead of answering this submit
    answer: bool = True  # False: never answer (a lost response)


Planner = Callable[[Pdu, int], Plan]


class _Conn:
    def __init__(self, server: TestSmsc, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        self.session = Session("smsc")
        self.unanswered = 0
        self.pending: dict[int, asyncio.Future] = {}

    @property
    def can_deliver(self) -> bool:
        return self.session.can_send(CommandId.DELIVER_SM)

    def flush(self) -> None:
        data = self.session.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def request(self, pdu: Pdu) -> asyncio.Future:
        seq = self.session.send(pdu)
        fut = asyncio.get_running_loop().create_future()
        self.pending[seq] = fut
        self.flush()
        return fut

    async def serve(self) -> None:
        try:
            while data := await self.reader.read(65536):
                for ev in self.session.receive(data):
                    if isinstance(ev, Request):
                        await self.on_request(ev.pdu)
                    elif isinstance(ev, Response):
                        fut = self.pending.pop(ev.pdu.sequence_number, None)
                        if fut and not fut.done():
                            fut.set_result(ev.pdu)
                        self.server.responses.append(ev.pdu)
                    elif isinstance(ev, Unbound):
                        self.flush()
                        return
                self.flush()
        except (ConnectionError, OSError):
            pass
        finally:
            for fut in self.pending.values():
                if not fut.done():
                    fut.cancel()
            self.writer.close()
            self.server.conns.discard(self)

    async def on_request(self, pdu: Pdu) -> None:
        server = self.server
        cid = pdu.command_id
        if cid in (CommandId.BIND_TRANSCEIVER, CommandId.BIND_TRANSMITTER, CommandId.BIND_RECEIVER):
            server.binds.append(pdu)
            ok = server.password is None or pdu.params["password"] == server.password
            self.session.send(pdu.response(0 if ok else CommandStatus.ESME_RINVPASWD, system_id="TESTSMSC"))
        elif cid == CommandId.SUBMIT_SM:
            server.submit_count += 1
            server.submits.append(pdu)
            plan = server.planner(pdu, server.submit_count)
            if plan.drop:
                self.flush()
                self.writer.transport.abort()
                return
            self.unanswered += 1
            server.max_unanswered = max(server.max_unanswered, self.unanswered)
            if plan.delay or plan.receipt_first:
                asyncio.get_running_loop().create_task(self.answer_submit(pdu, plan))
            else:
                await self.answer_submit(pdu, plan)
        else:
            self.session.send(pdu.response(CommandStatus.ESME_RINVCMDID))

    async def answer_submit(self, pdu: Pdu, plan: Plan) -> None:
        if not plan.answer:
            return
        message_id = f"{next(self.server.ids):08X}"
        wants_receipt = plan.status == 0 and plan.receipt and pdu.params["registered_delivery"] & 1
        if wants_receipt and plan.receipt_first:
            self.send_receipt(pdu, message_id, plan)
            self.flush()
            await asyncio.sleep(0.01)
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if self.writer.is_closing():
            return
        self.unanswered -= 1
        self.server.answered += 1
        if plan.status == 0:
            self.session.send(pdu.response(0, message_id=message_id))
        else:
            self.session.send(pdu.response(plan.status))
        if wants_receipt and not plan.receipt_first:
            self.send_receipt(pdu, message_id, plan)
        self.flush()

    def send_receipt(self, pdu: Pdu, message_id: str, plan: Plan) -> None:
        if not self.can_deliver:
            return
        now = datetime.now(UTC).strftime("%y%m%d%H%M%S")
        dlvrd = "001" if plan.receipt == "DELIVRD" else "000"
        text = f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{now} done date:{now} stat:{plan.receipt} err:{plan.receipt_err} text:"
        tlvs: dict[str, Any] = {}
        if plan.receipt_tlvs:
            tlvs = {"receipted_message_id": message_id, "message_state": _RECEIPT_STATE.get(plan.receipt or "", 7)}
        self.server.receipts_sent += 1
        self.session.send(Pdu(CommandId.DELIVER_SM, params={
            "source_addr": pdu.params["destination_addr"], "destination_addr": pdu.params["source_addr"],
            "esm_class": 0x04, "short_message": text.encode("ascii"),
        }, tlvs=tlvs))


class TestSmsc:
    """``async with TestSmsc(planner) as smsc:`` then connect to ``smsc.port``."""

    __test__ = False  # not a pytest class

    def __init__(self, planner: Planner | None = None, password: str | None = None) -> None:
        self.planner: Planner = planner or (lambda pdu, n: Plan())
        self.password = password
        self.port = 0
        self.ids = itertools.count(1)
        self.conns: set[_Conn] = set()
        self.binds: list[Pdu] = []
        self.submits: list[Pdu] = []
        self.responses: list[Pdu] = []  # responses the SMSC received (deliver_sm_resp...)
        self.submit_count = 0
        self.answered = 0
        self.receipts_sent = 0
        self.max_unanswered = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> TestSmsc:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    def drop_all(self) -> None:
        for conn in list(self.conns):
            conn.writer.transport.abort()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(self, reader, writer)
        self.conns.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await conn.serve()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll a condition (tests): True once it holds, False at the timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    async def deliver(self, params: dict[str, Any], tlvs: dict[str, Any] | None = None) -> Pdu:
        """Send a deliver_sm on a receiving session and return the ESME's response."""
        if not await self.wait_for(lambda: any(c.can_deliver for c in self.conns)):
            raise RuntimeError("no bound receiver")
        conn = next(c for c in self.conns if c.can_deliver)
        return await conn.request(Pdu(CommandId.DELIVER_SM, params=params, tlvs=tlvs or {}))
