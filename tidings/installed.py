"""The installed products, in one explicit list, and the context built from it.

``serve``, ``api``, ``worker`` and the CLI read :data:`PRODUCTS` once at
start-up: the CLI adds each entry's command group, and :func:`build_context`
loads each entry into its :class:`~tidings.product.Product` and merges what
the products add (review hooks here; routers, receipts, uplinks, callback
renderers, services, demo data where they are used).  To install a product,
add its entry here (docs/architecture.md, "Adding a product").

Cheap to import: the entries import their products' modules only when loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tidings.aim.product import entry as aim
from tidings.product import Entry, Product
from tidings.sms.product import entry as sms

if TYPE_CHECKING:
    from tidings.config import Settings
    from tidings.context import AppContext
    from tidings.review import DecisionHook

PRODUCTS: tuple[Entry, ...] = (sms, aim)


def load_products(entries: Sequence[Entry] = PRODUCTS) -> tuple[Product, ...]:
    return tuple(entry.load() for entry in entries)


def review_hooks(products: Sequence[Product]) -> dict[str, list[DecisionHook]]:
    """Review kind -> the hooks of every part that reviews objects of that
    kind: the core's (enterprise filing), then each product's."""
    from tidings import filing

    merged: dict[str, list[DecisionHook]] = {filing.OBJ_FILING: [filing.on_decision]}
    for product in products:
        for kind, hook in product.review_hooks.items():
            merged.setdefault(kind, []).append(hook)
    return merged


def build_context(settings: Settings, products: Sequence[Product] | None = None) -> AppContext:
    """This process's context with ``products`` installed (default: every entry of :data:`PRODUCTS`)."""
    from tidings.context import AppContext

    loaded = load_products() if products is None else tuple(products)
    links = {kind: hook for product in loaded for kind, hook in product.review_links.items()}
    return AppContext.build(settings, products=loaded, review_hooks=review_hooks(loaded), review_links=links)
