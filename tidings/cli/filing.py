"""``tidings filing ...``: enterprise filing per area from the command line
(the same rules as ``/tidings/v1/filings``).  Acts on the database directly,
as the operator running it; the tenant is named by its name."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from tidings import filing
from tidings.api.errors import KooError
from tidings.cli.common import emit, fail, run
from tidings.context import AppContext
from tidings.storage import UploadError, save_document
from tidings.store import tenants as tenant_store

app = typer.Typer(no_args_is_help=True)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


async def _tenant_id(ctx: AppContext, name: str) -> str:
    async with ctx.db.read() as session:
        tenant = await tenant_store.tenant_by_name(session, name)
    if tenant is None or tenant.is_platform:
        raise KooError("TD.00000404", f"no tenant {name!r}")
    return tenant.id


def _run(fn):
    try:
        return run(fn)
    except UploadError as exc:
        fail(f"{exc.code}: {exc.msg}")


@app.command("upload")
def upload(tenant: str, path: Path, desc: str = typer.Option("", help="What the document is")) -> None:
    """Upload a certificate (JPEG, PNG, BMP or PDF); prints its file id."""
    data = path.read_bytes()

    async def go(ctx: AppContext) -> dict:
        row = await save_document(ctx, tenant_id=await _tenant_id(ctx, tenant), purpose="filing", file_name=path.name, data=data,
                                  desc=desc, actor=_actor())
        return {"file_id": row.id, "file_name": row.file_name, "kind": row.kind, "size": row.size}

    emit(_run(go))


@app.command("submit")
def submit(
    tenant: str,
    area: str = typer.Argument(..., help="aim.send_task | aim.short_link | basic | service_account"),
    company_name: str = typer.Option(None),
    credit_code: str = typer.Option(None, help="18-character unified social credit code"),
    document_type: str = typer.Option("business_licence"),
    legal_person: str = typer.Option(None),
    contact_name: str = typer.Option(None),
    contact_phone: str = typer.Option(None),
    contact_email: str = typer.Option(None),
    certificate_file_id: str = typer.Option(None, help="The business licence (see `tidings filing upload`)"),
    extra_file_id: list[str] = typer.Option(None, help="Commitment / authorisation letters (repeatable)"),
    reuse_from: str = typer.Option(None, help="Take company information from this approved area"),
) -> None:
    """File an area, or edit its filing (refused while under review)."""
    data = filing.FilingInput(company_name=company_name, credit_code=credit_code, document_type=document_type, legal_person=legal_person,
                              contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
                              certificate_file_id=certificate_file_id, extra_file_ids=list(extra_file_id) if extra_file_id else None,
                              reuse_from=reuse_from)

    async def go(ctx: AppContext) -> dict:
        tid = await _tenant_id(ctx, tenant)
        async with ctx.db.write() as session:
            return filing.describe(area, await filing.submit(session, tid, area, data, _actor()))

    emit(_run(go))


@app.command("show")
def show(tenant: str, area: str) -> None:
    """One area's filing and its state."""

    async def go(ctx: AppContext) -> dict:
        tid = await _tenant_id(ctx, tenant)
        async with ctx.db.read() as session:
            return filing.describe(area, await filing.get_filing(session, tid, area))

    emit(_run(go))


@app.command("list")
def list_(tenant: str) -> None:
    """Every area with its state (``none`` when never filed)."""

    async def go(ctx: AppContext) -> list:
        tid = await _tenant_id(ctx, tenant)
        async with ctx.db.read() as session:
            return await filing.list_filings(session, tid)

    emit(_run(go))
