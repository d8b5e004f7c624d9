"""The SMS part of the embedded demo: what a first start gives the demo tenant
so ``make run`` can send at once."""

from __future__ import annotations

from tidings import filing, review
from tidings.context import AppContext
from tidings.domain.templates import MAX_LENGTH
from tidings.sms import codes, queries
from tidings.storage import save_document
from tidings.store.models.sms import SmsApp, SmsSignature, SmsTemplate


async def create(ctx: AppContext, info: dict) -> None:
    """Approved filings, "demo-app", an approved notification signature with
    its channel number, a verification-code template and a notification
    template with a TEXT variable (the demo tenant auto-approves)."""
    demo = info.get("demo")
    if not demo:
        return
    tenant_id, actor = demo["tenant_id"], "bootstrap"
    licence = await save_document(ctx, tenant_id=tenant_id, purpose="filing", file_name="demo-licence.pdf",
                                  data=b"%PDF-1.4\n% Tidings demo business licence\n%%EOF\n", desc="demo business licence", actor=actor)
    async with ctx.db.write() as session:
        company = filing.FilingInput(company_name="Tidings Demo Co., Ltd.", credit_code="91110000MA01DEM80X", contact_name="Demo",
                                     contact_phone="13800138000", certificate_file_id=licence.id, extra_file_ids=[licence.id])
        for area in ("aim.send_task", "aim.short_link", "basic", "service_account"):
            await filing.submit(session, tenant_id, area, company, actor)
        app = SmsApp(tenant_id=tenant_id, name="demo-app")
        session.add(app)
        await session.flush()
        sig = SmsSignature(tenant_id=tenant_id, app_id=app.id, name="Tidings演示", type="NOTIFY_TYPE", apply_desc="demo", file_id=licence.id,
                           signature_source=0, is_involved_third="no")
        session.add(sig)
        await session.flush()
        await review.submit(session, tenant_id=tenant_id, object_type=codes.OBJ_SIGNATURE, object_id=sig.id, actor=actor, title=sig.name)
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
            await review.submit(session, tenant_id=tenant_id, object_type=codes.OBJ_TEMPLATE, object_id=tpl.id, actor=actor, title=name)
            ids[key] = tpl.id
            described.append({"template_id": tpl.id, "name": name, "content": content, "variables": [k for _, k, _ in variables]})
        info["demo_sms"] = {"app_id": app.id, "signature_id": sig.id, "signature_name": sig.name, "channel_num": sig.channel_num, **ids,
                            "templates": described}
