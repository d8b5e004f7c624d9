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

from tidings import accounts, filing
from tidings.context import AppContext
from tidings.domain.filing import AREAS
from tidings.storage import save_document

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
    if "demo" in info:
        info["demo"]["licence_file_id"] = await _demo_filings(ctx, info["demo"]["tenant_id"])
    for product in ctx.products:
        if product.demo is not None:
            await product.demo(ctx, info)


async def _demo_filings(ctx: AppContext, tenant_id: str) -> str:
    """A demo business licence and an approved filing of every area (the demo
    tenant auto-approves), so every product's demo can start at once; returns
    the licence's file id, which products may reuse as a qualification document."""
    actor = "bootstrap"
    licence = await save_document(ctx, tenant_id=tenant_id, purpose="filing", file_name="demo-licence.pdf",
                                  data=b"%PDF-1.4\n% Tidings demo business licence\n%%EOF\n", desc="demo business licence", actor=actor)
    company = filing.FilingInput(company_name="Tidings Demo Co., Ltd.", credit_code="91110000MA01DEM80X", contact_name="Demo",
                                 contact_phone="13800138000", certificate_file_id=licence.id, extra_file_ids=[licence.id])
    async with ctx.db.write() as session:
        for area in AREAS:
            await filing.submit(session, tenant_id, area, company, actor, hooks=ctx.review_hooks)
    return licence.id


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
    for product in ctx.products:
        if product.banner is not None:
            lines += product.banner(info)
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
