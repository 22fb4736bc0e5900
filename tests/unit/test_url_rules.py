"""The ERP address rules: what a base URL may be, judged without the network."""

from __future__ import annotations

import ipaddress

import pytest

from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.adapters.erp.common import url_guard
from chalicelib.domain.errors import ErpUnavailable, UnsafeErpAddress
from chalicelib.domain.model import ErpCredentials
from chalicelib.domain.url_rules import UnsafeUrl, check_address, check_form


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.0.5", "169.254.169.254",
     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "fd00:ec2::254",
     "::ffff:10.0.0.1", "::", "192.0.0.192"],
)  # fmt: skip
def test_an_address_inside_a_network_is_refused(address: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_a_public_address_is_allowed(address: str) -> None:
    check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    ["https://erp.example.com", "https://erp.example.com:8443/AcumaticaERP/",
     "https://93.184.216.34", "https://[2606:4700::1111]/"],
)  # fmt: skip
def test_public_https_addresses_pass_the_form_rules(url: str) -> None:
    assert check_form(url, allow_local=False).local is False


@pytest.mark.parametrize(
    ("url", "allow_local", "ok"),
    [
        ("http://127.0.0.1:8001", True, True),
        ("http://localhost:8001/sage", True, True),
        ("http://127.0.0.1:8001", False, False),
        ("http://localhost:8001", False, False),
        ("http://127.0.0.1", True, False),
        ("https://127.0.0.1:8001", True, False),
        ("http://0x7f.1:8001", True, False),
        ("http://127.1:8001", True, False),
        ("http://[::1]:8001", True, False),
    ],
)
def test_only_the_exact_local_forms_pass_and_only_with_the_local_setting(
    url: str, allow_local: bool, ok: bool
) -> None:
    if ok:
        assert check_form(url, allow_local).local is True
    else:
        with pytest.raises(UnsafeUrl):
            check_form(url, allow_local)


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def resolver(
        host: str, port: int | None
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]

    with pytest.raises(UnsafeUrl, match="resolves to"):
        url_guard.judge("https://erp.example.com", allow_local=True, resolver=resolver)


def test_a_request_to_a_name_that_does_not_resolve_is_a_transient_failure() -> None:
    def resolver(host: str, port: int | None) -> list:
        raise url_guard.Unresolvable("no such name")

    with pytest.raises(ErpUnavailable):
        url_guard.check_request_url(
            "https://erp.example.com/entity", allow_local=False, resolver=resolver
        )


def test_the_acumatica_connector_calls_nothing_at_an_unsafe_address() -> None:
    source = AcumaticaSource(
        "https://10.0.0.1", "Demo", ErpCredentials.of(username="u", password="p"), timeout=0.5
    )

    with pytest.raises(UnsafeErpAddress, match="did not call it"):
        source.list_projects(0, 10)


# Site-local and 6to4 addresses Python 3.11 counts as public, and Teredo, which it counts as
# private only as part of 2001::/23: each reaches a network Budget Bridge runs in, or a relay that
# picks the IPv4 host, so all are refused (docs/adoption.md, "Which ERP addresses are allowed").
SITE_LOCAL_AND_TUNNELLED = [
    "fec0::1",  # site-local (fec0::/10)
    "feff:ffff::1",  # the top of fec0::/10
    "2002:7f00:1::",  # 6to4 carrying 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 carrying 169.254.169.254
    "2002:a00:1::1",  # 6to4 carrying 10.0.0.1
    "2002:808:808::1",  # 6to4 carrying a public 8.8.8.8: all of 6to4 is refused
    "2001::1",  # Teredo
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo with a public server and client
]

# The other forms that carry an IPv4 address, refused before and still.
CARRYING_IPV4 = [
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64 10.0.0.1
]


@pytest.mark.parametrize("address", SITE_LOCAL_AND_TUNNELLED + CARRYING_IPV4)
def test_an_ipv6_address_that_is_site_local_or_carries_an_ipv4_address_is_refused(
    address: str,
) -> None:
    with pytest.raises(UnsafeUrl):
        check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80e::200e", "2400:cb00::1"],
)
def test_a_public_ipv6_address_next_to_the_refused_ranges_is_allowed(address: str) -> None:
    check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", SITE_LOCAL_AND_TUNNELLED)
def test_a_site_local_or_tunnelled_literal_in_the_url_is_refused(address: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_form(f"https://[{address}]/procore", allow_local=True)


@pytest.mark.parametrize("address", SITE_LOCAL_AND_TUNNELLED)
def test_a_name_resolving_to_a_site_local_or_tunnelled_address_is_refused_when_saved_and_called(
    address: str,
) -> None:
    def resolver(
        host: str, port: int | None
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address(address)]

    with pytest.raises(UnsafeUrl, match="resolves to"):
        url_guard.judge("https://erp.example.com", allow_local=True, resolver=resolver)
    with pytest.raises(UnsafeErpAddress, match="did not call it"):
        url_guard.check_request_url(
            "https://erp.example.com/entity", allow_local=True, resolver=resolver
        )
