"""The SMS part of the embedded demo: what a first start gives the demo tenant
so ``make run`` can send at once."""

from __future__ import annotations

from tidings import review
from tidings.context import AppContext
from tidings.domain.templates import MAX_LENGTH
from tidings.sms import codes, queries
from tidings.store.models.sms import SmsApp, SmsSignature, SmsTemplate


async def create(ctx: AppContext, info: dict) -> None:
    """The demo tenant's "demo-app", an approved notification signature with
    its channel number, a verification-code template and a notification
    template with a TEXT variable (the demo tenant auto-approves)."""
    demo = info.get("demo")
    if not demo:
        return
    tenant_id, actor = demo["tenant_id"], "bootstrap"
    licence_id = demo["licence_file_id"]  # the core demo's approved filings came with it
    async with ctx.db.write() as session:
        app = SmsApp(tenant_id=tenant_id, name="demo-app")
        session.add(app)
        await session.flush()
        sig = SmsSignature(tenant_id=tenant_id, app_id=app.id, name="Tidings演示", type="NOTIFY_TYPE", apply_desc="demo", file_id=licence_id,
                           signature_source=0, is_involved_third="no")
        session.add(sig)
        await session.flush()
        await review.submit(session, tenant_id=tenant_id, object_type=codes.OBJ_SIGNATURE, object_id=sig.id, actor=actor, title=sig.name,
                            hooks=ctx.review_hooks)
        ids: dict = {}
        described = []
        for key, name, content, variables in (
            ("code_template_id", "verification code", "您的验证码是${1}，5分钟内有效。", [(1, "CHARDIGIT", "")]),
            ("notice_template_id", "shipping notice", "尊敬的${1}，您的订单${2}已发货。", [(1, "TEXT", "customer name"), (2, "CHARDIGIT", "")]),
        ):
            tpl = SmsTemplate(tenant_id=tenant_id, app_id=app.id, signature_id=sig.id, name=name, content=content, type="NOTIFY_TYPE")
            session.add(tpl)
            await session.flush()
            await queries.replace_variables(session, tpl.id, [(i, k, d, MAX_LENGTH[k]) for i, k, d in variables])
            await review.submit(session, tenant_id=tenant_id, object_type=codes.OBJ_TEMPLATE, object_id=tpl.id, actor=actor, title=name, hooks=ctx.review_hooks)
            ids[key] = tpl.id
            described.append({"template_id": tpl.id, "name": name, "content": content, "variables": [k for _, k, _ in variables]})
        info["demo_sms"] = {"app_id": app.id, "signature_id": sig.id, "signature_name": sig.name, "channel_num": sig.channel_num, **ids,
                            "templates": described}


def banner(info: dict) -> list[str]:
    """The demo's SMS objects, for the start-up banner: what to send with."""
    sms = info.get("demo_sms")
    if not sms:
        return []
    lines = [f"    SMS: app demo-app {sms['app_id']}, signature 【{sms['signature_name']}】 {sms['signature_id']} (channel {sms['channel_num']})"]
    for t in sms.get("templates", []):
        lines.append(f"    template {t['template_id']} ({t['name']}): {t['content']}")
        lines.append(f"      template_params: {len(t['variables'])} value(s), types [{', '.join(t['variables'])}]")
    if not sms.get("templates"):  # a data dir from before the banner described them
        lines.append(f"    verification-code template {sms['code_template_id']}, notice template {sms['notice_template_id']}")
    return lines
