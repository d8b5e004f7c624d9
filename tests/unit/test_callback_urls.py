"""Which callback URLs are accepted: syntax, and the private-address rule
checked on every address a name resolves to."""

from __future__ import annotations

import pytest

from tidings.callbacks.urls import CallbackUrlError, check_url


def resolver(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("name not known")
        return table[host]

    return resolve


PUBLIC = resolver({"hooks.example.com": ["93.184.216.34"], "mixed.example.com": ["93.184.216.34", "10.1.2.3"]})


@pytest.mark.parametrize(
    "url, reason",
    [
        ("", "must not be empty"),
        ("ftp://hooks.example.com/x", "must start with http:// or https://"),
        ("hooks.example.com/x", "must start with http:// or https://"),
        ("https://user:pw@hooks.example.com/x", "must not contain user information"),
        ("https:///x", "has no host"),
        ("https://hooks.example.com/a b", "must not contain spaces"),
        ("https://hooks.example.com:99999/x", "is not a valid URL"),
        ("https://hooks.example.com/" + "a" * 1000, "must be at most 1000 characters"),
    ],
)
async def test_syntax_rules(url, reason):
    with pytest.raises(CallbackUrlError, match=reason):
        await check_url(url, allow_private=False, resolver=PUBLIC)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cb",
        "http://10.0.0.5/cb",
        "http://192.168.1.1/cb",
        "http://172.16.0.1/cb",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata: link-local
        "http://100.64.0.1/cb",  # shared address space (CGNAT)
        "http://0.0.0.0/cb",
        "http://[::1]/cb",
        "http://[fe80::1]/cb",
        "http://[::ffff:10.0.0.1]/cb",  # IPv4-mapped private
        "http://[64:ff9b::127.0.0.1]/cb",  # NAT64 well-known prefix around loopback
        "http://[64:ff9b::a00:5]/cb",  # NAT64 around 10.0.0.5
        "http://[64:ff9b:1:7f00:1::]/cb",  # local-use NAT64 /48 around 127.0.0.1
        "http://[64:ff9b:1::c0a8:101]/cb",  # local-use NAT64 /96 around 192.168.1.1
        "http://[2002:7f00:1::]/cb",  # 6to4 around 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/cb",  # 6to4 around 169.254.169.254
        "http://[::127.0.0.1]/cb",  # IPv4-compatible loopback
        "http://[::10.0.0.1]/cb",  # IPv4-compatible private
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/cb",  # Teredo, client 127.0.0.1
        "http://224.0.0.1/cb",
        "http://240.0.0.1/cb",  # reserved
    ],
)
async def test_private_loopback_link_local_and_reserved_are_refused(url):
    with pytest.raises(CallbackUrlError, match="private, loopback or reserved"):
        await check_url(url, allow_private=False, resolver=PUBLIC)
    assert await check_url(url, allow_private=True, resolver=PUBLIC) == url


async def test_every_resolved_address_is_checked():
    assert await check_url("https://hooks.example.com/cb", allow_private=False, resolver=PUBLIC)
    with pytest.raises(CallbackUrlError, match="resolves to 10.1.2.3"):
        await check_url("https://mixed.example.com/cb", allow_private=False, resolver=PUBLIC)


async def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(CallbackUrlError, match="does not resolve"):
        await check_url("https://nowhere.example.com/cb", allow_private=False, resolver=PUBLIC)


async def test_public_literal_addresses_and_ports_are_fine():
    for url in ("https://93.184.216.34/cb", "http://93.184.216.34:8443/cb?x=1", "https://[2606:2800:220:1::1]/cb"):
        assert await check_url(url, allow_private=False, resolver=PUBLIC) == url


async def test_wrapped_public_ipv4_is_judged_by_the_address_inside():
    # The same forms around a public IPv4 stay acceptable (6to4/NAT64 of 8.8.8.8).
    for url in ("http://[64:ff9b::8.8.8.8]/cb", "http://[2002:808:808::1]/cb", "http://[::ffff:8.8.8.8]/cb"):
        assert await check_url(url, allow_private=False, resolver=PUBLIC) == url


async def test_a_name_resolving_to_a_wrapped_private_address_is_refused():
    nat64 = resolver({"sneaky.example.com": ["64:ff9b::7f00:1"]})
    with pytest.raises(CallbackUrlError, match="resolves to 64:ff9b::7f00:1"):
        await check_url("https://sneaky.example.com/cb", allow_private=False, resolver=nat64)


async def test_localhost_by_name_is_loopback():
    with pytest.raises(CallbackUrlError, match="private, loopback or reserved"):
        await check_url("http://localhost:8080/cb", allow_private=False)
