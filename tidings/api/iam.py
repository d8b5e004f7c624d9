"""The two IAM calls an SDK user may need when configuring a region instead of
an endpoint: password login for a token, and project discovery."""

from __future__ import annotations

from datetime import timedelta

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tidings.api.deps import ctx_of
from tidings.api.errors import KooError
from tidings.api.deps import authenticate
from tidings.store import tenants as store
from tidings.timeutil import utcnow

router = APIRouter(tags=["iam"])


def _bad_login() -> KooError:
    return KooError("APIGW.0301", "Incorrect IAM authentication information: wrong user name, password or domain", 401)


@router.post("/v3/auth/tokens", status_code=201, include_in_schema=False)
async def create_token(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        body = orjson.loads(await request.body())
        identity = body["auth"]["identity"]
        if "password" not in identity.get("methods", []):
            raise KeyError("methods")
        user = identity["password"]["user"]
        user_name, password = user["name"], user["password"]
        domain = (user.get("domain") or {}).get("name")
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise KooError("APIGW.0201", "API request error: expected an IAM password-auth body", 400) from None
    if not domain:
        raise _bad_login()
    async with ctx.db.write() as session:
        issued = await store.issue_token(session, domain, user_name, password, timedelta(seconds=ctx.settings.token_ttl_seconds))
    if issued is None:
        raise _bad_login()
    token, expires, grant = issued
    now = utcnow()
    payload = {
        "token": {
            "methods": ["password"],
            "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "user": {"id": grant.user_id, "name": grant.user_name, "domain": {"id": grant.tenant_id, "name": grant.tenant_name}},
            "roles": [{"name": r, "id": r} for r in grant.roles],
            "project": {"id": grant.project_id, "name": "cn-north-4", "domain": {"id": grant.tenant_id, "name": grant.tenant_name}},
        }
    }
    return Response(orjson.dumps(payload), status_code=201, media_type="application/json", headers={"X-Subject-Token": token})


@router.get("/v3/projects", include_in_schema=False)
async def list_projects(request: Request, name: str | None = None) -> dict:
    grant = await authenticate(request)
    project = {"id": grant.project_id, "name": "cn-north-4", "domain_id": grant.tenant_id, "enabled": True, "is_domain": False}
    projects = [project] if name in (None, "cn-north-4") else []
    return {"projects": projects, "links": {"self": str(request.url)}}
