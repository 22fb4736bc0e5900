"""Which ERP addresses Budget Bridge may call: the pure half of the rules (docs/adoption.md).

An ERP connection's `base_url` is typed by a company admin, so it must not let them make Budget
Bridge call into the network it runs in (the metadata service, a private service, itself). This
module judges what can be judged without the network: the URL's form, and an address literal or a
resolved address. `adapters/erp/common/url_guard.py` adds the name resolution and is what connectors call.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
LOCAL_HOSTS = ("127.0.0.1", "localhost")  # the local stack's sandbox ERPs, and nothing else

# Cloud metadata services that sit on otherwise ordinary-looking addresses.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, Azure, GCP
    ipaddress.ip_address("169.254.170.2"),  # ECS task metadata
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba
    ipaddress.ip_address("192.0.0.192"),  # Oracle
}

# IPv6 ranges whose packets are tunnelled to an IPv4 address written inside the address. Python
# 3.11 counts 6to4 as public (Teredo it already calls private; it is named here so the rule does
# not hang on that). Refused whole, whatever IPv4 address they carry: both are
# deprecated transition schemes (RFC 7526, RFC 4380) no ERP is reached by, and which IPv4 host a
# relay delivers to is the relay's choice, not something this guard can judge
# (docs/adoption.md, "Which ERP addresses are allowed").
_TUNNELS = (
    ipaddress.ip_network("2002::/16"),  # 6to4: bits 16-48 are the IPv4 address
    ipaddress.ip_network("2001::/32"),  # Teredo: the client's IPv4 address, bits inverted
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class ErpUrl:
    """A base URL that passed the form rules."""

    url: str
    host: str  # without brackets for IPv6
    port: int | None
    local: bool  # one of the local stack's exact `http://127.0.0.1:<port>` forms
    address: IpAddress | None  # set when the host is an address literal


def check_form(url: str, allow_local: bool, *, request: bool = False) -> ErpUrl:
    """Judge what the URL says by itself; raises UnsafeUrl.

    `request`: a URL a connector is about to call (a path and query under the base URL), rather
    than a base URL a person typed.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeUrl("The base URL is required.")
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        raise UnsafeUrl("The base URL must be a single web address without spaces.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("The base URL is not a valid web address.") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeUrl("The base URL must name a host, as in https://erp.example.com.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The base URL must not carry a user name or password; use the credentials.")
    if (parts.query and not request) or parts.fragment:
        raise UnsafeUrl("The base URL must not have a query (?...) or a fragment (#...).")
    if allow_local and _is_local_form(parts, port):
        return ErpUrl(url, host, port, True, None)
    address = _literal(host)
    if address is not None:
        check_address(address)
    if parts.scheme != "https":
        raise UnsafeUrl("The base URL must start with https://.")
    return ErpUrl(url, host, port, False, address)


def _is_local_form(parts: SplitResult, port: int | None) -> bool:
    # Exactly the written forms: `http://localhost.`, `http://127.1` or `https://[::1]` are judged
    # as anywhere else (refused).
    netloc_host = parts.netloc.rsplit(":", 1)[0]
    return parts.scheme == "http" and port is not None and netloc_host in LOCAL_HOSTS


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Forms the resolver would still read as an address (`2130706433`, `0x7f.1`, `127.1`).
    if host.replace(".", "").replace("x", "").isalnum() and all(
        part.isdigit() or part.startswith("0x") for part in host.split(".")
    ):
        raise UnsafeUrl("The base URL must use a host name or a plain IP address.")
    return None


def check_address(address: IpAddress) -> None:
    """Refuse loopback, private, link-local, metadata and other non-public addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            _check_site_local_and_tunnels(address)
    if address in _METADATA:
        raise UnsafeUrl("The base URL points at a cloud metadata service, which is never allowed.")
    if address.is_loopback:
        raise UnsafeUrl("The base URL points at this machine (a loopback address), not an ERP.")
    if address.is_link_local:
        raise UnsafeUrl("The base URL points at a link-local address, not an ERP on the internet.")
    if address.is_private or address.is_unspecified or address.is_reserved:
        raise UnsafeUrl("The base URL points at a private network address, not a public ERP.")
    if address.is_multicast or not address.is_global:
        raise UnsafeUrl("The base URL points at an address that is not on the public internet.")


def _check_site_local_and_tunnels(address: ipaddress.IPv6Address) -> None:
    """The IPv6 ranges `is_private` and `is_global` miss in Python 3.11. The other forms that carry
    an IPv4 address (IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`) lie in
    `::/8`, which `is_reserved` refuses."""
    if address.is_site_local:  # fec0::/10, deprecated (RFC 3879) but still routed inside sites
        raise UnsafeUrl("The base URL points at a private network address, not a public ERP.")
    if any(address in tunnel for tunnel in _TUNNELS):
        raise UnsafeUrl(
            "The base URL points at an IPv6 address that tunnels to an IPv4 address (6to4 or "
            "Teredo), not at the ERP's own address."
        )


def check_resolved(host: str, addresses: list[IpAddress]) -> None:
    """Every address a name resolves to must be public: one private answer is enough to refuse."""
    for address in addresses:
        try:
            check_address(address)
        except UnsafeUrl:
            raise UnsafeUrl(
                f"The base URL's host {host} resolves to an address that is not on the public "
                "internet (loopback, private, link-local or metadata), so it is not allowed."
            ) from None
