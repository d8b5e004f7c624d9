"""Helpers for the pipeline tests (test_send_*, test_message_log, test_crash):
a tenant ready to send, SDK send calls, and polling the message log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from huaweicloudsdkkoomessage.v1 import (
    MsgContent,
    SendAimBatchDifferentMessagesRequest,
    SendAimBatchMessagesRequest,
    SmsMultiTemplateTaskRequestBody,
    SmsTaskReq,
    VariableAttributes,
)

from tests.api.sms_support import file_filing, make_app, make_signature, make_template, png_bytes, upload
from tests.support.harness import Server, TenantCreds
from tests.support.wait import wait_until

CODE_TEMPLATE = "您的验证码是${1}，5分钟内有效。"
NOTICE_TEMPLATE = "尊敬的${1}，您的订单已发货。"


@dataclass
class Sender:
    """A tenant with an application, an approved signature (with its channel
    number) and approved templates: a code template and a notice template."""

    creds: TenantCreds
    sdk: object
    app_id: str
    signature_id: str
    signature_name: str
    channel_num: str
    code_tpl: str
    notice_tpl: str


def ready_sender(server: Server, *, settings: dict | None = None, uplink: str | None = None, signature_name: str | None = None) -> Sender:
    from huaweicloudsdkkoomessage.v1 import ListAimMsgSignatureDetailRequest

    creds = server.create_tenant(settings={"auto_approve": True, **(settings or {})})
    file_filing(server, creds)
    sdk = server.sdk(creds)
    app_id = make_app(sdk, uplink=uplink)
    name = signature_name or "测试" + uuid.uuid4().hex[:6]
    sid = make_signature(sdk, app_id, upload(sdk, png_bytes()), name=name)
    code_tpl = make_template(sdk, sid)
    notice_tpl = make_template(
        sdk, sid, content=NOTICE_TEMPLATE, variables=[VariableAttributes(variable_index=1, variable_type="TEXT", variable_desc="customer name")]
    )
    sig = sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid))
    assert sig.channel_num, "auto-approved signature has no channel number"
    return Sender(creds, sdk, app_id, sid, name, sig.channel_num, code_tpl, notice_tpl)


def send(sdk, template_id: str, to: list[str], params: list[str], **kw):
    return sdk.send_aim_batch_messages(SendAimBatchMessagesRequest(body=SmsTaskReq(template_id=template_id, to=to, template_params=params, **kw)))


def send_diff(sdk, groups: list[tuple[str, list[str], list[str]]], **kw):
    content = [MsgContent(to=to, template_id=tid, template_params=params) for tid, to, params in groups]
    return sdk.send_aim_batch_different_messages(
        SendAimBatchDifferentMessagesRequest(body=SmsMultiTemplateTaskRequestBody(sms_content=content, **kw))
    )


def message(server: Server, creds: TenantCreds, msg_id: str) -> dict:
    with server.http(creds) as c:
        r = c.get(f"/tidings/v1/messages/{msg_id}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_final(server: Server, creds: TenantCreds, msg_id: str, timeout: float = 30.0) -> dict:
    final = {"delivered", "failed", "expired", "rejected"}
    seen: list[dict] = []

    def done():
        m = message(server, creds, msg_id)
        seen[:] = [m]
        return m if m["status"] in final else None

    try:
        return wait_until(done, timeout, interval=0.1, what=f"message {msg_id} to reach a final status")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the message: {seen[-1] if seen else None}") from None
