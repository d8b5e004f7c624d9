"""First start: an operator and a demo tenant, so ``make run`` is usable at once.

The credentials go to ``<data_dir>/bootstrap.json`` (mode 0600) and are printed
at every start of the embedded demo: they are demo keys on the operator's own
machine.  Keys created any other way are shown once and never again.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from tidings import accounts
from tidings.context import AppContext

DEMO_TENANT = "demo"


def bootstrap_file(ctx: AppContext) -> Path:
    return ctx.settings.data_dir / "bootstrap.json"


async def ensure_demo(ctx: AppContext) -> dict:
    path = bootstrap_file(ctx)
    if path.exists():
        return json.loads(path.read_text())
    info: dict = {}
    operator = await accounts.ensure_platform(ctx, "operator", secrets.token_urlsafe(12))
    if operator is not None:
        info["operator"] = operator.as_dict()
    try:
        demo = await accounts.create_tenant(
            ctx, DEMO_TENANT, admin_name="admin", password=secrets.token_urlsafe(12), settings={"auto_approve": True}
        )
        info["demo"] = demo.as_dict()
    except accounts.AccountError:
        pass
    for hook in DEMO_HOOKS:
        await hook(ctx, info)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=2)
    return info


# Products add coroutines (ctx, info) that finish the demo tenant's setup
# (approved filing, an application, a signature ...).
DEMO_HOOKS: list = []


async def _demo_sms(ctx: AppContext, info: dict) -> None:
    """Approved filings, "demo-app", an approved notification signature with
    its channel number, a verification-code template and a notification
    template with a TEXT variable (the demo tenant auto-approves)."""
    from tidings import filing, review
    from tidings.domain.templates import MAX_LENGTH
    from tidings.storage import save_document
    from tidings.store import sms as sms_store
    from tidings.store.models.sms import SmsApp, SmsSignature, SmsTemplate

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
        await review.submit(session, tenant_id=tenant_id, object_type=sms_store.OBJ_SIGNATURE, object_id=sig.id, actor=actor, title=sig.name)
        ids = {}
        for key, name, content, variables in (
            ("code_template_id", "verification code", "您的验证码是${1}，5分钟内有效。", [(1, "CHARDIGIT", "")]),
            ("notice_template_id", "shipping notice", "尊敬的${1}，您的订单${2}已发货。", [(1, "TEXT", "customer name"), (2, "CHARDIGIT", "")]),
        ):
            tpl = SmsTemplate(tenant_id=tenant_id, app_id=app.id, signature_id=sig.id, name=name, content=content, type="NOTIFY_TYPE")
            session.add(tpl)
            await session.flush()
            await sms_store.replace_variables(session, tpl.id, [(i, k, d, MAX_LENGTH[k]) for i, k, d in variables])
            await review.submit(session, tenant_id=tenant_id, object_type=sms_store.OBJ_TEMPLATE, object_id=tpl.id, actor=actor, title=name)
            ids[key] = tpl.id
        info["demo_sms"] = {"app_id": app.id, "signature_id": sig.id, "signature_name": sig.name, "channel_num": sig.channel_num, **ids}


DEMO_HOOKS.append(_demo_sms)


def banner(ctx: AppContext, info: dict) -> str:
    url = ctx.settings.base_url
    lines = [
        "",
        "Tidings is running.",
        f"  API:            {url}",
        f"  Virtual phone:  {url}/phone/<number>",
        "",
    ]
    demo = info.get("demo")
    if demo:
        lines += [
            f"  Demo tenant '{demo['tenant_name']}' (domain id {demo['tenant_id']})",
            f"    access key: {demo['access_key']}",
            f"    secret key: {demo['secret_key']}",
            f"    console/IAM login: user {demo['user_name']} / password {demo.get('password', '-')}",
        ]
    sms = info.get("demo_sms")
    if sms:
        lines += [
            f"    SMS: app demo-app {sms['app_id']}, signature 【{sms['signature_name']}】 {sms['signature_id']} (channel {sms['channel_num']})",
            f"         verification-code template {sms['code_template_id']}, notice template {sms['notice_template_id']}",
        ]
    op = info.get("operator")
    if op:
        lines += [
            f"  Operator '{op['user_name']}': access key {op['access_key']}  secret key {op['secret_key']}",
            f"    password {op.get('password', '-')}  (admin API under {url}/admin/v1)",
        ]
    if demo:
        lines += [
            "",
            "  Call it with the official SDK (pip install huaweicloudsdkkoomessage):",
            "",
            "    from huaweicloudsdkcore.auth.credentials import BasicCredentials",
            "    from huaweicloudsdkkoomessage.v1 import KooMessageClient, ListAimMsgAppRequest",
            "    client = (KooMessageClient.new_builder()",
            f"              .with_credentials(BasicCredentials(\"{demo['access_key']}\", \"{demo['secret_key']}\"))",
            f"              .with_endpoints([\"{url}\"]).build())",
            "    print(client.list_aim_msg_app(ListAimMsgAppRequest()))",
        ]
    lines.append(f"  (credentials are also in {bootstrap_file(ctx)})")
    return "\n".join(lines) + "\n"
