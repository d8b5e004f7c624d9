"""``tidings review ...``: the operator's review queue from the command line
(the same actions as ``/admin/v1/reviews``)."""

from __future__ import annotations

import typer

from tidings.cli.common import actor, emit, run, tenant_id_by_name, tenant_option

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    state: str = typer.Option("pending", help="pending | approved | rejected | partial | all"),
    object_type: str = typer.Option(None, help="sms_signature | sms_template | filing | ..."),
    tenant: str = tenant_option(required=False, help="Only this tenant's reviews (by name or id)"),
    object_id: str = typer.Option(None),
    limit: int = typer.Option(50),
) -> None:
    """The queue, most urgent (expedited) first, then oldest first."""
    from tidings.review import operator as ops

    async def go(ctx):
        tenant_id = await tenant_id_by_name(ctx, tenant) if tenant else None
        return await ops.list_reviews(ctx, state=None if state == "all" else state, object_type=object_type, tenant_id=tenant_id,
                                      object_id=object_id, limit=limit)

    emit(run(go))


@app.command("show")
def show(review_id: str) -> None:
    """One review with its parties and full history."""
    from tidings.review import operator as ops

    emit(run(lambda ctx: ops.show(ctx, review_id)))


@app.command("approve")
def approve(review_id: str, party: str = typer.Option(None, help="Required when the review has several parties"),
            reason: str = typer.Option("", help="Note shown to the tenant")) -> None:
    from tidings.review import operator as ops

    emit(run(lambda ctx: ops.decide(ctx, review_id, decision="approved", actor=actor(), party=party, reason=reason)))


@app.command("reject")
def reject(review_id: str, reason: str = typer.Option(..., help="Why (shown to the tenant as review_desc)"),
           party: str = typer.Option(None, help="Required when the review has several parties")) -> None:
    from tidings.review import operator as ops

    emit(run(lambda ctx: ops.decide(ctx, review_id, decision="rejected", actor=actor(), party=party, reason=reason)))


@app.command("expedite")
def expedite(review_id: str, desc: str = typer.Option("", help="Why it is urgent")) -> None:
    """Move a pending review to the front of the queue."""
    from tidings.review import operator as ops

    emit(run(lambda ctx: ops.expedite(ctx, review_id, actor=actor(), desc=desc)))
