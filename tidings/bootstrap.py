"""First start: an operator and a demo tenant, so ``make run`` is usable at once.

The credentials go to ``<data_dir>/bootstrap.json`` (mode 0600) and are printed
once, when they are created (by the first ``tidings serve`` or ``tidings
migrate``); later starts name the file and ``tidings key list`` instead of
printing secrets into every log.  Keys created any other way are shown once
and never again.
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


async def ensure_first_start(ctx: AppContext, *, demo: bool = True) -> tuple[dict, bool]:
    """The operator (always) and the demo tenant (when ``demo``), once per data
    dir.  Returns what was created and whether it was created just now."""
    path = bootstrap_file(ctx)
    if path.exists():
        return json.loads(path.read_text()), False
    info: dict = {}
    operator = await accounts.ensure_platform(ctx, "operator", secrets.token_urlsafe(12))
    if operator is not None:
        info["operator"] = operator.as_dict()
    if demo:
        await _ensure_demo_tenant(ctx, info)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=2)
    return info, True


async def _ensure_demo_tenant(ctx: AppContext, info: dict) -> None:
    try:
        demo = await accounts.create_tenant(
            ctx, DEMO_TENANT, admin_name="admin", password=secrets.token_urlsafe(12), settings={"auto_approve": True}
        )
        info["demo"] = demo.as_dict()
    except accounts.AccountError:
        pass
    for hook in DEMO_HOOKS:
        await hook(ctx, info)


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
        ids: dict = {}
        described = []
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
            described.append({"template_id": tpl.id, "name": name, "content": content, "variables": [k for _, k, _ in variables]})
        info["demo_sms"] = {"app_id": app.id, "signature_id": sig.id, "signature_name": sig.name, "channel_num": sig.channel_num, **ids,
                            "templates": described}


DEMO_HOOKS.append(_demo_sms)


def banner(ctx: AppContext, info: dict, first_start: bool) -> str:
    """What ``tidings serve`` prints once it listens: where things are, the
    demo's templates, and (on the first start only) the secrets."""
    url = ctx.settings.base_url
    lines = [
        "",
        "Tidings is running.",
        f"  Start page:     {url}/",
        f"  API:            {url}   (reference: {url}/docs)",
        f"  Virtual phone:  {url}/phone/<number>",
        "",
        *_account_lines(ctx, info, first_start),
    ]
    demo = info.get("demo")
    if demo and first_start:
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
    return "\n".join([*lines, *_where_secrets_are(ctx, first_start)]) + "\n"


def credentials(ctx: AppContext, info: dict) -> str:
    """What ``tidings migrate`` prints when it created the accounts."""
    return "\n".join(["", "Created on this first start:", *_account_lines(ctx, info, True), *_where_secrets_are(ctx, True)]) + "\n"


def _account_lines(ctx: AppContext, info: dict, with_secrets: bool) -> list[str]:
    url = ctx.settings.base_url
    lines: list[str] = []
    demo = info.get("demo")
    if demo:
        lines.append(f"  Demo tenant '{demo['tenant_name']}' (domain id {demo['tenant_id']})")
        if with_secrets:
            lines += [
                f"    access key: {demo['access_key']}",
                f"    secret key: {demo['secret_key']}",
                f"    console/IAM login: user {demo['user_name']} / password {demo.get('password', '-')}",
            ]
        else:
            lines.append(f"    access key: {demo['access_key']}")
    sms = info.get("demo_sms")
    if sms:
        lines.append(f"    SMS: app demo-app {sms['app_id']}, signature 【{sms['signature_name']}】 {sms['signature_id']} (channel {sms['channel_num']})")
        for t in sms.get("templates", []):
            lines.append(f"    template {t['template_id']} ({t['name']}): {t['content']}")
            lines.append(f"      template_params: {len(t['variables'])} value(s), types [{', '.join(t['variables'])}]")
        if not sms.get("templates"):  # a data dir from before the banner described them
            lines.append(f"    verification-code template {sms['code_template_id']}, notice template {sms['notice_template_id']}")
    op = info.get("operator")
    if op:
        if with_secrets:
            lines += [f"  Operator '{op['user_name']}': access key {op['access_key']}  secret key {op['secret_key']}",
                      f"    password {op.get('password', '-')}  (admin API under {url}/admin/v1)"]
        else:
            lines.append(f"  Operator '{op['user_name']}': access key {op['access_key']}  (admin API under {url}/admin/v1)")
    return lines


def _where_secrets_are(ctx: AppContext, first_start: bool) -> list[str]:
    if first_start:
        return ["", f"  These secrets are shown this once; they are kept in {bootstrap_file(ctx)} (mode 0600)."]
    return ["", f"  Secret keys and passwords were shown at the first start and are kept in {bootstrap_file(ctx)};",
            "  `tidings key list --tenant demo` lists the keys, `tidings key create --tenant demo` makes a new one."]
