"""Enterprise filing (企业备案) rules (pure).

KooMessage files enterprise documents per product area in its console; Tidings
models the same per-tenant, per-area state with its own API (concepts.md §1):

==================  ==========================================================
area                gates
==================  ==========================================================
``aim.send_task``   smart messages sent through Tidings; SMS applications
``aim.short_link``  short-link generation only (AIM+ resolve tasks)
``basic``           basic edition (video SMS) sending
``service_account`` service accounts
==================  ==========================================================

States: ``none`` (never filed), ``reviewing``, ``approved``, ``rejected``.
"""

from __future__ import annotations

import re

AREAS: dict[str, str] = {
    "aim.send_task": "smart-message send-task filing",
    "aim.short_link": "smart-message short-link filing",
    "basic": "basic-edition filing",
    "service_account": "service-account filing",
}
# Areas whose filing needs more than the business licence (concepts.md §1):
# the basic edition a material commitment letter, service accounts a
# company-relationship authorisation letter.
EXTRA_DOCUMENT: dict[str, str] = {
    "basic": "a material commitment letter",
    "service_account": "a company-relationship authorisation letter",
}

NONE = "none"
REVIEWING = "reviewing"
APPROVED = "approved"
REJECTED = "rejected"

DOCUMENT_TYPES = ("business_licence", "institution_certificate", "other")

# Unified social credit code: 18 characters from digits and upper-case letters
# except I, O, S, V, Z (GB 32100-2015).
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def area_label(area: str) -> str:
    return AREAS.get(area, area)


def check_area(area: str) -> str | None:
    if area not in AREAS:
        return f"area must be one of {', '.join(AREAS)}"
    return None


def check_credit_code(code: str) -> str | None:
    if not _CREDIT_CODE.match(code):
        return "credit_code must be an 18-character unified social credit code (digits and capital letters except I, O, S, V, Z)"
    return None


def check_documents(area: str, extra_file_ids: list[str]) -> str | None:
    need = EXTRA_DOCUMENT.get(area)
    if need and not extra_file_ids:
        return f"extra_file_ids must contain {need} for the {area_label(area)}"
    return None


def may_submit(state: str) -> str | None:
    """Why a (re)submission is refused in ``state``, or None."""
    if state == REVIEWING:
        return "the filing is under review and cannot be resubmitted until the review ends"
    return None


def state_after_edit(state: str) -> str:
    """Editing a rejected filing returns it to review; editing an approved one
    keeps it approved (the change is still reviewed, and a rejection of the
    change turns the filing to rejected)."""
    return APPROVED if state == APPROVED else REVIEWING
