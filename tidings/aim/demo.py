"""The demo tenant's smart-message template: an image-and-text card submitted
to HUAWEI and XIAOMI (the demo tenant auto-approves, so it is usable at once),
and the banner line that points to its preview."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tidings.context import AppContext


async def create(ctx: AppContext, info: dict) -> None:
    from tidings.aim import lifecycle, pages, rules, views
    from tidings.aim.requests import CreateTemplate
    from tidings.aim.samples import sample_request

    demo = info.get("demo")
    if not demo or info.get("aim"):
        return
    body = sample_request("StandardImageAndText", ("HUAWEI", "XIAOMI"), name="Demo offer card")
    req = CreateTemplate.model_validate(body)
    checked = rules.check_create(req)
    async with ctx.db.write() as session:
        tpl_id = await lifecycle.create_template(session, tenant_id=demo["tenant_id"], actor="bootstrap", request=req.model_dump(exclude_none=True),
                                                 checked=checked, pages=pages.to_json(req), hooks=ctx.review_hooks)
    info["aim"] = {"tpl_id": tpl_id, "preview_url": views.preview_url(ctx.settings.base_url, ctx.box, tpl_id)}


def banner(info: dict) -> list[str]:
    aim = info.get("aim")
    if not aim:
        return []
    return [f"  Smart-message card (demo): tpl_id {aim['tpl_id']}, preview {aim['preview_url']}"]
