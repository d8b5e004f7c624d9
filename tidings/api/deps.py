"""Who is calling: AK/SK signature or IAM token → :class:`Principal`.

Every KooMessage operation depends on :func:`tenant_principal`; the admin API
on :func:`operator_principal`.  Key lookups are cached for a few seconds so the
hot send path does not pay a database round trip per request; a revocation
therefore takes effect within ``key_cache_seconds`` (a setting, 5 s by default)
on every process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fastapi import Depends, Request

from tidings.api import signing
from tidings.api.gateway import body_sha256
from tidings.context import AppContext
from tidings.errors import KooError
from tidings.ratelimit import retry_after_header
from tidings.store import tenants as store
from tidings.store.models.core import ROLE_OPERATOR, ROLE_TENANT_ADMIN


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    tenant_name: str
    project_id: str
    user_id: str
    user_name: str
    roles: tuple[str, ...]
    settings: dict
    access_key: str | None

    @property
    def actor(self) -> str:
        return f"{self.tenant_name}/{self.user_name}"

    def has(self, role: str) -> bool:
        return role in self.roles


def ctx_of(request: Request) -> AppContext:
    return request.app.state.ctx


def accepts_unsigned_payload(endpoint):
    """Mark an upload operation: the SDK signs its multipart body as
    ``UNSIGNED-PAYLOAD``, which every other operation refuses."""
    endpoint.accepts_unsigned_payload = True
    return endpoint


def _unsigned_allowed(request: Request) -> bool:
    route = request.scope.get("route")
    return getattr(getattr(route, "endpoint", None), "accepts_unsigned_payload", False)


def _unauthorized(msg: str) -> KooError:
    return KooError("APIGW.0301", f"Incorrect IAM authentication information: {msg}", status=401)


async def _cached_grant(ctx: AppContext, key: str, load) -> store.KeyGrant | None:
    """``load(session)``'s grant through the cache under ``key`` (misses are cached too)."""
    cache = ctx.grant_cache
    found, grant = cache.get(key)
    if not found:
        async with ctx.db.read() as session:
            grant = await load(session)
        if grant is not None:  # the settings this installation's keys still accept (old rows may hold anything)
            grant = replace(grant, tenant_settings=ctx.tenant_settings.readable(grant.tenant_settings))
        cache.put(key, grant)
    return grant


async def _grant_for_key(ctx: AppContext, ak: str) -> store.KeyGrant | None:
    return await _cached_grant(ctx, "ak:" + ak, lambda session: store.grant_for_key(session, ctx.box, ak))


async def _grant_for_token(ctx: AppContext, token: str) -> store.KeyGrant | None:
    return await _cached_grant(ctx, "tok:" + token, lambda session: store.grant_for_token(session, token))


async def authenticate(request: Request) -> store.KeyGrant:
    ctx = ctx_of(request)
    token = request.headers.get("x-auth-token")
    if token:
        grant = await _grant_for_token(ctx, token)
        if grant is None:
            raise _unauthorized("the token is invalid or expired")
        return grant

    auth = request.headers.get("authorization")
    if not auth:
        raise _unauthorized("missing Authorization or X-Auth-Token")
    try:
        parsed = signing.parse_authorization(auth)
        sdk_date = request.headers.get("x-sdk-date")
        if not sdk_date:
            raise signing.SignatureError("X-Sdk-Date is missing")
        when = signing.parse_sdk_date(sdk_date)
        skew = abs((datetime.now(UTC) - when).total_seconds())
        if skew > ctx.settings.sdk_date_skew_seconds:
            raise signing.SignatureError("X-Sdk-Date is more than 15 minutes off the server clock")
        grant = await _grant_for_key(ctx, parsed.access_key)
        if grant is None or grant.secret is None:
            raise signing.SignatureError("unknown or revoked access key")
        headers = {k.decode("latin-1").lower(): v.decode("utf-8", "replace") for k, v in request.scope["headers"]}
        body = await request.body()
        digest = body_sha256(request) or hashlib.sha256(body).hexdigest()
        body_hash = signing.payload_hash(headers.get("x-sdk-content-sha256"), digest, not body,
                                         unsigned_allowed=_unsigned_allowed(request))
        query = [(k, v) for k, v in request.query_params.multi_items()]
        # The path as sent: the signer decodes it once itself, so the already
        # decoded ``scope["path"]`` would decode ``%25`` twice.
        raw_path = request.scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else request.url.path
        canonical = signing.canonical_request(request.method, path, query, headers, parsed.signed_headers, body_hash)
        if not signing.verify(parsed.signature, grant.secret, canonical, sdk_date):
            raise signing.SignatureError("signature mismatch")
    except signing.SignatureError as exc:
        raise _unauthorized(str(exc)) from None
    return grant


def _principal(grant: store.KeyGrant) -> Principal:
    return Principal(
        tenant_id=grant.tenant_id,
        tenant_name=grant.tenant_name,
        project_id=grant.project_id,
        user_id=grant.user_id,
        user_name=grant.user_name,
        roles=grant.roles,
        settings=grant.tenant_settings,
        access_key=grant.access_key,
    )


async def tenant_principal(request: Request) -> Principal:
    grant = await authenticate(request)
    if grant.is_platform:
        raise KooError("APIGW.0302", "The IAM user is not authorized to access the API: operator accounts own no messaging objects", 403)
    if grant.tenant_status != "active":
        raise KooError("APIGW.0302", "The IAM user is not authorized to access the API: the account is suspended", 403)
    ctx = ctx_of(request)
    wait = ctx.limiter.take_request(grant.tenant_id, grant.tenant_settings)
    if wait:
        raise KooError("APIGW.0308", "The throttling threshold has been reached", 429, retry_after_header(wait))
    principal = _principal(grant)
    request.state.principal = principal
    return principal


async def operator_principal(request: Request) -> Principal:
    grant = await authenticate(request)
    if ROLE_OPERATOR not in grant.roles:
        raise KooError("APIGW.0302", "The IAM user is not authorized to access the API: operator role required", 403)
    principal = _principal(grant)
    request.state.principal = principal
    return principal


def require_role(role: str):
    async def _dep(principal: Principal = Depends(tenant_principal)) -> Principal:
        if role not in principal.roles:
            raise KooError("APIGW.0302", f"The IAM user is not authorized to access the API: role {role} required", 403)
        return principal

    return _dep


require_tenant_admin = require_role(ROLE_TENANT_ADMIN)
