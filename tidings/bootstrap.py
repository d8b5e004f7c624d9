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
