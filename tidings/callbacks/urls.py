"""Which URLs Tidings will call back.

Rules (callbacks.md §1, openapi ``callback_url``): ``http://`` or ``https://``,
1-1000 characters, a host, no user-info (credentials in a URL end up in logs).
The host must be a domain name or a public IP: private, loopback, link-local,
shared (CGNAT), multicast and reserved addresses are refused unless the
operator sets ``allow_private_callbacks`` — otherwise a tenant could make the
server probe the operator's internal network (SSRF).

A name is resolved and **every** address it resolves to is checked: a name
with one public and one private address is refused, since the client may pick
either.  The same check runs again when a connection is opened for delivery
(:mod:`tidings.callbacks.transport`), so a name that later re-resolves to a
private address (DNS rebinding) is not called either.

IPv6 forms that carry an IPv4 address are judged by the IPv4 inside as well as
by themselves: IPv4-mapped (``::ffff:0:0/96``), IPv4-compatible (``::/96``),
NAT64 (``64:ff9b::/96``, and the local-use ``64:ff9b:1::/48`` at every RFC 6052
position), 6to4 (``2002::/16``) and Teredo (``2001::/32``, server and client).
Otherwise ``http://[64:ff9b::127.0.0.1]/`` reaches loopback through a NAT64
gateway while looking like a public IPv6 address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

MAX_LENGTH = 1000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


# Said with every refusal of a private address: the first thing a developer
# with a receiver on localhost needs to know (the setting is the operator's).
ALLOW_PRIVATE_HINT = "the operator allows them with TIDINGS_ALLOW_PRIVATE_CALLBACKS=true"


class CallbackUrlError(ValueError):
    """The URL cannot be used; the message says why (it goes to the caller)."""


def check_syntax(url: str, *, max_length: int = MAX_LENGTH) -> tuple[str, int]:
    """Return (host, port) of a syntactically acceptable URL or raise."""
    if not url:
        raise CallbackUrlError("must not be empty")
    if len(url) > max_length:
        raise CallbackUrlError(f"must be at most {max_length} characters")
    if any(c.isspace() for c in url):
        raise CallbackUrlError("must not contain spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackUrlError(f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise CallbackUrlError("must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise CallbackUrlError("must not contain user information")
    host = parts.hostname
    if not host:
        raise CallbackUrlError("has no host")
    return host, port or (443 if scheme == "https" else 80)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# RFC 6052 §2.2: where the IPv4 bytes sit for each NAT64 prefix length >= 48
# (byte 8 is reserved and skipped).
_RFC6052_BYTES = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address wraps (empty for a plain one)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    packed = ip.packed
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return [ipaddress.IPv4Address(packed[12:])]
    if ip in _NAT64_LOCAL:
        return [ipaddress.IPv4Address(bytes(packed[i] for i in at)) for at in _RFC6052_BYTES]
    return []


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 host itself
            return is_public(ip.ipv4_mapped)
        if not all(is_public(v4) for v4 in embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast


def literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(host: str, port: int, *, allow_private: bool, resolver: Resolver = system_resolve) -> list[str]:
    """The addresses to connect to, all of them acceptable, or raise."""
    ip = literal_ip(host)
    if ip is not None:
        addresses = [str(ip)]
    else:
        try:
            addresses = await resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise CallbackUrlError(f"host {host} does not resolve ({exc.__class__.__name__})") from None
        if not addresses:
            raise CallbackUrlError(f"host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise CallbackUrlError(f"host {host} resolves to {address}, a private, loopback or reserved address ({ALLOW_PRIVATE_HINT})")
    return addresses


async def check_url(url: str, *, allow_private: bool, resolver: Resolver = system_resolve, max_length: int = MAX_LENGTH) -> str:
    """Validate ``url`` for registration; return it unchanged."""
    host, port = check_syntax(url, max_length=max_length)
    await resolve_checked(host, port, allow_private=allow_private, resolver=resolver)
    return url
