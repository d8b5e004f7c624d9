"""SMPP 3.4 PDU codec, sans-I/O.

Every PDU is one :class:`Pdu`: the 16-octet header (command_id, command_status,
sequence_number), the mandatory parameters by name in ``params``, the standard
optional parameters (TLVs) decoded by name in ``tlvs``, and any TLV we do not
know kept raw in ``unknown_tlvs`` so it is re-encoded unchanged.

The body layout of each command is a table (:data:`BODIES`) read by one generic
encoder and decoder; missing parameters encode as their zero value, so callers
only name what they set.  Responses that come back with a non-zero
command_status usually have no body (SMPP 3.4 §4): the decoder then fills the
defaults instead of failing.

:class:`PduReader` does the framing: feed it bytes as they arrive, it returns
the whole PDUs they complete.  A PDU whose body cannot be decoded becomes an
:class:`UndecodablePdu` (the session answers it with generic_nack and carries
on, since the framing is intact); an absurd command_length raises
:class:`FramingError` (the stream cannot be trusted any more: close it).
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HEADER = struct.Struct(">IIII")
_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_TLV_HEAD = struct.Struct(">HH")

# Large enough for a 64 KiB message_payload plus headers; anything bigger is garbage.
MAX_COMMAND_LENGTH = 70_000
INTERFACE_VERSION = 0x34


class CommandId(enum.IntEnum):
    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    SUBMIT_MULTI = 0x00000021
    SUBMIT_MULTI_RESP = 0x80000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103


RESPONSE_BIT = 0x80000000
# Requests that have no response PDU.
NO_RESPONSE = frozenset({CommandId.OUTBIND, CommandId.ALERT_NOTIFICATION, CommandId.GENERIC_NACK})


def is_response(command_id: int) -> bool:
    return bool(command_id & RESPONSE_BIT)


class CommandStatus(enum.IntEnum):
    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF


_STATUS_NAMES = {s.value: s.name for s in CommandStatus}
_COMMAND_NAMES = {c.value: c.name.lower() for c in CommandId}


def status_name(status: int) -> str:
    """Name of a command_status; vendor-specific values show as hex."""
    return _STATUS_NAMES.get(status) or f"0x{status:08X}"


def command_name(command_id: int) -> str:
    return _COMMAND_NAMES.get(command_id) or f"0x{command_id:08X}"


# ---- body layouts -----------------------------------------------------------
# Field kinds: ("C", max) c-octet string, max including the NUL; "I1"/"I2"/"I4"
# integers; "SM" sm_length + short_message; "DESTS" submit_multi destinations;
# "UNSUCC" submit_multi_resp failures.
Field = tuple[str, str, int]

_BIND: list[Field] = [
    ("system_id", "C", 16), ("password", "C", 9), ("system_type", "C", 13),
    ("interface_version", "I1", 0), ("addr_ton", "I1", 0), ("addr_npi", "I1", 0), ("address_range", "C", 41),
]
_SM: list[Field] = [
    ("service_type", "C", 6), ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 21),
    ("dest_addr_ton", "I1", 0), ("dest_addr_npi", "I1", 0), ("destination_addr", "C", 21),
    ("esm_class", "I1", 0), ("protocol_id", "I1", 0), ("priority_flag", "I1", 0),
    ("schedule_delivery_time", "C", 17), ("validity_period", "C", 17), ("registered_delivery", "I1", 0),
    ("replace_if_present_flag", "I1", 0), ("data_coding", "I1", 0), ("sm_default_msg_id", "I1", 0),
    ("short_message", "SM", 254),
]
_MSGID: list[Field] = [("message_id", "C", 65)]

BODIES: dict[int, list[Field]] = {
    CommandId.GENERIC_NACK: [],
    CommandId.BIND_RECEIVER: _BIND,
    CommandId.BIND_TRANSMITTER: _BIND,
    CommandId.BIND_TRANSCEIVER: _BIND,
    CommandId.BIND_RECEIVER_RESP: [("system_id", "C", 16)],
    CommandId.BIND_TRANSMITTER_RESP: [("system_id", "C", 16)],
    CommandId.BIND_TRANSCEIVER_RESP: [("system_id", "C", 16)],
    CommandId.OUTBIND: [("system_id", "C", 16), ("password", "C", 9)],
    CommandId.UNBIND: [],
    CommandId.UNBIND_RESP: [],
    CommandId.ENQUIRE_LINK: [],
    CommandId.ENQUIRE_LINK_RESP: [],
    CommandId.SUBMIT_SM: _SM,
    CommandId.SUBMIT_SM_RESP: _MSGID,
    CommandId.DELIVER_SM: _SM,
    CommandId.DELIVER_SM_RESP: _MSGID,
    CommandId.SUBMIT_MULTI: [
        ("service_type", "C", 6), ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0),
        ("source_addr", "C", 21), ("dest_addresses", "DESTS", 0),
        *_SM[7:],
    ],
    CommandId.SUBMIT_MULTI_RESP: [("message_id", "C", 65), ("unsuccess_smes", "UNSUCC", 0)],
    CommandId.DATA_SM: [
        ("service_type", "C", 6), ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 65),
        ("dest_addr_ton", "I1", 0), ("dest_addr_npi", "I1", 0), ("destination_addr", "C", 65),
        ("esm_class", "I1", 0), ("registered_delivery", "I1", 0), ("data_coding", "I1", 0),
    ],
    CommandId.DATA_SM_RESP: _MSGID,
    CommandId.QUERY_SM: [
        ("message_id", "C", 65), ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 21),
    ],
    CommandId.QUERY_SM_RESP: [
        ("message_id", "C", 65), ("final_date", "C", 17), ("message_state", "I1", 0), ("error_code", "I1", 0),
    ],
    CommandId.CANCEL_SM: [
        ("service_type", "C", 6), ("message_id", "C", 65),
        ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 21),
        ("dest_addr_ton", "I1", 0), ("dest_addr_npi", "I1", 0), ("destination_addr", "C", 21),
    ],
    CommandId.CANCEL_SM_RESP: [],
    CommandId.REPLACE_SM: [
        ("message_id", "C", 65), ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 21),
        ("schedule_delivery_time", "C", 17), ("validity_period", "C", 17), ("registered_delivery", "I1", 0),
        ("sm_default_msg_id", "I1", 0), ("short_message", "SM", 254),
    ],
    CommandId.REPLACE_SM_RESP: [],
    CommandId.ALERT_NOTIFICATION: [
        ("source_addr_ton", "I1", 0), ("source_addr_npi", "I1", 0), ("source_addr", "C", 65),
        ("esme_addr_ton", "I1", 0), ("esme_addr_npi", "I1", 0), ("esme_addr", "C", 65),
    ],
}

_DEFAULTS = {"C": "", "I1": 0, "I2": 0, "I4": 0, "SM": b"", "DESTS": (), "UNSUCC": ()}


# ---- TLVs -------------------------------------------------------------------
# Kinds: I1/I2/I4 integers, C c-octet string, O octet string, E no value.
class Tag(enum.IntEnum):
    dest_addr_subunit = 0x0005
    dest_network_type = 0x0006
    dest_bearer_type = 0x0007
    dest_telematics_id = 0x0008
    source_addr_subunit = 0x000D
    source_network_type = 0x000E
    source_bearer_type = 0x000F
    source_telematics_id = 0x0010
    qos_time_to_live = 0x0017
    payload_type = 0x0019
    additional_status_info_text = 0x001D
    receipted_message_id = 0x001E
    ms_msg_wait_facilities = 0x0030
    privacy_indicator = 0x0201
    source_subaddress = 0x0202
    dest_subaddress = 0x0203
    user_message_reference = 0x0204
    user_response_code = 0x0205
    source_port = 0x020A
    destination_port = 0x020B
    sar_msg_ref_num = 0x020C
    language_indicator = 0x020D
    sar_total_segments = 0x020E
    sar_segment_seqnum = 0x020F
    sc_interface_version = 0x0210
    callback_num_pres_ind = 0x0302
    callback_num_atag = 0x0303
    number_of_messages = 0x0304
    callback_num = 0x0381
    dpf_result = 0x0420
    set_dpf = 0x0421
    ms_availability_status = 0x0422
    network_error_code = 0x0423
    message_payload = 0x0424
    delivery_failure_reason = 0x0425
    more_messages_to_send = 0x0426
    message_state = 0x0427
    ussd_service_op = 0x0501
    display_time = 0x1201
    sms_signal = 0x1203
    ms_validity = 0x1204
    alert_on_message_delivery = 0x130C
    its_reply_type = 0x1380
    its_session_info = 0x1383


_TLV_KINDS: dict[str, str] = {
    "dest_addr_subunit": "I1", "dest_network_type": "I1", "dest_bearer_type": "I1", "dest_telematics_id": "I2",
    "source_addr_subunit": "I1", "source_network_type": "I1", "source_bearer_type": "I1",
    "source_telematics_id": "I2", "qos_time_to_live": "I4", "payload_type": "I1",
    "additional_status_info_text": "C", "receipted_message_id": "C", "ms_msg_wait_facilities": "I1",
    "privacy_indicator": "I1", "source_subaddress": "O", "dest_subaddress": "O", "user_message_reference": "I2",
    "user_response_code": "I1", "source_port": "I2", "destination_port": "I2", "sar_msg_ref_num": "I2",
    "language_indicator": "I1", "sar_total_segments": "I1", "sar_segment_seqnum": "I1",
    "sc_interface_version": "I1", "callback_num_pres_ind": "I1", "callback_num_atag": "O",
    "number_of_messages": "I1", "callback_num": "O", "dpf_result": "I1", "set_dpf": "I1",
    "ms_availability_status": "I1", "network_error_code": "O", "message_payload": "O",
    "delivery_failure_reason": "I1", "more_messages_to_send": "I1", "message_state": "I1",
    "ussd_service_op": "O", "display_time": "I1", "sms_signal": "I2", "ms_validity": "I1",
    "alert_on_message_delivery": "E", "its_reply_type": "I1", "its_session_info": "O",
}
_TLV_BY_TAG: dict[int, tuple[str, str]] = {t.value: (t.name, _TLV_KINDS[t.name]) for t in Tag}
_TLV_BY_NAME: dict[str, tuple[int, str]] = {t.name: (t.value, _TLV_KINDS[t.name]) for t in Tag}
_INT_WIDTH = {"I1": 1, "I2": 2, "I4": 4}


class PduError(Exception):
    """A PDU body that cannot be decoded or encoded."""

    def __init__(self, message: str, status: int = CommandStatus.ESME_RSYSERR) -> None:
        super().__init__(message)
        self.status = status


class FramingError(PduError):
    """The byte stream is not SMPP (absurd command_length): close the connection."""


@dataclass(slots=True)
class Pdu:
    command_id: int
    sequence_number: int = 0
    command_status: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    tlvs: dict[str, Any] = field(default_factory=dict)
    unknown_tlvs: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return command_name(self.command_id)

    def get(self, key: str, default: Any = None) -> Any:
        """A mandatory parameter or a TLV by name."""
        if key in self.params:
            return self.params[key]
        return self.tlvs.get(key, default)

    def response(self, status: int = 0, **params: Any) -> Pdu:
        """The response PDU to this request (same sequence_number)."""
        return Pdu(self.command_id | RESPONSE_BIT, self.sequence_number, status, params)

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "password" else v) for k, v in self.params.items()}
        return (
            f"Pdu({self.name}, seq={self.sequence_number}, status={status_name(self.command_status)}, "
            f"params={shown}, tlvs={self.tlvs}, unknown_tlvs={self.unknown_tlvs})"
        )


@dataclass(slots=True)
class UndecodablePdu:
    """A correctly framed PDU whose body is garbage; answer with generic_nack/``status``."""

    command_id: int
    sequence_number: int
    status: int
    reason: str


# ---- encoding -----------------------------------------------------------------


def _cstr(value: Any, maxlen: int, name: str) -> bytes:
    raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    if len(raw) >= maxlen:
        raise PduError(f"{name} longer than {maxlen - 1} octets", CommandStatus.ESME_RINVPARLEN)
    return raw + b"\0"


def _encode_tlv(name: str, value: Any) -> bytes:
    try:
        tag, kind = _TLV_BY_NAME[name]
    except KeyError:
        raise PduError(f"unknown TLV name {name!r}") from None
    if kind in _INT_WIDTH:
        raw = int(value).to_bytes(_INT_WIDTH[kind], "big")
    elif kind == "C":
        raw = (value.encode("latin-1") if isinstance(value, str) else bytes(value)) + b"\0"
    elif kind == "E":
        raw = b""
    else:
        raw = bytes(value)
    return _TLV_HEAD.pack(tag, len(raw)) + raw


def encode_body(command_id: int, params: dict[str, Any]) -> bytes:
    try:
        layout = BODIES[command_id]
    except KeyError:
        raise PduError(f"unknown command_id 0x{command_id:08X}", CommandStatus.ESME_RINVCMDID) from None
    out: list[bytes] = []
    for name, kind, size in layout:
        value = params.get(name, _DEFAULTS[kind])
        if kind == "C":
            out.append(_cstr(value, size, name))
        elif kind == "I1":
            out.append(_U8.pack(value))
        elif kind == "SM":
            if len(value) > 254:
                raise PduError("short_message longer than 254 octets (use message_payload)", CommandStatus.ESME_RINVMSGLEN)
            out.append(_U8.pack(len(value)))
            out.append(bytes(value))
        elif kind == "DESTS":
            out.append(_U8.pack(len(value)))
            for dest in value:
                if "dl_name" in dest:
                    out.append(b"\x02" + _cstr(dest["dl_name"], 21, "dl_name"))
                else:
                    out.append(_U8.pack(1) + bytes((dest.get("dest_addr_ton", 0), dest.get("dest_addr_npi", 0))))
                    out.append(_cstr(dest.get("destination_addr", ""), 21, "destination_addr"))
        elif kind == "UNSUCC":
            out.append(_U8.pack(len(value)))
            for sme in value:
                out.append(bytes((sme.get("dest_addr_ton", 0), sme.get("dest_addr_npi", 0))))
                out.append(_cstr(sme.get("destination_addr", ""), 21, "destination_addr"))
                out.append(_U32.pack(sme.get("error_status_code", 0)))
        else:  # pragma: no cover - layouts only use the kinds above
            raise AssertionError(kind)
    return b"".join(out)


def _encode_sm_body(p: dict[str, Any]) -> bytes:
    """submit_sm / deliver_sm body, unrolled: this is the hot path."""
    g = p.get
    sm = g("short_message", b"")
    if len(sm) > 254:
        raise PduError("short_message longer than 254 octets (use message_payload)", CommandStatus.ESME_RINVMSGLEN)
    return b"".join((
        _cstr(g("service_type", ""), 6, "service_type"),
        bytes((g("source_addr_ton", 0), g("source_addr_npi", 0))),
        _cstr(g("source_addr", ""), 21, "source_addr"),
        bytes((g("dest_addr_ton", 0), g("dest_addr_npi", 0))),
        _cstr(g("destination_addr", ""), 21, "destination_addr"),
        bytes((g("esm_class", 0), g("protocol_id", 0), g("priority_flag", 0))),
        _cstr(g("schedule_delivery_time", ""), 17, "schedule_delivery_time"),
        _cstr(g("validity_period", ""), 17, "validity_period"),
        bytes((g("registered_delivery", 0), g("replace_if_present_flag", 0), g("data_coding", 0),
               g("sm_default_msg_id", 0), len(sm))),
        sm,
    ))


_SM_COMMANDS = frozenset({CommandId.SUBMIT_SM, CommandId.DELIVER_SM})


def encode(pdu: Pdu) -> bytes:
    cid = pdu.command_id
    if cid in _SM_COMMANDS:
        body = _encode_sm_body(pdu.params)
    elif pdu.command_status and cid & RESPONSE_BIT and not pdu.params:
        # A response with an error status carries no body (SMPP 3.4 §4.1.x).
        body = b""
    else:
        body = encode_body(pdu.command_id, pdu.params)
    if pdu.tlvs or pdu.unknown_tlvs:
        extra = [_encode_tlv(k, v) for k, v in pdu.tlvs.items()]
        extra += [_TLV_HEAD.pack(tag, len(raw)) + raw for tag, raw in pdu.unknown_tlvs]
        body += b"".join(extra)
    return HEADER.pack(16 + len(body), pdu.command_id, pdu.command_status, pdu.sequence_number) + body


# ---- decoding -----------------------------------------------------------------


def _read_cstr(body: bytes, pos: int, maxlen: int, name: str) -> tuple[str, int]:
    end = body.find(b"\0", pos, pos + maxlen)
    if end < 0:
        raise PduError(f"{name}: missing NUL or too long", CommandStatus.ESME_RINVPARLEN)
    return body[pos:end].decode("latin-1"), end + 1


def _decode_sm_body(body: bytes) -> tuple[dict[str, Any], int]:
    """submit_sm / deliver_sm body, unrolled (hot path)."""
    find = body.find
    ends = []
    try:
        e = find(b"\0", 0, 6)
        ends.append(e)
        service_type = body[:e].decode("latin-1")
        src_ton, src_npi = body[e + 1], body[e + 2]
        p = e + 3
        e = find(b"\0", p, p + 21)
        ends.append(e)
        source_addr = body[p:e].decode("latin-1")
        dst_ton, dst_npi = body[e + 1], body[e + 2]
        p = e + 3
        e = find(b"\0", p, p + 21)
        ends.append(e)
        destination_addr = body[p:e].decode("latin-1")
        esm_class, protocol_id, priority_flag = body[e + 1], body[e + 2], body[e + 3]
        p = e + 4
        e = find(b"\0", p, p + 17)
        ends.append(e)
        schedule = body[p:e].decode("latin-1")
        p = e + 1
        e = find(b"\0", p, p + 17)
        ends.append(e)
        validity = body[p:e].decode("latin-1")
        p = e + 1
        rd, rip, dc, dflt, length = body[p], body[p + 1], body[p + 2], body[p + 3], body[p + 4]
    except IndexError:
        raise PduError("PDU body too short", CommandStatus.ESME_RINVCMDLEN) from None
    if min(ends) < 0:
        raise PduError("c-octet string without NUL or too long", CommandStatus.ESME_RINVPARLEN)
    p += 5
    if p + length > len(body):
        raise PduError("sm_length beyond the PDU", CommandStatus.ESME_RINVMSGLEN)
    return {
        "service_type": service_type, "source_addr_ton": src_ton, "source_addr_npi": src_npi,
        "source_addr": source_addr, "dest_addr_ton": dst_ton, "dest_addr_npi": dst_npi,
        "destination_addr": destination_addr, "esm_class": esm_class, "protocol_id": protocol_id,
        "priority_flag": priority_flag, "schedule_delivery_time": schedule, "validity_period": validity,
        "registered_delivery": rd, "replace_if_present_flag": rip, "data_coding": dc,
        "sm_default_msg_id": dflt, "short_message": body[p : p + length],
    }, p + length


def decode_body(command_id: int, status: int, body: bytes) -> tuple[dict[str, Any], int]:
    if command_id in _SM_COMMANDS:
        return _decode_sm_body(body)
    if command_id == CommandId.SUBMIT_SM_RESP and body[-1:] == b"\0":
        end = body.index(b"\0")
        if end < 65:
            return {"message_id": body[:end].decode("latin-1")}, end + 1
    layout = BODIES.get(command_id)
    if layout is None:
        raise PduError(f"unknown command_id 0x{command_id:08X}", CommandStatus.ESME_RINVCMDID)
    params: dict[str, Any] = {}
    pos, n = 0, len(body)
    # Responses are often cut short (no body at all with an error status; some
    # SMSCs omit even an empty message_id): missing trailing fields take defaults.
    lenient = is_response(command_id)
    try:
        for name, kind, size in layout:
            if lenient and pos >= n:
                params[name] = _DEFAULTS[kind]
            elif kind == "C":
                params[name], pos = _read_cstr(body, pos, size, name)
            elif kind == "I1":
                params[name] = body[pos]
                pos += 1
            elif kind == "SM":
                length = body[pos]
                pos += 1
                if pos + length > n:
                    raise PduError("sm_length beyond the PDU", CommandStatus.ESME_RINVMSGLEN)
                params[name] = body[pos : pos + length]
                pos += length
            elif kind == "DESTS":
                count = body[pos]
                pos += 1
                dests = []
                for _ in range(count):
                    flag = body[pos]
                    pos += 1
                    if flag == 1:
                        ton, npi = body[pos], body[pos + 1]
                        addr, pos = _read_cstr(body, pos + 2, 21, "destination_addr")
                        dests.append({"dest_addr_ton": ton, "dest_addr_npi": npi, "destination_addr": addr})
                    elif flag == 2:
                        dl, pos = _read_cstr(body, pos, 21, "dl_name")
                        dests.append({"dl_name": dl})
                    else:
                        raise PduError("bad dest_flag", CommandStatus.ESME_RINVDESTFLAG)
                params[name] = tuple(dests)
            elif kind == "UNSUCC":
                count = body[pos]
                pos += 1
                smes = []
                for _ in range(count):
                    ton, npi = body[pos], body[pos + 1]
                    addr, pos = _read_cstr(body, pos + 2, 21, "destination_addr")
                    (code,) = _U32.unpack_from(body, pos)
                    pos += 4
                    smes.append({"dest_addr_ton": ton, "dest_addr_npi": npi, "destination_addr": addr, "error_status_code": code})
                params[name] = tuple(smes)
    except (IndexError, struct.error):
        raise PduError("PDU body too short", CommandStatus.ESME_RINVCMDLEN) from None
    return params, pos


def decode_tlvs(body: bytes, pos: int) -> tuple[dict[str, Any], list[tuple[int, bytes]]]:
    tlvs: dict[str, Any] = {}
    unknown: list[tuple[int, bytes]] = []
    n = len(body)
    while pos < n:
        if pos + 4 > n:
            raise PduError("truncated TLV header", CommandStatus.ESME_RINVOPTPARSTREAM)
        tag, length = _TLV_HEAD.unpack_from(body, pos)
        pos += 4
        if pos + length > n:
            raise PduError("TLV length beyond the PDU", CommandStatus.ESME_RINVOPTPARSTREAM)
        raw = body[pos : pos + length]
        pos += length
        known = _TLV_BY_TAG.get(tag)
        if known is None:
            unknown.append((tag, raw))
            continue
        name, kind = known
        if kind in _INT_WIDTH:
            if not raw:
                raise PduError(f"empty integer TLV {name}", CommandStatus.ESME_RINVPARLEN)
            # Tolerate peers that use another width than the spec's.
            tlvs[name] = int.from_bytes(raw, "big")
        elif kind == "C":
            tlvs[name] = raw.split(b"\0", 1)[0].decode("latin-1")
        elif kind == "E":
            tlvs[name] = b""
        else:
            tlvs[name] = raw
    return tlvs, unknown


def decode(data: bytes) -> Pdu:
    """Decode one whole PDU (header included)."""
    length, command_id, status, seq = HEADER.unpack_from(data, 0)
    if length != len(data):
        raise PduError("command_length does not match the data", CommandStatus.ESME_RINVCMDLEN)
    body = data[16:]
    params, pos = decode_body(command_id, status, body)
    if pos < len(body):
        tlvs, unknown = decode_tlvs(body, pos)
        return Pdu(command_id, seq, status, params, tlvs, unknown)
    return Pdu(command_id, seq, status, params)


class PduReader:
    """Framing: ``feed(bytes)`` returns the PDUs completed so far."""

    __slots__ = ("_buf", "_max")

    def __init__(self, max_command_length: int = MAX_COMMAND_LENGTH) -> None:
        self._buf = bytearray()
        self._max = max_command_length

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Pdu | UndecodablePdu]:
        buf = self._buf
        buf += data
        out: list[Pdu | UndecodablePdu] = []
        pos, n = 0, len(buf)
        unpack = HEADER.unpack_from
        while n - pos >= 16:
            length, command_id, status, seq = unpack(buf, pos)
            if length < 16 or length > self._max:
                del buf[:pos]
                raise FramingError(f"absurd command_length {length}", CommandStatus.ESME_RINVCMDLEN)
            if n - pos < length:
                break
            body = bytes(buf[pos + 16 : pos + length])
            pos += length
            try:
                params, bpos = decode_body(command_id, status, body)
                if bpos < len(body):
                    tlvs, unknown = decode_tlvs(body, bpos)
                    out.append(Pdu(command_id, seq, status, params, tlvs, unknown))
                else:
                    out.append(Pdu(command_id, seq, status, params))
            except PduError as exc:
                out.append(UndecodablePdu(command_id, seq, exc.status, str(exc)))
        if pos:
            del buf[:pos]
        return out


def iter_pdus(chunks: Iterable[bytes]) -> list[Pdu | UndecodablePdu]:
    """Convenience for tests: frame a whole sequence of chunks."""
    reader = PduReader()
    out: list[Pdu | UndecodablePdu] = []
    for chunk in chunks:
        out.extend(reader.feed(chunk))
    return out
