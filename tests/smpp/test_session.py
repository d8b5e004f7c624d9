import pytest

from tidings.channels.smpp import pdu as P
from tidings.channels.smpp.pdu import CommandId as C
from tidings.channels.smpp.pdu import CommandStatus as S
from tidings.channels.smpp.session import (
    ProtocolError,
    Request,
    Response,
    Session,
    SessionError,
    State,
    Unbound,
)


def pdus(data: bytes) -> list[P.Pdu]:
    return P.PduReader().feed(data)


def bound_pair(bind=C.BIND_TRANSCEIVER, strict=False):
    esme, smsc = Session("esme", strict=strict), Session("smsc")
    esme.send(P.Pdu(bind, params={"system_id": "a", "password": "b"}))
    assert esme.state == State.BINDING
    (ev,) = smsc.receive(esme.data_to_send())
    assert isinstance(ev, Request) and ev.pdu.command_id == bind
    smsc.send(ev.pdu.response(0, system_id="SMSC"))
    (resp,) = esme.receive(smsc.data_to_send())
    assert isinstance(resp, Response) and resp.request_command_id == bind
    return esme, smsc


@pytest.mark.parametrize("bind,state", [(C.BIND_TRANSCEIVER, State.BOUND_TRX), (C.BIND_TRANSMITTER, State.BOUND_TX),
                                        (C.BIND_RECEIVER, State.BOUND_RX)])
def test_bind(bind, state):
    esme, smsc = bound_pair(bind)
    assert esme.state == smsc.state == state and esme.bound


def test_failed_bind_returns_to_open():
    esme = Session()
    seq = esme.send(P.Pdu(C.BIND_TRANSCEIVER))
    esme.data_to_send()
    (ev,) = esme.receive(P.encode(P.Pdu(C.BIND_TRANSCEIVER_RESP, seq, S.ESME_RINVPASWD)))
    assert ev.pdu.command_status == S.ESME_RINVPASWD and esme.state == State.OPEN


def test_sequence_numbers_and_response_matching():
    esme, smsc = bound_pair()
    seqs = [esme.send(P.Pdu(C.SUBMIT_SM, params={"short_message": b"x"})) for _ in range(3)]
    assert seqs == [2, 3, 4] and set(esme.outstanding) == {2, 3, 4}
    reqs = smsc.receive(esme.data_to_send())
    for ev in reversed(reqs):  # answered out of order
        smsc.send(ev.pdu.response(0, message_id=f"m{ev.pdu.sequence_number}"))
    evs = esme.receive(smsc.data_to_send())
    assert [(e.pdu.sequence_number, e.pdu.params["message_id"]) for e in evs] == [(4, "m4"), (3, "m3"), (2, "m2")]
    assert esme.outstanding == {}


def test_sequence_wraps():
    s = Session()
    s._seq = 0x7FFFFFFF
    assert s.next_sequence() == 1


def test_illegal_sends_raise():
    esme = Session()
    with pytest.raises(SessionError):
        esme.send(P.Pdu(C.SUBMIT_SM))
    rx, _ = bound_pair(C.BIND_RECEIVER)
    with pytest.raises(SessionError):
        rx.send(P.Pdu(C.SUBMIT_SM))


def test_enquire_link_answered_automatically():
    esme, _ = bound_pair()
    assert esme.receive(P.encode(P.Pdu(C.ENQUIRE_LINK, 77))) == []
    assert pdus(esme.data_to_send()) == [P.Pdu(C.ENQUIRE_LINK_RESP, 77)]


def test_deliver_sm_is_a_request_only_when_bound_for_receiving():
    trx, _ = bound_pair()
    (ev,) = trx.receive(P.encode(P.Pdu(C.DELIVER_SM, 5, 0, {"short_message": b"hi"})))
    assert isinstance(ev, Request)
    tx, _ = bound_pair(C.BIND_TRANSMITTER, strict=True)
    (ev,) = tx.receive(P.encode(P.Pdu(C.DELIVER_SM, 5, 0, {"short_message": b"hi"})))
    assert isinstance(ev, ProtocolError)
    (resp,) = pdus(tx.data_to_send())
    assert resp.command_id == C.DELIVER_SM_RESP and resp.command_status == S.ESME_RINVBNDSTS


def test_garbage_gets_generic_nack():
    esme, _ = bound_pair()
    evs = esme.receive(bytes.fromhex("00000010 00000999 00000000 0000002A"))
    assert isinstance(evs[0], ProtocolError)
    assert pdus(esme.data_to_send()) == [P.Pdu(C.GENERIC_NACK, 0x2A, S.ESME_RINVCMDID)]


def test_generic_nack_matches_the_request():
    esme, _ = bound_pair()
    seq = esme.send(P.Pdu(C.SUBMIT_SM))
    (ev,) = esme.receive(P.encode(P.Pdu(C.GENERIC_NACK, seq, S.ESME_RINVCMDLEN)))
    assert isinstance(ev, Response) and ev.request_command_id == C.SUBMIT_SM


def test_unexpected_response_is_reported_not_matched():
    esme, _ = bound_pair()
    (ev,) = esme.receive(P.encode(P.Pdu(C.SUBMIT_SM_RESP, 999, 0, {"message_id": "x"})))
    assert isinstance(ev, ProtocolError)


def test_unbind_by_peer_and_by_us():
    esme, smsc = bound_pair()
    (ev,) = esme.receive(P.encode(P.Pdu(C.UNBIND, 9)))
    assert ev == Unbound(by_peer=True) and esme.state == State.CLOSED
    assert pdus(esme.data_to_send()) == [P.Pdu(C.UNBIND_RESP, 9)]
    esme, smsc = bound_pair()
    esme.send(P.Pdu(C.UNBIND))
    assert esme.state == State.UNBINDING
    with pytest.raises(SessionError):
        esme.send(P.Pdu(C.SUBMIT_SM))
    (ev,) = smsc.receive(esme.data_to_send())
    assert isinstance(ev, Unbound) and smsc.state == State.CLOSED
    evs = esme.receive(smsc.data_to_send())
    assert evs[-1] == Unbound(by_peer=False) and esme.state == State.CLOSED


def test_framing_error_closes():
    esme, _ = bound_pair()
    with pytest.raises(P.FramingError):
        esme.receive(b"\xff\xff\xff\xff" + bytes(12))
    assert esme.state == State.CLOSED


def test_fail_outstanding_hands_back_in_flight():
    esme, _ = bound_pair()
    a = esme.send(P.Pdu(C.SUBMIT_SM))
    b = esme.send(P.Pdu(C.SUBMIT_SM))
    assert esme.fail_outstanding() == {a: C.SUBMIT_SM, b: C.SUBMIT_SM}
    assert esme.outstanding == {} and esme.state == State.CLOSED


def test_lenient_transmitter_accepts_receipts():
    tx, _ = bound_pair(C.BIND_TRANSMITTER)
    (ev,) = tx.receive(P.encode(P.Pdu(C.DELIVER_SM, 5, 0, {"esm_class": 4})))
    assert isinstance(ev, Request)
