"""Enterprise filing, Tidings' own tenant API (``/tidings/v1/filings``).

KooMessage files enterprise documents in its console only; this API (and
``tidings filing ...``) does the same per area.  Any member may read; filing
is a legal declaration of the company, so submitting and editing need the
tenant's ``te_admin`` role.  Documents are uploaded first
(``POST /tidings/v1/filings/files``, multipart part ``file``), then referenced by id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tidings import filing
from tidings.api.deps import Principal, accepts_unsigned_payload, ctx_of, require_tenant_admin, tenant_principal
from tidings.api.openapi import UPLOAD_BODY
from tidings.api.uploads import read_upload
from tidings.domain.filing import DOCUMENT_TYPES, check_area
from tidings.errors import invalid
from tidings.storage import save_document

router = APIRouter(prefix="/tidings/v1/filings", tags=["tidings: filing"])


class FilingBody(BaseModel):
    company_name: str | None = Field(default=None, min_length=1, max_length=128)
    credit_code: str | None = Field(default=None, min_length=18, max_length=18)
    document_type: str = Field(default="business_licence", max_length=32)
    legal_person: str | None = Field(default=None, min_length=1, max_length=64)
    contact_name: str | None = Field(default=None, min_length=1, max_length=64)
    contact_phone: str | None = Field(default=None, min_length=5, max_length=20, pattern=r"^\+?[0-9\-]+$")
    contact_email: str | None = Field(default=None, min_length=3, max_length=128, pattern=r"^[^@\s]+@[^@\s]+$")
    certificate_file_id: str | None = Field(default=None, min_length=1, max_length=50)
    extra_file_ids: list[str] | None = Field(default=None, max_length=10)
    reuse_from: str | None = Field(default=None, max_length=32)


def _area(area: str) -> str:
    if (why := check_area(area)) is not None:
        raise invalid("area", why)
    return area


@router.post("/files", openapi_extra=UPLOAD_BODY)
@accepts_unsigned_payload
async def upload_filing_file(request: Request, file_desc: str = Query(default="", max_length=255),
                             principal: Principal = Depends(require_tenant_admin)) -> dict:
    name, data = await read_upload(request)
    row = await save_document(ctx_of(request), tenant_id=principal.tenant_id, purpose="filing", file_name=name, data=data,
                              desc=file_desc, actor=principal.actor)
    return {"file_id": row.id, "file_name": row.file_name, "kind": row.kind, "size": row.size}


@router.get("")
async def list_filings(request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    async with ctx_of(request).db.read() as session:
        return {"filings": await filing.list_filings(session, principal.tenant_id)}


@router.get("/{area}")
async def show_filing(area: str, request: Request, principal: Principal = Depends(tenant_principal)) -> dict:
    _area(area)
    async with ctx_of(request).db.read() as session:
        return filing.describe(area, await filing.get_filing(session, principal.tenant_id, area))


@router.put("/{area}")
async def submit_filing(area: str, body: FilingBody, request: Request, principal: Principal = Depends(require_tenant_admin)) -> dict:
    _area(area)
    if body.document_type not in DOCUMENT_TYPES:
        raise invalid("document_type", f"must be one of {', '.join(DOCUMENT_TYPES)}")
    data = filing.FilingInput(**body.model_dump())
    ctx = ctx_of(request)
    async with ctx.db.write() as session:
        row = await filing.submit(session, principal.tenant_id, area, data, principal.actor, hooks=ctx.review_hooks)
        return filing.describe(area, row)
