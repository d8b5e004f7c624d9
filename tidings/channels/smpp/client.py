"""The asyncio side of one SMPP bind: a TCP connection driven by a sans-I/O Session.

:class:`SmppClient` keeps one bind (transceiver, transmitter or receiver) up:
connect (TCP_NODELAY), bind, keep alive with enquire_link, detect a dead peer
(an enquire_link or bind left unanswered), reconnect with exponential backoff,
unbind on stop.

Submitting goes through two gates: a **window** (at most ``window`` submits
waiting for their submit_sm_resp) and a **rate cap** (a token bucket of ``mps``
per second with a burst of ``mps/10``).  ESME_RTHROTTLED / ESME_RMSGQFUL pause
this bind's submits (exponential, reset by the next success) and come back as
``transient``.  Every submit ends in exactly one :class:`SubmitOutcome`:

* ``accepted``: the SMSC returned a message_id;
* ``refused``: a final error status (invalid destination...);
* ``transient``: not accepted, a retry may work (throttled, not bound); the PDU
  was either refused by the SMSC or never written to the socket;
* ``unknown``: the PDU was written but no response came (connection dropped or
  response timeout).  The SMSC may or may not have it: the caller decides,
  nothing here retries it.

Inbound deliver_sm/data_sm go to the handler coroutine; the response is sent
only once it returns (so an acknowledged message is a stored one), with the
status it returns (``None``/0 for OK).  If it raises, the answer is
ESME_RX_T_APPN so the SMSC delivers again.  Handlers may return a plain Future:
the channel batches reports that way without a task per PDU.

Writes are coalesced: PDUs queued during one event-loop turn go out in one
``write()``.  Nothing is logged per PDU: this is the hot path.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .pdu import INTERFACE_VERSION, CommandId, CommandStatus, FramingError, Pdu, status_name
from .session import Request, Response, Session, SessionError, Unbound

log = logging.getLogger("tidings.smpp")

BindMode = Literal["trx", "tx", "rx"]
_BIND_COMMAND = {"trx": CommandId.BIND_TRANSCEIVER, "tx": CommandId.BIND_TRANSMITTER, "rx": CommandId.BIND_RECEIVER}

# Not accepted, but another try later may be: SMSC-side congestion or trouble.
TRANSIENT_STATUSES = frozenset({
    CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL, CommandStatus.ESME_RSYSERR,
    CommandStatus.ESME_RX_T_APPN, CommandStatus.ESME_RINVBNDSTS,
})
THROTTLE_STATUSES = frozenset({CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL})

DeliverHandler = Callable[[Pdu], Awaitable[int | None]]


@dataclass(slots=True)
class ClientConfig:
    host: str
    port: int
    system_id: str
    password: str = field(default="", repr=False)
    system_type: str = ""
    mode: BindMode = "trx"
    window: int = 10
    mps: float = 0.0  # submits per second on this bind; 0 = no cap
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""
    connect_timeout: float = 5.0
    bind_timeout: float = 5.0
    response_timeout: float = 10.0  # submit_sm_resp / enquire_link_resp; then: unknown / dead peer
    enquire_link_interval: float = 30.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    throttle_pause: float = 0.2
    throttle_pause_max: float = 5.0
    not_bound_wait: float = 5.0  # how long submit() waits for a bind before answering transient
    stop_timeout: float = 2.0


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class SubmitOutcome:
    outcome: Outcome
    message_id: str | None = None
    command_status: int | None = None
    reason: str = ""

    @property
    def status_name(self) -> str | None:
        return None if self.command_status is None else status_name(self.command_status)


class _Lost:
    """Result of a pending request whose connection went away or timed out."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class BindError(Exception):
    pass


class SmppClient:
    def __init__(self, config: ClientConfig, handler: DeliverHandler | None = None, name: str = "smpp") -> None:
        self.config = config
        self.name = name
        self._handler = handler
        self._session: Session | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, tuple[asyncio.Future, float]] = {}
        self._window = asyncio.Semaphore(config.window)
        self._bound = asyncio.Event()
        self._stopping = False
        self._run_task: asyncio.Task | None = None
        self._flush_scheduled = False
        self._pause_until = 0.0
        self._throttle_pause = config.throttle_pause
        self._next_token = 0.0
        self._handlers_running = 0
        self._handlers_idle = asyncio.Event()
        self._handlers_idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Counters, for tests and metrics.
        self.connects = 0
        self.binds = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def __repr__(self) -> str:
        c = self.config
        return f"SmppClient({self.name!r}, {c.system_id}@{c.host}:{c.port}, mode={c.mode}, bound={self.bound})"

    # ---- lifecycle ---------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self._bound.is_set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._run_task = asyncio.create_task(self._run(), name=f"smpp-{self.name}")

    async def wait_bound(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._bound.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def stop(self) -> None:
        """Answer the deliver_sm in hand, unbind, close.  Submits still waiting get ``unknown``."""
        self._stopping = True
        session, writer = self._session, self._writer
        if session is not None and writer is not None and session.bound:
            try:
                await asyncio.wait_for(self._handlers_idle.wait(), self.config.stop_timeout)
                fut = self._request(Pdu(CommandId.UNBIND), self.config.stop_timeout)
                await fut
            except (TimeoutError, SessionError, ConnectionError, RuntimeError):
                pass
        if self._writer is not None:
            self._writer.close()
        if self._run_task is not None:
            self._run_task.cancel()
            try:
                await self._run_task
            except (asyncio.CancelledError, Exception):
                pass
        self._fail_pending("stopped")

    async def _run(self) -> None:
        delay = self.config.reconnect_min
        while not self._stopping:
            bound_once = False
            try:
                bound_once = await self._connect_and_serve()
            except asyncio.CancelledError:
                raise
            except (TimeoutError, OSError, BindError, FramingError, SessionError) as exc:
                log.warning("smpp %s: connection failed: %s", self.name, exc)
            except Exception:  # never let the reconnect loop die
                log.exception("smpp %s: unexpected error", self.name)
            if self._stopping:
                break
            if bound_once:
                delay = self.config.reconnect_min
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.reconnect_max)

    async def _connect_and_serve(self) -> bool:
        c = self.config
        reader, writer = await asyncio.wait_for(asyncio.open_connection(c.host, c.port), c.connect_timeout)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connects += 1
        session = Session("esme")
        self._session, self._writer = session, writer
        read_task = asyncio.create_task(self._read_loop(reader, session))
        ticker: asyncio.Task | None = None
        bound = False
        try:
            bind = Pdu(_BIND_COMMAND[c.mode], params={
                "system_id": c.system_id, "password": c.password, "system_type": c.system_type,
                "interface_version": INTERFACE_VERSION, "addr_ton": c.addr_ton, "addr_npi": c.addr_npi,
                "address_range": c.address_range,
            })
            ticker = asyncio.create_task(self._ticker(session))
            resp = await self._request(bind, c.bind_timeout)
            if isinstance(resp, _Lost):
                raise BindError(f"bind: {resp.reason}")
            if resp.command_status != 0:
                raise BindError(f"bind refused: {status_name(resp.command_status)}")
            bound = True
            self.binds += 1
            self._throttle_pause = c.throttle_pause
            self._bound.set()
            log.info("smpp %s: bound %s to %s:%s", self.name, c.mode, c.host, c.port)
            await read_task
        finally:
            self._bound.clear()
            for task in (read_task, ticker):
                if task is not None and not task.done():
                    task.cancel()
            self._fail_pending("connection lost")
            session.fail_outstanding()
            writer.close()
            if self._session is session:
                self._session, self._writer = None, None
            if bound:
                log.info("smpp %s: connection to %s:%s closed", self.name, c.host, c.port)
        return bound

    # ---- I/O helpers -------------------------------------------------------

    def _flush(self) -> None:
        self._flush_scheduled = False
        session, writer = self._session, self._writer
        if session is None or writer is None:
            return
        data = session.data_to_send()
        if data and not writer.is_closing():
            writer.write(data)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)  # type: ignore[union-attr]  # the loop is set by start(), before any PDU

    def _request(self, pdu: Pdu, timeout: float) -> asyncio.Future:
        session = self._session
        if session is None:
            raise SessionError("not connected")
        seq = session.send(pdu)
        fut = self._loop.create_future()  # type: ignore[union-attr]  # the loop is set by start(), before any PDU
        self._pending[seq] = (fut, time.monotonic() + timeout)
        self._schedule_flush()
        return fut

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        lost = _Lost(reason)
        for fut, _ in pending.values():
            if not fut.done():
                fut.set_result(lost)

    async def _read_loop(self, reader: asyncio.StreamReader, session: Session) -> None:
        try:
            await self._read(reader, session)
        finally:
            # Whatever waits on this connection learns now, not at its timeout.
            if self._session is session:
                self._fail_pending("connection lost")

    async def _read(self, reader: asyncio.StreamReader, session: Session) -> None:
        pending = self._pending
        while True:
            data = await reader.read(262144)
            if not data:
                return
            for ev in session.receive(data):
                if type(ev) is Response:
                    entry = pending.pop(ev.pdu.sequence_number, None)
                    if entry is not None and not entry[0].done():
                        entry[0].set_result(ev.pdu)
                elif type(ev) is Request:
                    self._on_request(session, ev.pdu)
                elif type(ev) is Unbound:
                    self._flush()
                    return
                else:
                    log.warning("smpp %s: %s", self.name, ev.reason)  # type: ignore[union-attr]  # the remaining event type, ProtocolError, has a reason
            if session._out:
                self._flush()

    async def _ticker(self, session: Session) -> None:
        """Response timeouts, enquire_link keep-alive and dead-peer detection."""
        c = self.config
        tick = max(0.05, min(1.0, c.response_timeout / 4, c.enquire_link_interval / 2))
        last_enquire = time.monotonic()
        enquire: asyncio.Future | None = None
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            expired = [seq for seq, (_, deadline) in self._pending.items() if deadline <= now]
            for seq in expired:
                fut, _ = self._pending.pop(seq)
                if not fut.done():
                    fut.set_result(_Lost("response timeout"))
            if enquire is not None and enquire.done():
                if isinstance(enquire.result(), _Lost):
                    log.warning("smpp %s: peer did not answer enquire_link; reconnecting", self.name)
                    if self._writer is not None:
                        self._writer.transport.abort()
                    return
                enquire = None
            if enquire is None and session.bound and now - last_enquire >= c.enquire_link_interval:
                last_enquire = now
                enquire = self._request(Pdu(CommandId.ENQUIRE_LINK), c.response_timeout)

    # ---- inbound requests --------------------------------------------------

    def _on_request(self, session: Session, pdu: Pdu) -> None:
        cid = pdu.command_id
        if cid in (CommandId.DELIVER_SM, CommandId.DATA_SM):
            if self._handler is None:
                session.send(pdu.response(0, message_id=""))
                return
            try:
                fut = asyncio.ensure_future(self._handler(pdu))
            except Exception:
                log.exception("smpp %s: deliver handler failed", self.name)
                session.send(pdu.response(CommandStatus.ESME_RX_T_APPN))
                return
            self._handlers_running += 1
            self._handlers_idle.clear()
            fut.add_done_callback(lambda f: self._answer(session, pdu, f))
        elif cid == CommandId.ALERT_NOTIFICATION or cid == CommandId.OUTBIND:
            pass  # no response defined; we are already connecting ourselves
        else:
            session.send(pdu.response(CommandStatus.ESME_RINVCMDID))

    def _answer(self, session: Session, pdu: Pdu, fut: asyncio.Future) -> None:
        self._handlers_running -= 1
        if self._handlers_running == 0:
            self._handlers_idle.set()
        status: int
        if fut.cancelled():
            status = CommandStatus.ESME_RX_T_APPN
        elif fut.exception() is not None:
            log.warning("smpp %s: deliver handler failed: %r", self.name, fut.exception())
            status = CommandStatus.ESME_RX_T_APPN
        else:
            status = fut.result() or 0
        if session is not self._session or session.state.value == "closed":
            return  # connection gone: the SMSC will deliver it again
        session.respond_message_id(pdu, status)
        self._schedule_flush()

    # ---- submitting --------------------------------------------------------

    async def _take_token(self) -> None:
        mps = self.config.mps
        now = time.monotonic()
        if self._pause_until > now:
            await asyncio.sleep(self._pause_until - now)
            now = time.monotonic()
        if self._pause_until <= now:
            self._pause_until = 0.0  # lets submit() skip this coroutine while nothing limits
        if mps <= 0:
            return
        interval = 1.0 / mps
        burst = max(1.0, mps / 10)
        # Virtual-time bucket: reserve the next slot; sleep until it comes.
        slot = max(self._next_token, now - (burst - 1) * interval)
        self._next_token = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def submit(self, params: dict[str, Any], tlvs: dict[str, Any] | None = None,
                     command_id: int = CommandId.SUBMIT_SM) -> SubmitOutcome:
        """Submit one submit_sm (or data_sm); see the module docstring for outcomes."""
        if not self._bound.is_set() and not await self.wait_bound(self.config.not_bound_wait):
            return SubmitOutcome(Outcome.TRANSIENT, reason="not bound")
        async with self._window:
            if self.config.mps > 0 or self._pause_until:
                await self._take_token()
            session = self._session
            if session is None or not self._bound.is_set() or not session.can_send(command_id):
                return SubmitOutcome(Outcome.TRANSIENT, reason="not bound")
            pdu = Pdu(command_id, 0, 0, params, tlvs or {})
            try:
                fut = self._request(pdu, self.config.response_timeout)
            except Exception as exc:  # encode error: our fault, never on the wire
                return SubmitOutcome(Outcome.REFUSED, reason=f"cannot encode: {exc}")
            self.in_flight += 1
            if self.in_flight > self.max_in_flight:
                self.max_in_flight = self.in_flight
            try:
                resp = await fut
            finally:
                self.in_flight -= 1
        if isinstance(resp, _Lost):
            return SubmitOutcome(Outcome.UNKNOWN, reason=resp.reason)
        status = resp.command_status
        if status == 0:
            self._throttle_pause = self.config.throttle_pause
            return SubmitOutcome(Outcome.ACCEPTED, resp.params.get("message_id") or "", 0)
        if status in THROTTLE_STATUSES:
            self._pause_until = time.monotonic() + self._throttle_pause
            self._throttle_pause = min(self._throttle_pause * 2, self.config.throttle_pause_max)
        outcome = Outcome.TRANSIENT if status in TRANSIENT_STATUSES else Outcome.REFUSED
        return SubmitOutcome(outcome, None, status, status_name(status))

