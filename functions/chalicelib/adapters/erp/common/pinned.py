"""The connections every ERP connector and the Procore target open: to the address the guard checked.

`url_guard.check_request_url` resolves a host name and judges every address it answers. Were the
HTTP client to look the name up again to connect, a name whose answer changes in between (DNS
rebinding) would reach an address nobody judged, such as the metadata service or the Lambda
runtime's own loopback API. So no name is looked up here: each request carries the addresses the
guard allowed (`VettedRequest`), the socket connects to one of them, and TLS still checks the
certificate against the host name (SNI and the hostname check use the name), as the Host header
keeps it (docs/adoption.md). The opener follows no redirect and uses no proxy, which would look the
name up itself; a request without the guard's addresses is never sent.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import urllib.request
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.url_rules import IpAddress


class Unvetted(RuntimeError):
    """A request reached the opener without the addresses the guard allowed: a bug, never sent."""


class VettedRequest(urllib.request.Request):
    """A request and the addresses `url_guard.check_request_url` allowed for its URL."""

    def __init__(
        self,
        url: str,
        addresses: Sequence[IpAddress],
        *,
        data: bytes | None = None,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(url, data=data, method=method, headers=headers or {})  # noqa: S310
        self.addresses = tuple(addresses)


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """ERP and Procore APIs do not redirect; following one would carry credentials elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


def open_socket(addresses: Sequence[IpAddress], port: int, timeout: Any) -> socket.socket:
    """A TCP connection to the first of `addresses` that accepts; no name is resolved."""
    failure: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if timeout is None or isinstance(timeout, int | float):  # else urllib's "no timeout"
                sock.settimeout(timeout)
            sock.connect((str(address), port))
        except OSError as error:
            sock.close()
            failure = error
            continue
        return sock
    raise failure or Unvetted("No address was allowed for this request.")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP (the local stack's sandboxes only) to one of the checked addresses."""

    def __init__(self, host: str, *, addresses: Sequence[IpAddress], **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        if not addresses:
            raise Unvetted(f"No address was allowed for {self.host}; it was not called.")
        self.addresses = tuple(addresses)

    def connect(self) -> None:
        self.sock = open_socket(self.addresses, self.port, self.timeout)
        # As http.client does: a request's headers and body go out without waiting (Nagle).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """HTTPS to one of the checked addresses, its certificate checked against the host name."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self,
        host: str,
        *,
        addresses: Sequence[IpAddress],
        context: ssl.SSLContext,
        **kwargs: Any,
    ) -> None:
        super().__init__(host, addresses=addresses, **kwargs)
        self.context = context

    def connect(self) -> None:
        super().connect()
        # The name, never the address: SNI asks for the ERP's certificate and the context checks
        # that the certificate is for that name (check_hostname, CERT_REQUIRED).
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The context urllib would make (system CAs, hostname check, HTTP/1.1), made once per worker."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class PinnedHandler(urllib.request.AbstractHTTPHandler):
    """Opens `http` and `https` requests to the addresses each `VettedRequest` carries."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self._context = context

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(PinnedHTTPConnection, addresses=_addresses(req))
        return self.do_open(connection, req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(
            PinnedHTTPSConnection,
            addresses=_addresses(req),
            context=self._context or tls_context(),
        )
        return self.do_open(connection, req)

    http_request = urllib.request.AbstractHTTPHandler.do_request_
    https_request = urllib.request.AbstractHTTPHandler.do_request_


def _addresses(req: urllib.request.Request) -> tuple[IpAddress, ...]:
    addresses: tuple[IpAddress, ...] = getattr(req, "addresses", ())
    if not isinstance(req, VettedRequest) or not addresses:
        raise Unvetted(f"{req.host} was not checked by the address guard; it was not called.")
    return addresses


def build_opener(
    *handlers: urllib.request.BaseHandler, context: ssl.SSLContext | None = None
) -> urllib.request.OpenerDirector:
    """An opener for `VettedRequest`s: pinned connections, no redirects, no proxy, no other scheme.

    `handlers` adds the caller's own (the ERP client's cookie jar).
    """
    opener = urllib.request.OpenerDirector()
    for handler in (
        PinnedHandler(context),
        RefuseRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
        *handlers,
    ):
        opener.add_handler(handler)
    return opener
