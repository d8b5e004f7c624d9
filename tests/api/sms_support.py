"""Helpers for the SMS configuration tests: documents, filings, reviews,
applications, signatures and templates, all through the real server."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkkoomessage.v1 import (
    AddAimMsgSignatureRequest,
    CreateAimMsgTemplateRequest,
    CreateSmsAppRequest,
    MsgAppRequest,
    MsgTemplateRequest,
    SignatureRequest,
    UploadAimMsgSignatureFileRequest,
    UploadAimMsgSignatureFileRequestBody,
    VariableAttributes,
)

from tests.support.harness import Server, TenantCreds

CREDIT_CODE = "91310000MA1FL4X123"


def png_bytes(pad: int = 0, size: tuple[int, int] = (1, 1)) -> bytes:
    """A real 1x1 PNG (optionally padded with an ancillary chunk); another
    ``size`` only changes the header (a decompression bomb's announcement)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", *size, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    extra = chunk(b"tEXt", b"c\x00" + b"x" * pad) if pad else b""
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class NamedBytes(io.BytesIO):
    """What FormFile wants: a binary stream with a name."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name
        self.mode = "rb"


def upload(sdk, data: bytes, name: str = "licence.png", desc: str = "business licence") -> str:
    body = UploadAimMsgSignatureFileRequestBody(file=FormFile(NamedBytes(data, name)))
    return sdk.upload_aim_msg_signature_file(UploadAimMsgSignatureFileRequest(file_desc=desc, body=body)).file_id


def koo_error(call) -> ClientRequestException:
    try:
        call()
    except ClientRequestException as exc:
        return exc
    raise AssertionError("the call succeeded but an error was expected")


def review_of(server: Server, object_id: str, state: str = "all") -> dict:
    with server.admin() as c:
        r = c.get("/admin/v1/reviews", params={"object_id": object_id, "state": state})
    assert r.status_code == 200, r.text
    items = r.json()["reviews"]
    assert len(items) == 1, items
    return items[0]


def decide(server: Server, object_id: str, decision: str, reason: str = "", party: str | None = None) -> dict:
    item = review_of(server, object_id)
    body = {"reason": reason}
    if party:
        body["party"] = party
    with server.admin() as c:
        r = c.post(f"/admin/v1/reviews/{item['review_id']}/{'approve' if decision == 'approved' else 'reject'}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def file_filing(server: Server, creds: TenantCreds, area: str = "aim.send_task", **over) -> dict:
    with server.http(creds) as c:
        up = c.post("/tidings/v1/filings/files", files={"file": ("licence.pdf", pdf_bytes(), "application/pdf")})
        assert up.status_code == 200, up.text
        body = {
            "company_name": "Example Trading Co., Ltd.",
            "credit_code": CREDIT_CODE,
            "contact_name": "Li Lei",
            "contact_phone": "13800138000",
            "certificate_file_id": up.json()["file_id"],
            **over,
        }
        r = c.put(f"/tidings/v1/filings/{area}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def approved_tenant(server: Server) -> TenantCreds:
    """A fresh tenant whose send-task filing is approved (no auto-approve)."""
    creds = server.create_tenant()
    filing = file_filing(server, creds)
    decide(server, filing["filing_id"], "approved")
    return creds


def make_app(sdk, name: str | None = None, uplink: str | None = None) -> str:
    body = MsgAppRequest(app_name=name or "app-" + uuid.uuid4().hex[:8], up_link_addr=uplink)
    return sdk.create_sms_app(CreateSmsAppRequest(body=body)).app_id


def signature_body(app_id: str, file_id: str, name: str = "示例商城", type_: str = "NOTIFY_TYPE", **over) -> SignatureRequest:
    fields = dict(signature_name=name, signature_type=type_, app_id=app_id, apply_desc="our shop", file_id=file_id,
                  signature_source=0, is_involved_third="no")
    fields.update(over)
    return SignatureRequest(**fields)


def make_signature(sdk, app_id: str, file_id: str, **kw) -> str:
    return sdk.add_aim_msg_signature(AddAimMsgSignatureRequest(body=signature_body(app_id, file_id, **kw))).signature_id


def template_body(signature_id: str, content: str = "您的验证码是${1}，5分钟内有效。", variables=None, name: str | None = None, **over) -> MsgTemplateRequest:
    if variables is None:
        variables = [VariableAttributes(variable_index=1, variable_type="CHARDIGIT")]
    fields = dict(signature_id=signature_id, template_content=content, template_name=name or "tpl-" + uuid.uuid4().hex[:8],
                  template_desc="login codes", variable_attributes=variables)
    fields.update(over)
    return MsgTemplateRequest(**fields)


def make_template(sdk, signature_id: str, **kw) -> str:
    return sdk.create_aim_msg_template(CreateAimMsgTemplateRequest(body=template_body(signature_id, **kw))).template_id
