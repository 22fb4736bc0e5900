"""The connections ERP connectors and the Procore target open go to the address the guard checked:
no second lookup of the name, TLS checked against the name, the Host header the name."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import urllib.request
from typing import Any
from unittest.mock import MagicMock

import pytest

from chalicelib.adapters.erp.common import pinned, url_guard

PUBLIC = ipaddress.ip_address("93.184.216.34")


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> list[MagicMock]:
    """Every socket made, as a mock; any name lookup fails the test."""
    made: list[MagicMock] = []

    def make(family: int, kind: int) -> MagicMock:
        sock = MagicMock(name=f"socket{len(made)}")
        sock.family = family
        made.append(sock)
        return sock

    def lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a name was looked up again: {args}")

    monkeypatch.setattr(socket, "socket", make)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return made


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    sockets: list[MagicMock],
) -> None:
    context = MagicMock(spec=ssl.SSLContext)
    connection = pinned.PinnedHTTPSConnection(
        "erp.example.com:8443", addresses=[PUBLIC], context=context, timeout=7
    )

    connection.request("GET", "/entity/Default/project")

    (sock,) = sockets
    assert sock.family == socket.AF_INET
    sock.settimeout.assert_called_once_with(7)
    sock.connect.assert_called_once_with(("93.184.216.34", 8443))
    context.wrap_socket.assert_called_once_with(sock, server_hostname="erp.example.com")
    sent = b"".join(
        call.args[0] for call in context.wrap_socket.return_value.sendall.call_args_list
    )
    assert b"Host: erp.example.com:8443\r\n" in sent


def test_the_next_checked_address_is_tried_when_one_refuses(sockets: list[MagicMock]) -> None:
    addresses = [ipaddress.ip_address("2606:4700::1111"), PUBLIC]
    connection = pinned.PinnedHTTPConnection("erp.example.com", addresses=addresses)
    refusals = iter([ConnectionRefusedError("refused")])

    def connect_first_refuses(address: Any) -> None:
        error = next(refusals, None)
        if error is not None:
            raise error

    make = socket.socket

    def make_refusing_first(family: int, kind: int) -> Any:
        sock = make(family, kind)
        sock.connect.side_effect = connect_first_refuses
        return sock

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", make_refusing_first)
        connection.connect()

    assert [s.family for s in sockets] == [socket.AF_INET6, socket.AF_INET]
    sockets[0].connect.assert_called_once_with(("2606:4700::1111", 80))
    sockets[0].close.assert_called_once()
    sockets[1].connect.assert_called_once_with(("93.184.216.34", 80))
    assert connection.sock is sockets[1]


def test_a_request_the_guard_did_not_check_is_never_sent(sockets: list[MagicMock]) -> None:
    opener = pinned.build_opener(context=MagicMock(spec=ssl.SSLContext))

    with pytest.raises(pinned.Unvetted):
        opener.open(urllib.request.Request("https://erp.example.com/entity"), timeout=5)
    with pytest.raises(pinned.Unvetted):
        opener.open(pinned.VettedRequest("https://erp.example.com/entity", []), timeout=5)

    assert sockets == []


def test_the_guard_answers_the_addresses_it_checked() -> None:
    other = ipaddress.ip_address("8.8.8.8")

    def resolver(host: str, port: int | None) -> list[Any]:
        return [PUBLIC, other]

    check = url_guard.check_request_url
    assert check("https://erp.example.com/x", allow_local=False, resolver=resolver) == (
        PUBLIC,
        other,
    )
    assert check("https://93.184.216.34/x", allow_local=False, resolver=resolver) == (PUBLIC,)
    loopback = ipaddress.ip_address("127.0.0.1")
    assert check("http://127.0.0.1:8001/x", allow_local=True, resolver=resolver) == (loopback,)
