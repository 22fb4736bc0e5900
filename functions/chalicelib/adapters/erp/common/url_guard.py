"""The one guard every ERP connector calls before each request: is this address safe to call?

The form rules live in `domain/url_rules.py`; this adds what needs the network: the names a host
resolves to, every one of which must be public (docs/adoption.md). A request's check answers the
addresses it allowed, and the connection is made to one of them (`pinned.py`), never to a second
lookup of the name that could answer otherwise (DNS rebinding). Connectors also refuse to follow
redirects, so an answer cannot send them past this guard. The local stack's allowance for
`http://127.0.0.1:<port>` and `http://localhost:<port>` is the deployment setting
`ERP_ALLOW_LOCAL_URLS` (off in the CDK app), which callers pass in: `wiring.py` hands it to the
connectors (`common/deployment.py`) and to the Procore target.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from chalicelib.domain.errors import ErpUnavailable, UnsafeErpAddress
from chalicelib.domain.url_rules import (
    ErpUrl,
    IpAddress,
    UnsafeUrl,
    check_form,
    check_resolved,
)

Resolver = Callable[[str, int | None], list[IpAddress]]


class Unresolvable(Exception):
    """The host name does not resolve (now): nothing to judge yet."""


def resolve(host: str, port: int | None) -> list[IpAddress]:
    """Every address `host` resolves to (A and AAAA), as the HTTP client would look it up."""
    try:
        answers = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise Unresolvable(str(error)) from None
    found: list[IpAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        text = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 scope id is not part of the address
        found.append(ipaddress.ip_address(text))
    return found


def judge(url: str, *, allow_local: bool, resolver: Resolver | None = None) -> ErpUrl:
    """A connection's saved address: its form and, for a name, what it resolves to; raises
    UnsafeUrl. Every request is judged again, by `check_request_url`.

    A name that does not resolve raises Unresolvable: saving such a connection is allowed (the
    test and every request judge it again), calling it is not.
    """
    checked = check_form(url, allow_local)
    if checked.local or checked.address is not None:
        return checked
    check_resolved(checked.host, (resolver or resolve)(checked.host, checked.port))
    return checked


def check_request_url(
    url: str, *, allow_local: bool, resolver: Resolver | None = None
) -> tuple[IpAddress, ...]:
    """Call before each request to an ERP (any connector, any path under its base URL).

    Answers the addresses it allowed: the request must connect to one of them (`pinned.py`).
    Raises UnsafeErpAddress (a permanent refusal: the job fails and says why) or ErpUnavailable
    when the name does not resolve right now.
    """
    try:
        return _allowed_addresses(url, allow_local, resolver or resolve)
    except UnsafeUrl as unsafe:
        raise UnsafeErpAddress(f"{unsafe} Budget Bridge did not call it.") from None
    except Unresolvable:
        raise ErpUnavailable(
            "The ERP's address could not be found (its name does not resolve); check the ERP "
            "connection's base URL."
        ) from None


def _allowed_addresses(url: str, allow_local: bool, resolver: Resolver) -> tuple[IpAddress, ...]:
    checked = check_form(url, allow_local, request=True)
    if checked.address is not None:
        return (checked.address,)
    if checked.local and checked.host != "localhost":
        return (ipaddress.ip_address(checked.host),)  # the local stack's http://127.0.0.1:<port>
    addresses = resolver(checked.host, checked.port)
    if not addresses:
        raise Unresolvable(checked.host)
    if not checked.local:  # `localhost` is allowed by its form, on the local stack only
        check_resolved(checked.host, addresses)
    return tuple(addresses)
