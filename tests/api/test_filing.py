"""Enterprise filing through Tidings' own API: states per area, no
resubmission under review, edits of rejected and approved filings, reuse of
approved information, document checks, roles, and the operator's view."""

from __future__ import annotations

from tests.api.sms_support import CREDIT_CODE, decide, file_filing, pdf_bytes, review_of
from tests.support.harness import Server


def _put(server: Server, creds, area: str, body: dict):
    with server.http(creds) as c:
        return c.put(f"/tidings/v1/filings/{area}", json=body)


def _get(server: Server, creds, area: str) -> dict:
    with server.http(creds) as c:
        r = c.get(f"/tidings/v1/filings/{area}")
    assert r.status_code == 200, r.text
    return r.json()


def test_every_area_starts_as_none(server: Server, tenant):
    with server.http(tenant) as c:
        r = c.get("/tidings/v1/filings")
    assert r.status_code == 200
    assert {f["area"]: f["state"] for f in r.json()["filings"]} == {
        "aim.send_task": "none", "aim.short_link": "none", "basic": "none", "service_account": "none"
    }


def test_reviewing_then_rejected_then_edited_then_approved(server: Server, tenant):
    filed = file_filing(server, tenant)
    assert filed["state"] == "reviewing" and filed["company"]["credit_code"] == CREDIT_CODE

    again = _put(server, tenant, "aim.send_task", {"company_name": "Other"})
    assert again.status_code == 400 and again.json()["error_code"] == "KM.00001150"
    assert "under review" in again.json()["error_msg"]

    decide(server, filed["filing_id"], "rejected", reason="licence scan unreadable")
    rejected = _get(server, tenant, "aim.send_task")
    assert rejected["state"] == "rejected" and rejected["review_desc"] == "licence scan unreadable"

    edited = _put(server, tenant, "aim.send_task", {"contact_name": "Han Meimei"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["state"] == "reviewing"
    assert edited.json()["company"]["company_name"] == "Example Trading Co., Ltd."  # unnamed fields are kept
    assert review_of(server, filed["filing_id"])["round"] == 2

    decide(server, filed["filing_id"], "approved")
    assert _get(server, tenant, "aim.send_task")["state"] == "approved"


def test_editing_an_approved_filing_keeps_it_approved(server: Server, tenant):
    filed = file_filing(server, tenant)
    decide(server, filed["filing_id"], "approved")
    r = _put(server, tenant, "aim.send_task", {"contact_phone": "13900139000"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert review_of(server, filed["filing_id"])["state"] == "pending"  # the change is still reviewed
    decide(server, filed["filing_id"], "approved")
    assert _get(server, tenant, "aim.send_task")["company"]["contact_phone"] == "13900139000"


def test_approved_information_is_reused_for_another_area(server: Server, tenant):
    filed = file_filing(server, tenant)
    not_yet = _put(server, tenant, "aim.short_link", {"reuse_from": "aim.send_task"})
    assert not_yet.status_code == 400 and "reuse_from" in not_yet.json()["error_msg"]
    decide(server, filed["filing_id"], "approved")
    r = _put(server, tenant, "aim.short_link", {"reuse_from": "aim.send_task"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "reviewing"
    assert r.json()["certificate_file_id"] == filed["certificate_file_id"]
    assert r.json()["company"] == filed["company"]


def test_areas_with_an_extra_document_require_it(server: Server, tenant):
    filed = file_filing(server, tenant)
    r = _put(server, tenant, "service_account", {**filed["company"], "certificate_file_id": filed["certificate_file_id"]})
    assert r.status_code == 400 and "extra_file_ids" in r.json()["error_msg"] and "authorisation letter" in r.json()["error_msg"]
    with server.http(tenant) as c:
        letter = c.post("/tidings/v1/filings/files", files={"file": ("letter.pdf", pdf_bytes(), "application/pdf")}).json()["file_id"]
    r = _put(server, tenant, "service_account", {**filed["company"], "certificate_file_id": filed["certificate_file_id"], "extra_file_ids": [letter]})
    assert r.status_code == 200 and r.json()["extra_file_ids"] == [letter]


def test_bad_input_names_the_field(server: Server, tenant):
    with server.http(tenant) as c:
        fid = c.post("/tidings/v1/filings/files", files={"file": ("l.pdf", pdf_bytes(), "application/pdf")}).json()["file_id"]
    base = {"company_name": "X Co", "credit_code": CREDIT_CODE, "contact_name": "A", "contact_phone": "13800138000", "certificate_file_id": fid}
    r = _put(server, tenant, "aim.send_task", {**base, "credit_code": "91310000MA1FL4X12O"})
    assert r.status_code == 400 and "credit_code" in r.json()["error_msg"]
    r = _put(server, tenant, "aim.send_task", {k: v for k, v in base.items() if k != "contact_name"})
    assert r.status_code == 400 and r.json()["error_msg"] == "contact_name is required"
    r = _put(server, tenant, "nowhere", base)
    assert r.status_code == 400 and "area must be one of" in r.json()["error_msg"]
    other = server.create_tenant()
    r = _put(server, other, "aim.send_task", base)  # someone else's document
    assert r.status_code == 400 and r.json()["error_code"] == "KM.00001121"
    with server.http(tenant) as c:
        assert c.get("/tidings/v1/filings/aim.send_task").json()["state"] == "none"  # nothing half-written


def test_members_read_but_only_te_admin_files(server: Server, tenant):
    member = server.cli_json("user", "create", "clerk", "--tenant", tenant.name, "--role", "member")
    from tests.support.harness import TenantCreds

    clerk = TenantCreds(tenant.tenant_id, tenant.name, tenant.project_id, "clerk", member["access_key"], member["secret_key"])
    with server.http(clerk) as c:
        assert c.get("/tidings/v1/filings").status_code == 200
        r = c.put("/tidings/v1/filings/aim.send_task", json={"company_name": "X"})
    assert r.status_code == 403 and "te_admin" in r.json()["error_msg"]


def test_operator_sees_a_tenants_filings_and_the_cli_files_too(server: Server, tenant):
    with server.http(tenant) as c:
        fid = c.post("/tidings/v1/filings/files", files={"file": ("l.pdf", pdf_bytes(), "application/pdf")}).json()["file_id"]
    out = server.cli_json("filing", "submit", "basic", "--tenant", tenant.name, "--company-name", "CLI Co", "--credit-code", CREDIT_CODE,
                          "--contact-name", "Wang", "--contact-phone", "13800138000", "--certificate-file-id", fid, "--extra-file-id", fid)
    assert out["state"] == "reviewing" and out["area"] == "basic"
    listed = server.cli_json("filing", "list", "--tenant", tenant.name)
    assert {f["area"]: f["state"] for f in listed}["basic"] == "reviewing"
    with server.admin() as c:
        r = c.get(f"/admin/v1/tenants/{tenant.tenant_id}/filings")
    assert r.status_code == 200
    assert {f["area"]: f["state"] for f in r.json()["filings"]}["basic"] == "reviewing"
    assert server.cli_json("filing", "show", "basic", "--tenant", tenant.name)["company"]["company_name"] == "CLI Co"
