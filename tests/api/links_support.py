"""Helpers for the capability, link, parse and report tests: a tenant whose
short-link filing is approved, templates with and without parameters, and
sandbox numbers of a chosen maker."""

from __future__ import annotations

import copy
import itertools
import uuid

from huaweicloudsdkkoomessage.v1 import (
    CreateResolveTaskRequest,
    CreateResolveTaskRequestBody,
    CreateShortChainParam,
)

from tests.api.aim_support import create
from tests.api.sms_support import decide, file_filing
from tests.support.harness import Server, TenantCreds
from tidings.aim import capability
from tidings.aim.samples import sample_request

PARCEL = "900000001"  # public: name, waybill, courier, eta; HUAWEI and XIAOMI
PARCEL_VALUES = {"name": "王小明", "waybill": "SF1234567890", "courier": "李师傅", "eta": "今天 18:00"}
SIGN = "示例商城"
FEATURE_PHONE = "17000001234"
_counter = itertools.count(int(uuid.uuid4().int % 10**6))


def number_of(maker: str | None, prefix: str = "139") -> str:
    """A fresh sandbox number whose handset is ``maker`` (None: capable of any)."""
    while True:
        n = f"{prefix}{next(_counter) % 10**8:08d}"
        m = capability.sandbox_maker(capability.key_of(n))
        if maker is None or m == maker:
            return n


def link_tenant(server: Server, *, auto_approve: bool = True) -> TenantCreds:
    """A fresh tenant with the approved ``aim.short_link`` filing."""
    creds = server.create_tenant(settings={"auto_approve": auto_approve})
    filed = file_filing(server, creds, area="aim.short_link")
    if not auto_approve:  # auto-approve approves the filing as well
        decide(server, filed["filing_id"], "approved")
    return creds


def plain_template(sdk, makers: tuple[str, ...] = ("HUAWEI",)) -> str:
    """A template without parameters (group links need one), approved when the tenant auto-approves."""
    body = copy.deepcopy(sample_request("PureText", makers))
    body["pages"][0]["contents"][0]["content"] = "Your offer is here"
    body["params"] = []
    return create(sdk, body)


def resolve_task(sdk, tpl_id: str, params: list[dict], *, code_type: str = "individual", times: int = 1, days: int = 7,
                 signs: list[str] | None = None, **over):
    body = CreateResolveTaskRequestBody(tpl_id=tpl_id, sms_signs=signs or [SIGN], resolving_times=times, aim_code_type=code_type,
                                        expiration_time=days, params=[CreateShortChainParam(**p) for p in params], **over)
    return sdk.create_resolve_task(CreateResolveTaskRequest(body=body))


def individual(sdk, numbers: list[str], tpl_id: str = PARCEL, values: dict | None = None, **over):
    return resolve_task(sdk, tpl_id, [{"cust_flag": n, "dync_params": dict(values or PARCEL_VALUES, name=f"客户{n[-4:]}")} for n in numbers], **over)
