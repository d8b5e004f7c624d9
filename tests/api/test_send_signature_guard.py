"""Contract C2 (pipeline side): a signature cannot be deleted while its
messages are queued or in flight; once they are final it can."""

from __future__ import annotations

from huaweicloudsdkkoomessage.v1 import DeleteAimMsgSignatureRequest

from tests.api.send_support import ready_sender, send, wait_final
from tests.api.sms_support import koo_error
from tests.support.harness import Server


def test_delete_waits_for_in_flight_messages(server: Server):
    s = ready_sender(server)
    # The handset-off number stays submitted (in flight) for a few seconds.
    r = send(s.sdk, s.notice_tpl, ["17000000003"], ["李雷"]).result[0]
    err = koo_error(lambda: s.sdk.delete_aim_msg_signature(DeleteAimMsgSignatureRequest(signature_id=s.signature_id)))
    assert err.error_code == "KM.00001114" and "1 queued" in err.error_msg
    assert wait_final(server, s.creds, r.msg_id)["status"] == "expired"
    s.sdk.delete_aim_msg_signature(DeleteAimMsgSignatureRequest(signature_id=s.signature_id))
