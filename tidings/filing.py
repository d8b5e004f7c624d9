"""Enterprise filings: submit / edit per area, the review hook, and the gate
every product calls before an operation that needs a filing.

``require_filing(session, tenant_id, area)`` raises a KooMessage-format error
that names the missing filing; SMS application creation uses it now, the
smart-message, basic-edition and service-account products later.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings import review, storage
from tidings.domain import filing as rules
from tidings.errors import KooError, invalid
from tidings.store.models.review import Filing
from tidings.store.tenants import audit
from tidings.timeutil import utcnow, wire_z

OBJ_FILING = "filing"

FILING_REQUIRED = "KM.00001104"
FILING_UNDER_REVIEW = "KM.00001150"
FILING_NOTHING_TO_REUSE = "KM.00001151"


@dataclass
class FilingInput:
    company_name: str | None = None
    credit_code: str | None = None
    document_type: str = "business_licence"
    legal_person: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    certificate_file_id: str | None = None
    extra_file_ids: list[str] | None = None
    reuse_from: str | None = None


async def get_filing(session: AsyncSession, tenant_id: str, area: str) -> Filing | None:
    return (await session.execute(select(Filing).where(Filing.tenant_id == tenant_id, Filing.area == area))).scalar_one_or_none()


async def filing_state(session: AsyncSession, tenant_id: str, area: str) -> str:
    f = await get_filing(session, tenant_id, area)
    return f.state if f else rules.NONE


async def require_filing(session: AsyncSession, tenant_id: str, area: str) -> None:
    """Refuse (naming the filing and its state) unless ``area`` is approved."""
    state = await filing_state(session, tenant_id, area)
    if state != rules.APPROVED:
        raise KooError(
            FILING_REQUIRED,
            f"Enterprise filing required: the {rules.area_label(area)} ({area}) is {state}; "
            f"file it with PUT /tidings/v1/filings/{area} or `tidings filing submit` and wait for approval",
        )


async def submit(session: AsyncSession, tenant_id: str, area: str, data: FilingInput, actor: str, *, hooks: review.DecisionHooks) -> Filing:
    """File or edit ``area``.  Refused while under review; company
    information and the certificate can be taken from an approved filing of
    another area (``reuse_from``) instead of being uploaded again."""
    if (why := rules.check_area(area)) is not None:
        raise invalid("area", why)
    current = await get_filing(session, tenant_id, area)
    if current is not None and (why := rules.may_submit(current.state)) is not None:
        raise KooError(FILING_UNDER_REVIEW, why)

    company: dict = {}
    certificate = data.certificate_file_id
    if data.reuse_from:
        if (why := rules.check_area(data.reuse_from)) is not None:
            raise invalid("reuse_from", why)
        source = await get_filing(session, tenant_id, data.reuse_from)
        if source is None or source.state != rules.APPROVED:
            raise KooError(FILING_NOTHING_TO_REUSE, f"Invalid parameter reuse_from: the {rules.area_label(data.reuse_from)} is not approved")
        company = dict(source.company)
        certificate = certificate or source.certificate_file_id
    elif current is not None:
        company = dict(current.company)  # an edit changes only what it names
        certificate = certificate or current.certificate_file_id
    given = {
        "company_name": data.company_name,
        "credit_code": data.credit_code,
        "document_type": data.document_type,
        "legal_person": data.legal_person,
        "contact_name": data.contact_name,
        "contact_phone": data.contact_phone,
        "contact_email": data.contact_email,
    }
    company.update({k: v for k, v in given.items() if v is not None})
    for field in ("company_name", "credit_code", "contact_name", "contact_phone"):
        if not company.get(field):
            raise KooError("KM.90016414", f"{field} is required")
    if (why := rules.check_credit_code(company["credit_code"])) is not None:
        raise invalid("credit_code", why)
    if not certificate:
        raise KooError("KM.90016414", "certificate_file_id is required")
    await storage.get_file(session, tenant_id, certificate, "certificate_file_id")
    extra = data.extra_file_ids if data.extra_file_ids is not None else (list(current.extra_file_ids) if current else [])
    for i, fid in enumerate(extra):
        await storage.get_file(session, tenant_id, fid, f"extra_file_ids[{i}]")
    if (why := rules.check_documents(area, extra)) is not None:
        raise invalid("extra_file_ids", why)

    now = utcnow()
    if current is None:
        current = Filing(tenant_id=tenant_id, area=area, state=rules.REVIEWING, company=company, certificate_file_id=certificate,
                         extra_file_ids=extra, submitted_at=now)
        session.add(current)
        await session.flush()
        action, before = "filing.submit", None
    else:
        before = {"company": current.company, "certificate_file_id": current.certificate_file_id, "extra_file_ids": current.extra_file_ids}
        current.state = rules.state_after_edit(current.state)
        current.company, current.certificate_file_id, current.extra_file_ids = company, certificate, extra
        current.review_desc = ""
        current.submitted_at = now
        action = "filing.edit"
    after = {"company": company, "certificate_file_id": certificate, "extra_file_ids": extra}
    await audit(session, actor=actor, action=action, object_type=OBJ_FILING, object_id=current.id, tenant_id=tenant_id,
                detail={"area": area, "before": before, "after": after, "reuse_from": data.reuse_from})
    await review.submit(session, tenant_id=tenant_id, object_type=OBJ_FILING, object_id=current.id, actor=actor,
                        title=f"{rules.area_label(area)}: {company['company_name']}", payload={"area": area, **after}, hooks=hooks)
    return current


async def on_decision(session: AsyncSession, event: review.Decision) -> None:
    filing = await session.get(Filing, event.item.object_id)
    if filing is None:
        return
    if event.state == review.APPROVED:
        filing.state = rules.APPROVED
        filing.approved_at = utcnow()
        filing.review_desc = event.reason[:500]
    elif event.state == review.REJECTED:
        filing.state = rules.REJECTED
        filing.review_desc = event.reason[:500]


def describe(area: str, filing: Filing | None) -> dict:
    if filing is None:
        return {"area": area, "area_name": rules.area_label(area), "state": rules.NONE}
    return {
        "filing_id": filing.id,
        "area": area,
        "area_name": rules.area_label(area),
        "state": filing.state,
        "company": filing.company,
        "certificate_file_id": filing.certificate_file_id,
        "extra_file_ids": list(filing.extra_file_ids),
        "review_desc": filing.review_desc,
        "submitted_at": wire_z(filing.submitted_at),
        "approved_at": wire_z(filing.approved_at) or None,
    }


async def list_filings(session: AsyncSession, tenant_id: str) -> list[dict]:
    rows = {f.area: f for f in (await session.execute(select(Filing).where(Filing.tenant_id == tenant_id))).scalars()}
    return [describe(area, rows.get(area)) for area in rules.AREAS]
