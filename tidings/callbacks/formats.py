"""Wire formats, one per callback kind: how an outbox row becomes a request body.

- ``aim.sms`` / ``aim.shortchain``: the AIM envelope (callbacks.md §3.1)
  ``{request_id, domain_id, callback_type, body, retry}`` where ``body`` is a
  JSON *string*: one object for url_type 0, an array for url_type 2 (even with
  one element, so a batch receiver parses one shape).
- ``aim.template``: the template-status object itself (§4), no envelope.
- a product's own kinds: the renderers its ``Product.callback_renderers``
  adds (SMS: ``sms.uplink``, form-encoded, §8), merged in at start-up.
- ``json``: the payload as a JSON body, for later products whose formats carry
  their own ids (basic-edition ``{seq_id, reports}``).

JSON is compact UTF-8 (no ``\\u`` escapes for Chinese text), keys in the order
the producer gave them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from tidings.product import Product

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

AIM_SMS = "aim.sms"
AIM_SHORTCHAIN = "aim.shortchain"
AIM_TEMPLATE = "aim.template"
GENERIC_JSON = "json"


@dataclass(frozen=True, slots=True)
class Unit:
    """What one request carries: an outbox row as the delivery service sees it."""

    request_id: str
    tenant_id: str
    kind: str
    batch: bool
    payload: Any
    retry: bool


def _aim_receipt(callback_type: str) -> Callable[[Unit], tuple[str, bytes]]:
    def render(unit: Unit) -> tuple[str, bytes]:
        envelope = {
            "request_id": unit.request_id,
            "domain_id": unit.tenant_id,
            "callback_type": callback_type,
            "body": orjson.dumps(unit.payload).decode(),
            "retry": unit.retry,
        }
        return JSON, orjson.dumps(envelope)

    return render


def _plain_json(unit: Unit) -> tuple[str, bytes]:
    return JSON, orjson.dumps(unit.payload)


Renderer = Callable[[Unit], tuple[str, bytes]]

# The shared kinds; products add theirs (AppContext.products).
RENDERERS: dict[str, Renderer] = {
    AIM_SMS: _aim_receipt("sms"),
    AIM_SHORTCHAIN: _aim_receipt("shortchain"),
    AIM_TEMPLATE: _plain_json,
    GENERIC_JSON: _plain_json,
}


def renderers(products: Sequence[Product]) -> dict[str, Renderer]:
    """The shared renderers and every installed product's, by kind."""
    out = dict(RENDERERS)
    for product in products:
        out.update(product.callback_renderers)
    return out
