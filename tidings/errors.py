"""KooMessage's errors, below every layer: :class:`KooError` and the shared
constructors and codes.  The store, review, dispatch and the products raise
these; ``tidings.api.errors`` turns them into HTTP answers.  Nothing here
imports FastAPI or the store, so the bottom layers can raise without depending
on the top one.

Service errors are ``KM.*`` codes answered with HTTP 400 (a missing object too:
KooMessage does not answer 404 for objects).  Gateway errors are ``APIGW.*``.
Tidings' own codes are listed in docs/errors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Codes used across products.  Product-specific codes live with the product.
INVALID_PARAMETER = "KM.00000001"
EMPTY_PARAMETER = "KM.90016414"
INTERNAL = "KM.90019003"


class KooError(Exception):
    """Raise anywhere to answer in KooMessage's format."""

    def __init__(self, code: str, msg: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}


def invalid(field: str, reason: str, code: str = INVALID_PARAMETER) -> KooError:
    return KooError(code, f"Invalid parameter {field}: {reason}")


def not_found(code: str, what: str) -> KooError:
    """The answer for a missing object *and* for another tenant's object: the
    same code and text, so nothing tells a caller that a foreign id exists."""
    return KooError(code, f"{what} does not exist")


def _field_path(loc: tuple[str | int, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def describe_validation(err: Mapping[str, Any]) -> str:
    """One line naming the field and the limit, from a Pydantic error."""
    field = _field_path(tuple(err.get("loc", ())))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"{field} is required"
    if kind == "string_too_long":
        return f"{field} must be at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"{field} must be at least {ctx.get('min_length')} characters"
    if kind == "too_long":
        return f"{field} must have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return f"{field} must have at least {ctx.get('min_length')} items"
    if kind in ("literal_error", "enum"):
        return f"{field} must be one of {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
        return f"{field} must be {words[kind]} {bound}"
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if kind == "model_attributes_type" or kind == "dict_type":
        return f"{field} must be a JSON object"
    msg = err.get("msg", "is invalid")
    return f"{field}: {msg}"
