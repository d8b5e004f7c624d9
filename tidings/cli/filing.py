"""``tidings filing ...``: enterprise filing per area from the command line
(the same rules as ``/tidings/v1/filings``).  Acts on the database directly,
as the operator running it; the tenant is named with ``--tenant``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tidings.cli.common import actor, emit, run, tenant_id_by_name, tenant_option

if TYPE_CHECKING:
    from tidings.context import AppContext

app = typer.Typer(no_args_is_help=True)


@app.command("upload")
def upload(path: Path, tenant: str = tenant_option(), desc: str = typer.Option("", help="What the document is")) -> None:
    """Upload a certificate (JPEG, PNG, BMP or PDF); prints its file id."""
    from tidings.storage import save_document

    data = path.read_bytes()

    async def go(ctx: AppContext) -> dict:
        row = await save_document(ctx, tenant_id=await tenant_id_by_name(ctx, tenant), purpose="filing", file_name=path.name, data=data,
                                  desc=desc, actor=actor())
        return {"file_id": row.id, "file_name": row.file_name, "kind": row.kind, "size": row.size}

    emit(run(go))


@app.command("submit")
def submit(
    area: str = typer.Argument(..., help="aim.send_task | aim.short_link | basic | service_account"),
    tenant: str = tenant_option(),
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
    from tidings import filing

    data = filing.FilingInput(company_name=company_name, credit_code=credit_code, document_type=document_type, legal_person=legal_person,
                              contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
                              certificate_file_id=certificate_file_id, extra_file_ids=list(extra_file_id) if extra_file_id else None,
                              reuse_from=reuse_from)

    async def go(ctx: AppContext) -> dict:
        tid = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.write() as session:
            return filing.describe(area, await filing.submit(session, tid, area, data, actor(), hooks=ctx.review_hooks))

    emit(run(go))


@app.command("show")
def show(area: str, tenant: str = tenant_option()) -> None:
    """One area's filing and its state."""
    from tidings import filing

    async def go(ctx: AppContext) -> dict:
        tid = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            return filing.describe(area, await filing.get_filing(session, tid, area))

    emit(run(go))


@app.command("list")
def list_(tenant: str = tenant_option()) -> None:
    """Every area with its state (``none`` when never filed)."""
    from tidings import filing

    async def go(ctx: AppContext) -> list:
        tid = await tenant_id_by_name(ctx, tenant)
        async with ctx.db.read() as session:
            return await filing.list_filings(session, tid)

    emit(run(go))
