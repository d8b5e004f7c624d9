"""Operator API for channels (carrier accounts) and routes.

    POST   /admin/v1/channels            define a channel (smpp, or the built-in sandbox)
    GET    /admin/v1/channels            list
    GET    /admin/v1/channels/{name}     definition + live status + message counts
    PATCH  /admin/v1/channels/{name}     change settings, password, enabled, unknown_policy
    DELETE /admin/v1/channels/{name}     remove it and its routes
    POST   /admin/v1/routes              add a route
    GET    /admin/v1/routes[?channel=]   list, in the order they are tried
    DELETE /admin/v1/routes/{id}

The bind password is write-only: answers carry ``has_password`` instead.
Errors: validation ``KM.00000001`` naming the field and the limit; a missing
channel or route ``TD.00000404``; a duplicate ``TD.00000409``.
"""

from __future__ import annotations

import contextlib
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from tidings.api.deps import Principal, ctx_of, operator_principal
from tidings.channels import config as channels
from tidings.domain.routing import DEFAULT_PRIORITY
from tidings.errors import INVALID_PARAMETER, KooError

router = APIRouter(prefix="/admin/v1", tags=["admin: channels"])


class ChannelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    kind: Literal["smpp", "sandbox"] = "smpp"
    description: str = Field(default="", max_length=255)
    enabled: bool = True
    unknown_policy: Literal["resubmit", "fail"] = "resubmit"
    password: str | None = Field(default=None, max_length=channels.PASSWORD_MAX)
    config: dict = Field(default_factory=dict)


class ChannelPatch(BaseModel):
    description: str | None = Field(default=None, max_length=255)
    enabled: bool | None = None
    unknown_policy: Literal["resubmit", "fail"] | None = None
    password: str | None = Field(default=None, max_length=channels.PASSWORD_MAX)
    config: dict | None = None


class RouteCreate(BaseModel):
    channel: str = Field(min_length=1, max_length=32)
    # An installed product's name, checked by channels.add_route (the installed list, not a copy here);
    # left out: the first installed product (SMS).
    product: str | None = Field(default=None, min_length=1, max_length=16)
    prefix: str = Field(default="", max_length=15, pattern=r"^[0-9]*$")
    carrier: Literal["cmcc", "cucc", "ctcc", "cbn"] | None = None
    priority: int = Field(default=DEFAULT_PRIORITY, ge=0, le=10_000)


@contextlib.contextmanager
def _answered():
    """The channel configuration's own errors, answered in KooMessage's format."""
    try:
        yield
    except channels.ConfigError as exc:
        raise KooError(INVALID_PARAMETER, exc.message) from None
    except channels.NotFound as exc:
        raise KooError("TD.00000404", str(exc)) from None
    except channels.Conflict as exc:
        raise KooError("TD.00000409", str(exc)) from None


@router.post("/channels")
async def create_channel(body: ChannelCreate, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.add_channel(ctx_of(request), name=body.name, kind=body.kind, config=body.config,
                                          password=body.password, enabled=body.enabled,
                                          unknown_policy=body.unknown_policy, description=body.description, actor=op.actor)


@router.get("/channels")
async def list_channels(request: Request, op: Principal = Depends(operator_principal)) -> dict:
    return {"channels": await channels.list_channels(ctx_of(request))}


@router.get("/channels/{name}")
async def show_channel(name: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.channel_status(ctx_of(request), name)


@router.patch("/channels/{name}")
async def patch_channel(name: str, body: ChannelPatch, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.update_channel(ctx_of(request), name, config=body.config, password=body.password,
                                             enabled=body.enabled, unknown_policy=body.unknown_policy,
                                             description=body.description, actor=op.actor)


@router.delete("/channels/{name}")
async def delete_channel(name: str, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.remove_channel(ctx_of(request), name, actor=op.actor)


@router.post("/routes")
async def create_route(body: RouteCreate, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.add_route(ctx_of(request), channel=body.channel, product=body.product, prefix=body.prefix,
                                        carrier=body.carrier, priority=body.priority, actor=op.actor)


@router.get("/routes")
async def get_routes(request: Request, channel: str | None = None, op: Principal = Depends(operator_principal)) -> dict:
    return {"routes": await channels.list_routes(ctx_of(request), channel)}


@router.delete("/routes/{route_id}")
async def delete_route(route_id: int, request: Request, op: Principal = Depends(operator_principal)) -> dict:
    with _answered():
        return await channels.remove_route(ctx_of(request), route_id, actor=op.actor)
