import pytest

from tidings.channels.smpp import pdu as P
from tidings.channels.smpp.pdu import CommandId as C
from tidings.channels.smpp.pdu import CommandStatus as S

SM = {
    "service_type": "CMT", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": "Tidings",
    "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "8613800138000", "esm_class": 0x40,
    "protocol_id": 0, "priority_flag": 1, "schedule_delivery_time": "", "validity_period": "000001000000000R",
    "registered_delivery": 1, "replace_if_present_flag": 0, "data_coding": 8, "sm_default_msg_id": 0,
    "short_message": b"\x05\x00\x03\x01\x02\x01" + "【华为云】".encode("utf-16-be"),
}
BIND = {"system_id": "tidings", "password": "secret", "system_type": "VMA", "interface_version": 0x34,
        "addr_ton": 0, "addr_npi": 0, "address_range": ""}

EXAMPLES = [
    P.Pdu(C.BIND_TRANSMITTER, 1, 0, BIND),
    P.Pdu(C.BIND_RECEIVER, 2, 0, BIND),
    P.Pdu(C.BIND_TRANSCEIVER, 3, 0, BIND),
    P.Pdu(C.BIND_TRANSCEIVER_RESP, 3, 0, {"system_id": "SMSC"}, {"sc_interface_version": 0x34}),
    P.Pdu(C.BIND_TRANSMITTER_RESP, 1, 0, {"system_id": "SMSC"}),
    P.Pdu(C.BIND_RECEIVER_RESP, 2, 0, {"system_id": "SMSC"}),
    P.Pdu(C.OUTBIND, 4, 0, {"system_id": "smsc", "password": "pw"}),
    P.Pdu(C.UNBIND, 5),
    P.Pdu(C.UNBIND_RESP, 5),
    P.Pdu(C.GENERIC_NACK, 6, S.ESME_RINVCMDID),
    P.Pdu(C.ENQUIRE_LINK, 7),
    P.Pdu(C.ENQUIRE_LINK_RESP, 7),
    P.Pdu(C.SUBMIT_SM, 8, 0, SM, {"sar_msg_ref_num": 0x1234, "sar_total_segments": 2, "sar_segment_seqnum": 1}),
    P.Pdu(C.SUBMIT_SM_RESP, 8, 0, {"message_id": "0000001A"}),
    P.Pdu(C.DELIVER_SM, 9, 0, {**SM, "esm_class": 4, "short_message": b"id:1A sub:001 dlvrd:001 stat:DELIVRD"},
          {"receipted_message_id": "1A", "message_state": 2, "network_error_code": b"\x03\x00\x00"}),
    P.Pdu(C.DELIVER_SM_RESP, 9, 0, {"message_id": ""}),
    P.Pdu(C.SUBMIT_MULTI, 10, 0, {
        "service_type": "", "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "10690000",
        "dest_addresses": ({"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "8613800138000"},
                           {"dl_name": "friends"}),
        **{k: SM[k] for k in ("esm_class", "protocol_id", "priority_flag", "schedule_delivery_time",
                              "validity_period", "registered_delivery", "replace_if_present_flag",
                              "data_coding", "sm_default_msg_id", "short_message")},
    }),
    P.Pdu(C.SUBMIT_MULTI_RESP, 10, 0, {"message_id": "77", "unsuccess_smes": (
        {"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "86999", "error_status_code": 0x0B},)}),
    P.Pdu(C.DATA_SM, 11, 0, {
        "service_type": "", "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "8613800138000",
        "dest_addr_ton": 0, "dest_addr_npi": 0, "destination_addr": "10690000", "esm_class": 0,
        "registered_delivery": 0, "data_coding": 8}, {"message_payload": "你好".encode("utf-16-be")}),
    P.Pdu(C.DATA_SM_RESP, 11, 0, {"message_id": "x"}),
    P.Pdu(C.QUERY_SM, 12, 0, {"message_id": "1A", "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "1069"}),
    P.Pdu(C.QUERY_SM_RESP, 12, 0, {"message_id": "1A", "final_date": "240101120000000+", "message_state": 2, "error_code": 0}),
    P.Pdu(C.CANCEL_SM, 13, 0, {"service_type": "", "message_id": "1A", "source_addr_ton": 1, "source_addr_npi": 1,
                               "source_addr": "1069", "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "86"}),
    P.Pdu(C.CANCEL_SM_RESP, 13),
    P.Pdu(C.REPLACE_SM, 14, 0, {"message_id": "1A", "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "1069",
                                "schedule_delivery_time": "", "validity_period": "", "registered_delivery": 1,
                                "sm_default_msg_id": 0, "short_message": b"new text"}),
    P.Pdu(C.REPLACE_SM_RESP, 14),
    P.Pdu(C.ALERT_NOTIFICATION, 15, 0, {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "86138",
                                        "esme_addr_ton": 0, "esme_addr_npi": 0, "esme_addr": "1069"},
          {"ms_availability_status": 0}),
]


def test_every_command_has_an_example():
    assert {e.command_id for e in EXAMPLES} == set(P.BODIES)


@pytest.mark.parametrize("pdu", EXAMPLES, ids=lambda p: p.name)
def test_round_trip(pdu):
    raw = P.encode(pdu)
    assert int.from_bytes(raw[:4], "big") == len(raw)
    assert P.decode(raw) == pdu
    assert P.encode(P.decode(raw)) == raw


def test_known_wire_bytes():
    # enquire_link seq 1, and a submit_sm_resp for message id "AB".
    assert P.encode(P.Pdu(C.ENQUIRE_LINK, 1)) == bytes.fromhex("00000010 00000015 00000000 00000001")
    assert P.encode(P.Pdu(C.SUBMIT_SM_RESP, 2, 0, {"message_id": "AB"})) == bytes.fromhex(
        "00000013 80000004 00000000 00000002 414200"
    )


def test_defaults_fill_unnamed_params():
    raw = P.encode(P.Pdu(C.SUBMIT_SM, 1, 0, {"destination_addr": "86", "short_message": b"hi"}))
    decoded = P.decode(raw)
    assert decoded.params["destination_addr"] == "86"
    assert decoded.params["source_addr"] == "" and decoded.params["data_coding"] == 0
    assert decoded.params["short_message"] == b"hi"


def test_unknown_tlvs_kept_and_reencoded():
    pdu = P.Pdu(C.DELIVER_SM, 3, 0, {"short_message": b"x"}, {"message_state": 2},
                [(0x1401, b"\x01\x02"), (0x3000, b"")])
    raw = P.encode(pdu)
    back = P.decode(raw)
    assert back.unknown_tlvs == [(0x1401, b"\x01\x02"), (0x3000, b"")]
    assert back.tlvs == {"message_state": 2}
    assert P.encode(back) == raw


def test_error_response_without_body():
    raw = bytes.fromhex("00000010 80000004 0000000B 00000009")
    pdu = P.decode(raw)
    assert pdu.command_status == S.ESME_RINVDSTADR and pdu.params["message_id"] == ""
    assert P.encode(P.Pdu(C.SUBMIT_SM_RESP, 9, S.ESME_RINVDSTADR)) == raw


def test_integer_tlv_with_nonstandard_width_is_tolerated():
    raw = P.encode(P.Pdu(C.DELIVER_SM, 1, 0, {}, {}, [])) + bytes.fromhex("0427 0002 0005")
    raw = len(raw).to_bytes(4, "big") + raw[4:]
    assert P.decode(raw).tlvs["message_state"] == 5


def test_encode_rejects_overlong_fields():
    with pytest.raises(P.PduError):
        P.encode(P.Pdu(C.SUBMIT_SM, 1, 0, {"destination_addr": "1" * 21}))
    with pytest.raises(P.PduError):
        P.encode(P.Pdu(C.SUBMIT_SM, 1, 0, {"short_message": b"x" * 255}))


def test_reader_partial_and_several_per_read():
    stream = b"".join(P.encode(p) for p in EXAMPLES)
    # One byte at a time.
    reader = P.PduReader()
    got = []
    for i in range(len(stream)):
        got.extend(reader.feed(stream[i : i + 1]))
    assert got == EXAMPLES and reader.buffered == 0
    # Everything at once, and in odd chunks.
    assert P.PduReader().feed(stream) == EXAMPLES
    assert P.iter_pdus([stream[i : i + 37] for i in range(0, len(stream), 37)]) == EXAMPLES


def test_reader_keeps_going_after_a_garbage_body():
    bad = bytes.fromhex("00000014 00000004 00000000 00000005") + b"\xff\xff\xff\xff"  # no NULs
    unknown_cmd = bytes.fromhex("00000010 00000999 00000000 00000006")
    good = P.encode(P.Pdu(C.ENQUIRE_LINK, 7))
    out = P.PduReader().feed(bad + unknown_cmd + good)
    assert isinstance(out[0], P.UndecodablePdu) and out[0].sequence_number == 5
    assert isinstance(out[1], P.UndecodablePdu) and out[1].status == S.ESME_RINVCMDID
    assert out[2] == P.Pdu(C.ENQUIRE_LINK, 7)


@pytest.mark.parametrize("length", [0, 15, 10_000_000])
def test_reader_rejects_absurd_length(length):
    with pytest.raises(P.FramingError):
        P.PduReader().feed(length.to_bytes(4, "big") + bytes(12))


def test_status_names_and_repr_hides_password():
    assert P.status_name(0x58) == "ESME_RTHROTTLED"
    assert P.status_name(0x400) == "0x00000400"
    assert "secret" not in repr(EXAMPLES[0])
    assert P.Pdu(C.SUBMIT_SM, 4).response(S.ESME_RTHROTTLED).command_id == C.SUBMIT_SM_RESP


@pytest.mark.parametrize("cut", range(0, 43, 3))  # the whole body is 43 octets
def test_truncated_or_unterminated_sm_bodies_are_rejected(cut):
    good = P.encode(P.Pdu(C.DELIVER_SM, 1, 0, {"source_addr": "8613800138000", "destination_addr": "10690000",
                                               "short_message": b"hello"}))
    body = good[16 : 16 + cut]
    raw = (16 + len(body)).to_bytes(4, "big") + good[4:16] + body
    (item,) = P.PduReader().feed(raw)
    assert isinstance(item, P.UndecodablePdu)


def test_missing_nul_in_source_addr_is_rejected():
    body = b"\0" + b"\x01\x01" + b"1" * 30 + b"\0" * 40
    raw = (16 + len(body)).to_bytes(4, "big") + bytes.fromhex("00000005 00000000 00000001") + body
    (item,) = P.PduReader().feed(raw)
    assert isinstance(item, P.UndecodablePdu) and item.status == S.ESME_RINVPARLEN
