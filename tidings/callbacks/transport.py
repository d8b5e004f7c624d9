"""The HTTP client callbacks go out through: one pooled ``httpx.AsyncClient``
(HTTP/1.1 keep-alive) whose connections are opened by :class:`GuardedBackend`.

The backend resolves the host itself, checks every address with
:func:`tidings.callbacks.urls.resolve_checked` and connects to a checked
address.  Checking at connect time, not only at registration, is what stops
DNS rebinding: a name that resolved to a public address when it was
registered and to 10.0.0.1 today is refused today.  TLS still verifies and
sends SNI for the original host name (httpcore passes the URL's host to
``start_tls``, not the address we connected to).

Redirects are not followed (a 3xx is a failed attempt): following one would be
a second, unchecked destination.  Proxies from the environment are ignored for
the same reason.
"""

from __future__ import annotations

import asyncio
import typing

import httpcore
import httpx

from tidings.callbacks.urls import CallbackUrlError, Resolver, resolve_checked, system_resolve


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolve):
        self.allow_private = allow_private
        self.resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(
                resolve_checked(host, port, allow_private=self.allow_private, resolver=self.resolver), timeout
            )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except CallbackUrlError as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("callbacks never go to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, *, allow_private: bool, limits: httpx.Limits, resolver: Resolver = system_resolve):
        super().__init__(limits=limits, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; replace
        # it with the same pool built on ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=self._pool._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )


def build_client(
    *, allow_private: bool, connect_timeout: float, total_timeout: float, max_connections: int, resolver: Resolver = system_resolve
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=30.0)
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private, limits=limits, resolver=resolver),
        timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "Tidings-Callbacks/1"},
    )
