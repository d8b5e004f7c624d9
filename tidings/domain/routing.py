"""Routes: which channels may carry a message, in order of preference.

A route says "messages of ``product`` to numbers starting with ``prefix``
and/or issued by ``carrier`` may go to ``channel``", with a ``priority``.
For one message, every matching route whose channel is enabled is a
*candidate*; candidates are tried in this order:

1. ``priority`` ascending (like MX preference: 10 before 20), so an operator
   states the primary and the backup explicitly;
2. at equal priority, the more specific route first: the longer prefix, then
   a route that names a carrier before one that does not;
3. then the older route (lower id), so the order never depends on the
   database's whim.

A channel appears once, at its best position.  An empty prefix and no carrier
match every number of the product.

**Failover** (see :meth:`RouteTable.pick` and :meth:`RouteTable.failover`):
the first candidate that is up takes the message; if the channel that has
it is down or refuses it with a *transient* error, the message moves to the
next candidate that is up (wrapping round, so a primary that comes back takes
traffic again).  A *final* refusal is not retried elsewhere (another carrier
would refuse an invalid number too, and a content refusal must not be
laundered through a second carrier), and neither is an ``unknown`` outcome
(the first carrier may have it: sending it elsewhere would be a duplicate that
``unknown_policy=fail`` promised not to make).

No matching route means no candidate (an empty list, ``pick`` None): the
caller then uses its default channel (the registry's ``channels.default``,
the sandbox out of the box).  A production install therefore either adds a
catch-all route (empty prefix) or sets the default to a real carrier, so no
real traffic reaches the sandbox by accident (docs/smpp.md).

Pure: no I/O.  ``is_up`` is a callable the caller supplies from what it knows
about live channels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from tidings.domain.carriers import CARRIERS, carrier_of

MAX_PREFIX = 15  # E.164 has at most 15 digits
DEFAULT_PRIORITY = 100

_PREFIX = re.compile(r"[0-9]{0,15}")


class RouteError(ValueError):
    """A route definition that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    product: str  # an installed product's name (Product.name): routes name their product explicitly
    prefix: str = ""  # destination prefix, E.164 digits without '+'
    carrier: str | None = None  # cmcc | cucc | ctcc | cbn
    priority: int = DEFAULT_PRIORITY
    id: int = 0

    def matches(self, product: str, destination: str, carrier: str | None) -> bool:
        return (
            self.product == product
            and destination.startswith(self.prefix)
            and (self.carrier is None or self.carrier == carrier)
        )

    @property
    def sort_key(self) -> tuple[int, int, bool, int]:
        return (self.priority, -len(self.prefix), self.carrier is None, self.id)


def check_route(product: str, prefix: str, carrier: str | None, priority: int, products: Collection[str]) -> None:
    """Raise :class:`RouteError` naming the field and the limit; ``products``
    are the names a route may carry (the installed products')."""
    if product not in products:
        raise RouteError(f"product must be one of {', '.join(products)}")
    if not _PREFIX.fullmatch(prefix or ""):
        raise RouteError(f"prefix must be at most {MAX_PREFIX} digits (E.164 without '+')")
    if carrier is not None and carrier not in CARRIERS:
        raise RouteError(f"carrier must be one of {', '.join(CARRIERS)}")
    if not 0 <= priority <= 10_000:
        raise RouteError("priority must be between 0 and 10000")


class RouteTable:
    """An immutable snapshot of the routes and of which channels are enabled.

    Built once per change and read on the accept path for every number, so
    lookups do no allocation beyond the answer."""

    def __init__(self, routes: Iterable[Route] = (), enabled: Iterable[str] | None = None) -> None:
        all_routes = sorted(routes, key=lambda r: r.sort_key)
        self.routes: tuple[Route, ...] = tuple(all_routes)
        self.enabled: frozenset[str] | None = None if enabled is None else frozenset(enabled)
        by_product: dict[str, list[Route]] = {}
        for route in all_routes:
            if self.enabled is None or route.channel in self.enabled:
                by_product.setdefault(route.product, []).append(route)
        self._by_product = {p: tuple(rs) for p, rs in by_product.items()}
        self._needs_carrier = {p: any(r.carrier is not None for r in rs) for p, rs in self._by_product.items()}

    @property
    def empty(self) -> bool:
        """No routes defined at all: the caller uses its default channel."""
        return not self.routes

    def candidates(self, product: str, destination: str) -> list[str]:
        """Channel names for this message, best first (enabled channels only)."""
        routes = self._by_product.get(product)
        if not routes:
            return []
        destination = destination.lstrip("+")
        carrier = carrier_of(destination) if self._needs_carrier[product] else None
        out: list[str] = []
        for route in routes:
            if route.matches(product, destination, carrier) and route.channel not in out:
                out.append(route.channel)
        return out

    def pick(self, product: str, destination: str, is_up: Callable[[str], bool] | None = None) -> str | None:
        """The channel that should take the message now: the first candidate
        that is up, else the first candidate (it will wait for its carrier)."""
        found = self.candidates(product, destination)
        if not found:
            return None
        if is_up is not None:
            for name in found:
                if is_up(name):
                    return name
        return found[0]

    def failover(self, product: str, destination: str, current: str,
                 is_up: Callable[[str], bool] | None = None) -> str | None:
        """Where a message goes when ``current`` is down or refused it with a
        transient error: the next candidate after ``current`` that is up,
        wrapping round; None when there is no other (stay and retry)."""
        found = self.candidates(product, destination)
        if current in found:
            i = found.index(current)
            others = found[i + 1 :] + found[:i]
        else:  # current lost its route (removed, disabled): any candidate will do
            others = found
        for name in others:
            if is_up is None or is_up(name):
                return name
        return None
