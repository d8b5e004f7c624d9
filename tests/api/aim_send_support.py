"""Helpers for the smart-message send tests: a tenant with the send-task
filing, an SMS application, signature and a template whose NEWTEXT variable
carries the link, and the SDK calls of the send operations."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from huaweicloudsdkkoomessage.v1 import (
    AIMResolveTask,
    CreateAimSendTaskRequest,
    CreateAimSendTaskRequestBody,
    CreateResolveTaskParam,
    ListAimMsgSignatureDetailRequest,
    ListAimSendDetailsRequest,
    ListAimSendReportsRequest,
    ListAimSendReportsRequestBody,
    ListAimSendTasksRequest,
    SmsChannel,
    VariableAttributes,
)

from tests.api.sms_support import file_filing, make_app, make_signature, make_template, png_bytes, upload
from tests.support.harness import Server, TenantCreds
from tidings.aim import capability

PARCEL = "900000001"  # public template: name, waybill, courier, eta; HUAWEI and XIAOMI
PARCEL_VALUES = {"name": "王小明", "waybill": "SF1234567890", "courier": "李师傅", "eta": "今天18:00"}
LINK_TEMPLATE = "${1}您好，您的包裹已发出，详情${2}"
FEATURE_PHONE = "17000001234"
_counter = itertools.count(uuid.uuid4().int % 10**7)


def number_of(maker: str | None, prefix: str = "137") -> str:
    """A fresh sandbox number whose handset is ``maker`` (None: a capable one of any maker)."""
    while True:
        n = f"{prefix}{next(_counter) % 10**8:08d}"
        m = capability.sandbox_maker(capability.key_of(n))
        if m is not None and (maker is None or m == maker):
            return n


@dataclass
class AimSender:
    creds: TenantCreds
    sdk: object
    app_name: str
    sign: str
    signature_id: str
    channel_num: str
    sms_tpl: str  # ${1} TEXT, ${2} NEWTEXT

    def channel(self, **over) -> SmsChannel:
        fields = dict(channel_number=self.channel_num, sms_tpl_id=self.sms_tpl, sms_sign=self.sign, sms_app_name=self.app_name)
        fields.update(over)
        return SmsChannel(**fields)


def aim_sender(server: Server, *, settings: dict | None = None) -> AimSender:
    creds = server.create_tenant(settings={"auto_approve": True, **(settings or {})})
    file_filing(server, creds)
    sdk = server.sdk(creds)
    app_name = "app-" + uuid.uuid4().hex[:8]
    app_id = make_app(sdk, name=app_name)
    sign = "智能" + uuid.uuid4().hex[:6]
    sid = make_signature(sdk, app_id, upload(sdk, png_bytes()), name=sign)
    tpl = make_template(sdk, sid, content=LINK_TEMPLATE, variables=[
        VariableAttributes(variable_index=1, variable_type="TEXT", variable_desc="name"),
        VariableAttributes(variable_index=2, variable_type="NEWTEXT", variable_desc="link")])
    channel_num = sdk.list_aim_msg_signature_detail(ListAimMsgSignatureDetailRequest(signature_id=sid)).channel_num
    return AimSender(creds, sdk, app_name, sign, sid, channel_num, tpl)


def param(number: str, **over) -> CreateResolveTaskParam:
    fields = dict(cust_flag=number, dync_params=dict(PARCEL_VALUES, name=f"客户{number[-4:]}"), sms_params=[f"客户{number[-4:]}"])
    fields.update(over)
    return CreateResolveTaskParam(**fields)


def send_task(s: AimSender, numbers: list[str], *, tpl_id: str = PARCEL, name: str = "智能信息发送", channel: SmsChannel | None = None,
              params: list[CreateResolveTaskParam] | None = None, days: int = 7, **over):
    rt = dict(tpl_id=tpl_id, resolve_times=1, aim_code_type="individual", expiration_time=days, params=params or [param(n) for n in numbers])
    rt.update(over)
    body = CreateAimSendTaskRequestBody(task_name=name, sms_channel=channel or s.channel(), resolve_task=AIMResolveTask(**rt))
    return s.sdk.create_aim_send_task(CreateAimSendTaskRequest(body=body))


def list_tasks(s: AimSender, **kw):
    return s.sdk.list_aim_send_tasks(ListAimSendTasksRequest(**kw))


def list_details(s: AimSender, offset: int = 0, limit: int = 100, **kw):
    return s.sdk.list_aim_send_details(ListAimSendDetailsRequest(offset=offset, limit=limit, **kw))


def list_reports(s: AimSender, **kw):
    return s.sdk.list_aim_send_reports(ListAimSendReportsRequest(body=ListAimSendReportsRequestBody(**kw)))
