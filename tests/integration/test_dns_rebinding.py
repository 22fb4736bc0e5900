"""DNS rebinding: a name that answers the guard with a public address and the next lookup with
loopback never makes Budget Bridge connect to loopback (docs/adoption.md, "Which ERP addresses are
allowed"): the connection goes to the address the guard checked, HTTPS still checks the certificate
against the host name, and the local stack's sandboxes are still called over HTTP.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.erp.common import pinned, url_guard
from chalicelib.adapters.erp.common.http import ErpHttp, Limits
from chalicelib.adapters.targets import procore
from chalicelib.domain.errors import TargetRejected, TargetUnavailable, UnsafeErpAddress
from chalicelib.domain.model import ErpCredentials
from tests.fixtures.http import send_json, serving

PUBLIC = "93.184.216.34"  # what the name answers the guard: public, so the guard allows it
NAME = "erp.rebinding.example"


class _Listener:
    """A TCP port on 127.0.0.1 that counts every connection made to it and closes it at once."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return  # closed at the end of the test
            self.accepted += 1  # counted before closing, so before the client sees the close
            connection.close()


@pytest.fixture
def loopback() -> Iterator[_Listener]:
    listener = _Listener()
    try:
        yield listener
    finally:
        listener.socket.close()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """NAME resolves to PUBLIC once, then to 127.0.0.1; every socket connect is recorded.

    A connect to PUBLIC is refused here, so no test reaches the internet; one to loopback goes
    through, as it would on a worker.
    """
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    lookups: list[str] = []
    connects: list[Any] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    def connect(self: socket.socket, address: Any) -> None:
        connects.append(address)
        if address[0] == PUBLIC:
            raise ConnectionRefusedError("the test's stand-in for the public address")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return connects


def test_an_erp_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
    loopback: _Listener, rebinding: list[Any]
) -> None:
    client = ErpHttp(
        f"https://{NAME}:{loopback.port}",
        limits=Limits(allow_local_urls=False, timeout=2),
        sleep=lambda seconds: None,
        erp_name="Acumatica",
    )

    # The first attempt goes to the checked address (refused here); the retry's check sees the
    # loopback answer and refuses with the guard's own sentence.
    with pytest.raises(UnsafeErpAddress, match="did not call it"):
        client.call("GET", "/entity/Default/project", "list the ERP's projects")

    assert loopback.accepted == 0
    assert rebinding and all(address[0] == PUBLIC for address in rebinding)


def test_a_procore_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
    loopback: _Listener, rebinding: list[Any]
) -> None:
    procore.forget_tokens()
    client = procore.ProcoreClient(
        f"https://{NAME}:{loopback.port}",
        "1001",
        ErpCredentials({"client_id": "pilot", "client_secret": "procore-secret"}),
        allow_local_urls=False,
    )

    with pytest.raises((TargetUnavailable, TargetRejected)):
        client.call("GET", "/rest/v1.0/projects")

    assert loopback.accepted == 0
    assert rebinding and all(address[0] == PUBLIC for address in rebinding)


def _procore(base_url: str) -> procore.ProcoreClient:
    procore.forget_tokens()
    return procore.ProcoreClient(
        base_url, "1001", ErpCredentials({"client_id": "pilot", "client_secret": "procore-secret"}),
        allow_local_urls=False,
    )  # fmt: skip


def test_procore_s_address_refused_by_the_guard_is_said_as_procore_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private = _procore("https://10.1.2.3")
    with pytest.raises(TargetRejected, match="^The Procore address is not allowed: ") as refused:
        private.call("GET", "/rest/v1.0/projects")
    assert "ERP" not in refused.value.message

    monkeypatch.setattr(url_guard, "resolve", lambda host, port: [])  # the name does not resolve
    with pytest.raises(TargetUnavailable) as unresolved:
        _procore("https://procore.example.com").call("GET", "/rest/v1.0/projects")
    assert unresolved.value.message == (
        "Procore's address could not be found (its name does not resolve); check the Procore "
        "base URL of the company's target."
    )


class _Sandbox(BaseHTTPRequestHandler):
    """A sandbox ERP on the local stack: answers with the Host header it was sent."""

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        send_json(self, 200, {"host": self.headers.get("Host")})


@pytest.fixture
def sandbox_port() -> Iterator[int]:
    with serving(_Sandbox) as server:
        yield server.server_port


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_local_stack_s_sandbox_is_still_called_over_http(sandbox_port: int, host: str) -> None:
    client = ErpHttp(f"http://{host}:{sandbox_port}", limits=Limits(allow_local_urls=True))

    answer = client.call("GET", "/entity", "read the budget")

    assert answer == {"host": f"{host}:{sandbox_port}"}


def _certificate(name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for `name` and its key, both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclass
class _TlsErp:
    port: int
    trust: ssl.SSLContext  # a client context that trusts only this server's certificate
    names: list[str]  # the SNI name of every handshake


@pytest.fixture
def tls_erp(tmp_path: Path) -> Iterator[_TlsErp]:
    """An ERP on 127.0.0.1 over HTTPS whose certificate is for `erp.pinned.example` only."""
    cert, key = _certificate("erp.pinned.example")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    names: list[str] = []
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    def sni(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name or "")

    server_side.sni_callback = sni

    def over_tls(server: ThreadingHTTPServer) -> None:
        server.socket = server_side.wrap_socket(server.socket, server_side=True)

    with serving(_Sandbox, over_tls) as server:
        yield _TlsErp(server.server_port, ssl.create_default_context(cadata=cert.decode()), names)


def _open_pinned(tls_erp: _TlsErp, name: str) -> Any:
    """GET https://<name>:<port>/entity through a pinned connection to 127.0.0.1 (the address a
    guard would have checked), trusting only the server's certificate."""
    opener = pinned.build_opener(context=tls_erp.trust)
    url = f"https://{name}:{tls_erp.port}/entity"
    return opener.open(pinned.VettedRequest(url, [ipaddress.ip_address("127.0.0.1")]), timeout=5)


def test_https_goes_to_the_checked_address_and_checks_the_certificate_against_the_name(
    tls_erp: _TlsErp,
) -> None:
    with _open_pinned(tls_erp, "erp.pinned.example") as answer:
        said = json.loads(answer.read())

    assert said == {"host": f"erp.pinned.example:{tls_erp.port}"}
    assert tls_erp.names == ["erp.pinned.example"]


def test_https_to_the_checked_address_refuses_a_certificate_for_another_name(
    tls_erp: _TlsErp,
) -> None:
    with pytest.raises(urllib.error.URLError) as refused:
        _open_pinned(tls_erp, "other.pinned.example")

    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    assert tls_erp.names == ["other.pinned.example"]
