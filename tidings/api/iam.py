"""The two IAM calls an SDK user may need when configuring a region instead of
an endpoint: password login for a token, and project discovery."""

from __future__ import annotations

from datetime import timedelta

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tidings.api.deps import authenticate, ctx_of
from tidings.errors import KooError
from tidings.store import tenants as store
from tidings.timeutil import utcnow

router = APIRouter(tags=["iam"])

# Every tenant has one project, named after the region the SDK is configured for.
PROJECT_NAME = "cn-north-4"


def _bad_login() -> KooError:
    return KooError("APIGW.0301", "Incorrect IAM authentication information: wrong user name, password or domain", 401)


def _check_scope(scope: dict, grant: store.KeyGrant) -> None:
    """A token is only ever for the caller's own project; a scope naming
    another tenant's project or domain, or one that does not exist, is refused
    like IAM refuses it, never silently swapped for the caller's own."""
    project, domain = scope.get("project"), scope.get("domain")
    if isinstance(project, dict):
        if "id" in project and project["id"] != grant.project_id:
            raise _bad_scope("project")
        if "name" in project and project["name"] != PROJECT_NAME:
            raise _bad_scope("project")
        domain = project.get("domain", domain)
    elif project is not None:
        raise _bad_scope("project")
    if isinstance(domain, dict):
        if "id" in domain and domain["id"] != grant.tenant_id:
            raise _bad_scope("domain")
        if "name" in domain and domain["name"] != grant.tenant_name:
            raise _bad_scope("domain")
    elif domain is not None:
        raise _bad_scope("domain")


def _bad_scope(what: str) -> KooError:
    return KooError("APIGW.0301", f"Incorrect IAM authentication information: the {what} in the scope does not exist or is not yours", 401)


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
        scope = body["auth"].get("scope") or {}
        if not isinstance(scope, dict):
            raise TypeError("scope")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise KooError("APIGW.0201", "API request error: expected an IAM password-auth body", 400) from None
    if not domain:
        raise _bad_login()
    async with ctx.db.write() as session:
        issued = await store.issue_token(session, domain, user_name, password, timedelta(seconds=ctx.settings.token_ttl_seconds))
        if issued is None:
            raise _bad_login()
        # Raised inside the transaction: a refused scope leaves no token behind.
        _check_scope(scope, issued[2])
    token, expires, grant = issued
    now = utcnow()
    payload = {
        "token": {
            "methods": ["password"],
            "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "user": {"id": grant.user_id, "name": grant.user_name, "domain": {"id": grant.tenant_id, "name": grant.tenant_name}},
            "roles": [{"name": r, "id": r} for r in grant.roles],
            "project": {"id": grant.project_id, "name": PROJECT_NAME, "domain": {"id": grant.tenant_id, "name": grant.tenant_name}},
        }
    }
    return Response(orjson.dumps(payload), status_code=201, media_type="application/json", headers={"X-Subject-Token": token})


@router.get("/v3/projects", include_in_schema=False)
async def list_projects(request: Request, name: str | None = None) -> dict:
    grant = await authenticate(request)
    project = {"id": grant.project_id, "name": PROJECT_NAME, "domain_id": grant.tenant_id, "enabled": True, "is_domain": False}
    projects = [project] if name in (None, PROJECT_NAME) else []
    return {"projects": projects, "links": {"self": str(request.url)}}
