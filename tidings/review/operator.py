"""Operator actions on the review queue, shared by the admin API and the CLI:
each is one write transaction, so a decision, its audit record and the
owning product's status change commit together."""

from __future__ import annotations

from tidings import review
from tidings.context import AppContext


def _described(ctx: AppContext, item, decisions=None) -> dict:
    """The item as operators see it, with the owning product's links (e.g. the
    card preview; Product.review_links, computed now since links may carry tokens)."""
    out = review.describe(item, decisions)
    hook = ctx.review_links.get(item.object_type)
    extra = hook(ctx, item) if hook else {}
    if extra:
        out["links"] = extra
    return out


async def list_reviews(ctx: AppContext, *, state: str | None = review.PENDING, object_type: str | None = None,
                       tenant_id: str | None = None, object_id: str | None = None, offset: int = 0, limit: int = 50) -> dict:
    async with ctx.db.read() as session:
        items, total = await review.queue(session, state=state, object_type=object_type, tenant_id=tenant_id, object_id=object_id,
                                          offset=offset, limit=limit)
        return {"reviews": [_described(ctx, i) for i in items], "total": total, "offset": offset, "limit": limit}


async def show(ctx: AppContext, review_id: str) -> dict:
    async with ctx.db.read() as session:
        item = await review.get_item(session, review_id)
        return _described(ctx, item, await review.history(session, item.id))


async def decide(ctx: AppContext, review_id: str, *, decision: str, actor: str, party: str | None = None, reason: str = "") -> dict:
    async with ctx.db.write() as session:
        item = await review.get_item(session, review_id)
        event = await review.decide(session, item, party=party, decision=decision, actor=actor, reason=reason, hooks=ctx.review_hooks)
        return _described(ctx, event.item, await review.history(session, item.id))


async def expedite(ctx: AppContext, review_id: str, *, actor: str, desc: str = "") -> dict:
    async with ctx.db.write() as session:
        item = await review.expedite(session, await review.get_item(session, review_id), actor=actor, desc=desc)
        return _described(ctx, item)
