"""SMPP session state machine, sans-I/O.

A :class:`Session` is one SMPP connection seen from one side (``esme`` or
``smsc``).  It owns the sequence numbers, the bind state, and the table of
requests still waiting for a response; it turns bytes received into
:class:`Event` objects and PDUs to send into bytes in an outbox.  It does no I/O
and keeps no time: the caller (client.py, server.py, tests) feeds it and drains
:meth:`Session.data_to_send`.

States (SMPP 3.4 §2.2)::

    OPEN --bind--> BINDING --bind_resp OK--> BOUND_TX | BOUND_RX | BOUND_TRX
    BOUND_* --unbind sent--> UNBINDING --unbind_resp--> CLOSED
    BOUND_* --unbind received (answered here)--> CLOSED

What the session answers by itself, so every user gets it right:
enquire_link (enquire_link_resp), unbind (unbind_resp), a PDU whose body is
garbage or whose command is unknown (generic_nack), and a request that is not
legal in the current state (its response with ESME_RINVBNDSTS).  Everything
else becomes an event: responses matched to their request, and requests the
application must answer itself (deliver_sm, submit_sm on the SMSC side...).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .pdu import (
    HEADER,
    NO_RESPONSE,
    RESPONSE_BIT,
    CommandId,
    CommandStatus,
    FramingError,
    Pdu,
    PduReader,
    UndecodablePdu,
    command_name,
    encode,
)

Role = Literal["esme", "smsc"]
MAX_SEQUENCE = 0x7FFFFFFF


class State(enum.Enum):
    OPEN = "open"
    BINDING = "binding"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"
    CLOSED = "closed"


BOUND = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})

# Keyed by int: PDUs carry the command id as a plain int (CommandId is an IntEnum).
_BIND_STATE: dict[int, State] = {
    CommandId.BIND_TRANSMITTER: State.BOUND_TX,
    CommandId.BIND_RECEIVER: State.BOUND_RX,
    CommandId.BIND_TRANSCEIVER: State.BOUND_TRX,
}
_BINDS = frozenset(_BIND_STATE)

# Requests an ESME may send (an SMSC may receive), by state.
_ESME_TX_OPS = frozenset({
    CommandId.SUBMIT_SM, CommandId.SUBMIT_MULTI, CommandId.DATA_SM, CommandId.QUERY_SM,
    CommandId.CANCEL_SM, CommandId.REPLACE_SM,
})
_ALWAYS_BOUND = frozenset({CommandId.ENQUIRE_LINK, CommandId.UNBIND})
ESME_SENDS: dict[State, frozenset[int]] = {
    State.OPEN: _BINDS | {CommandId.ENQUIRE_LINK},
    State.BOUND_TX: _ESME_TX_OPS | _ALWAYS_BOUND,
    State.BOUND_RX: _ALWAYS_BOUND,
    State.BOUND_TRX: _ESME_TX_OPS | _ALWAYS_BOUND,
}
# Requests an SMSC may send (an ESME may receive), by state.
_SMSC_RX_OPS = frozenset({CommandId.DELIVER_SM, CommandId.DATA_SM, CommandId.ALERT_NOTIFICATION})
SMSC_SENDS: dict[State, frozenset[int]] = {
    State.OPEN: frozenset({CommandId.OUTBIND, CommandId.ENQUIRE_LINK}),
    State.BOUND_TX: _ALWAYS_BOUND,
    State.BOUND_RX: _SMSC_RX_OPS | _ALWAYS_BOUND,
    State.BOUND_TRX: _SMSC_RX_OPS | _ALWAYS_BOUND,
}


class SessionError(Exception):
    """The caller tried something the protocol does not allow in this state."""


@dataclass(slots=True)
class Response:
    """A response matched to our request (generic_nack included)."""

    pdu: Pdu
    request_command_id: int


@dataclass(slots=True)
class Request:
    """A request from the peer that the application must handle and answer
    (unless it is one of NO_RESPONSE)."""

    pdu: Pdu


@dataclass(slots=True)
class Unbound:
    """The peer unbound (already answered) or our unbind was answered: close."""

    by_peer: bool


@dataclass(slots=True)
class ProtocolError:
    """Something the peer got wrong that we answered or ignored; for logs."""

    reason: str


Event = Response | Request | Unbound | ProtocolError


class Session:
    __slots__ = ("role", "state", "_seq", "outstanding", "_out", "_reader", "_sends", "_receives", "bound_state_after_bind")

    def __init__(self, role: Role = "esme", strict: bool = False) -> None:
        self.role = role
        self.state = State.OPEN
        self._seq = 0
        self.outstanding: dict[int, int] = {}  # sequence_number -> request command_id
        self._out = bytearray()
        self._reader = PduReader()
        self._sends = ESME_SENDS if role == "esme" else SMSC_SENDS
        self._receives = SMSC_SENDS if role == "esme" else ESME_SENDS
        if role == "esme" and not strict:
            # Some SMSCs (node-smpp among them) send receipts on the transmitter
            # session that submitted.  Refusing them loses the receipt, so accept.
            self._receives = {**SMSC_SENDS, State.BOUND_TX: SMSC_SENDS[State.BOUND_TRX]}
        self.bound_state_after_bind: State | None = None

    # ---- outgoing ----------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self.state in BOUND

    def next_sequence(self) -> int:
        self._seq = 1 if self._seq >= MAX_SEQUENCE else self._seq + 1
        return self._seq

    def can_send(self, command_id: int) -> bool:
        return command_id in self._sends.get(self.state, ())

    def send(self, pdu: Pdu) -> int:
        """Queue a PDU; a request gets the next sequence number (returned)."""
        cid = pdu.command_id
        if cid & RESPONSE_BIT:
            self._out += encode(pdu)
            self._after_sending_response(pdu)
            return pdu.sequence_number
        if not self.can_send(cid):
            raise SessionError(f"{command_name(cid)} not allowed in state {self.state.value}")
        pdu.sequence_number = self.next_sequence()
        self._out += encode(pdu)
        if cid not in NO_RESPONSE:
            self.outstanding[pdu.sequence_number] = cid
        if cid in _BIND_STATE:
            self.state = State.BINDING
            self.bound_state_after_bind = _BIND_STATE[cid]
        elif cid == CommandId.UNBIND:
            self.state = State.UNBINDING
        return pdu.sequence_number

    def respond_message_id(self, request: Pdu, status: int = 0, message_id: str = "") -> None:
        """Answer a deliver_sm/data_sm/submit_sm; hot path, no Pdu object built."""
        body = message_id.encode("latin-1") + b"\0"
        self._out += HEADER.pack(16 + len(body), request.command_id | RESPONSE_BIT, status, request.sequence_number) + body

    def send_raw_request(self, command_id: int, build: Callable[[int], bytes]) -> int:
        """Hot path: ``build(seq)`` returns the encoded PDU (e.g. a precomputed
        submit_sm template); same checks and bookkeeping as :meth:`send`."""
        if command_id not in self._sends.get(self.state, ()):
            raise SessionError(f"{command_name(command_id)} not allowed in state {self.state.value}")
        seq = self.next_sequence()
        self._out += build(seq)
        self.outstanding[seq] = command_id
        return seq

    def _after_sending_response(self, pdu: Pdu) -> None:
        # On the SMSC side the bind completes when we accept it.
        req = pdu.command_id & ~RESPONSE_BIT
        if self.role == "smsc" and req in _BIND_STATE and self.state == State.OPEN and pdu.command_status == 0:
            self.state = _BIND_STATE[req]

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def fail_outstanding(self) -> dict[int, int]:
        """The connection is gone: hand back (and forget) every unanswered request."""
        lost, self.outstanding = self.outstanding, {}
        self.state = State.CLOSED
        return lost

    # ---- incoming ----------------------------------------------------------

    def receive(self, data: bytes) -> list[Event]:
        """Feed bytes; raises FramingError when the stream is beyond repair."""
        events: list[Event] = []
        try:
            items = self._reader.feed(data)
        except FramingError:
            self.state = State.CLOSED
            raise
        for item in items:
            if isinstance(item, UndecodablePdu):
                self._nack(item.sequence_number, item.status)
                events.append(ProtocolError(f"{command_name(item.command_id)}: {item.reason}"))
                continue
            cid = item.command_id
            if cid & RESPONSE_BIT:
                self._on_response(item, events)
            else:
                self._on_request(item, events)
        return events

    def _nack(self, seq: int, status: int) -> None:
        self._out += encode(Pdu(CommandId.GENERIC_NACK, seq, status))

    def _on_response(self, pdu: Pdu, events: list[Event]) -> None:
        request = self.outstanding.pop(pdu.sequence_number, None)
        if request is None:
            # generic_nack for something we never sent, or a late response: nothing to match.
            events.append(ProtocolError(f"unexpected {pdu.name} seq={pdu.sequence_number}"))
            return
        if request in _BIND_STATE and self.state == State.BINDING:
            self.state = self.bound_state_after_bind if pdu.command_status == 0 else State.OPEN  # type: ignore[assignment]  # send() set it when the bind went out
        elif request == CommandId.UNBIND:
            self.state = State.CLOSED
            events.append(Response(pdu, request))
            events.append(Unbound(by_peer=False))
            return
        events.append(Response(pdu, request))

    def _on_request(self, pdu: Pdu, events: list[Event]) -> None:
        cid = pdu.command_id
        if cid == CommandId.ENQUIRE_LINK:
            self._out += encode(Pdu(CommandId.ENQUIRE_LINK_RESP, pdu.sequence_number))
            return
        allowed = self._receives.get(self.state, frozenset())
        if self.state == State.UNBINDING:
            # Still answer what arrives while our unbind is in flight.
            allowed = self._receives[self.bound_state_after_bind or State.BOUND_TRX] if self.role == "esme" else _ALWAYS_BOUND
        if cid == CommandId.UNBIND and (self.state in BOUND or self.state == State.UNBINDING):
            self._out += encode(Pdu(CommandId.UNBIND_RESP, pdu.sequence_number))
            self.state = State.CLOSED
            events.append(Unbound(by_peer=True))
            return
        if cid not in allowed:
            if cid in NO_RESPONSE:
                events.append(ProtocolError(f"{pdu.name} ignored in state {self.state.value}"))
            else:
                status = CommandStatus.ESME_RALYBND if (cid in _BINDS and self.state in BOUND) else CommandStatus.ESME_RINVBNDSTS
                self._out += encode(pdu.response(status))
                events.append(ProtocolError(f"{pdu.name} not allowed in state {self.state.value}"))
            return
        events.append(Request(pdu))
