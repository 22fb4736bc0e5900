"""An ERP that echoes our request's cookies in its error answer: no session reaches a sentence.

A job's message and the connection's last error (which read-only members see) quote the ERP's own
words (docs/erps/README.md, "Errors"). A session cookie signs a request in as much as a password,
so every cookie value the client holds or sends is kept out, for Acumatica's cookie sign-in and for
any ERP whose server sets one; and a `Cookie` or `Set-Cookie` header line is blanked whatever it
holds. Against a stand-in server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits
from chalicelib.adapters.erp.common.signin import BasicSignIn
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpCredentials
from tests.fixtures.http import send_json, serving

SESSION = "q0wl4ux3ac1o2bzyhtwj5e0n"  # as ASP.NET writes a session id
AUTH = "6F1C0B7A9E2D4C3B8A7F6E5D4C3B2A19"
BALANCER = "AWSALB-4d2f9a1c7e3b5f8d0a6c"
LIMITS = Limits(allow_local_urls=True, max_attempts=1)


class _EchoingErp(BaseHTTPRequestHandler):
    """Acumatica as far as its sign-in goes: it sets the session cookies at login, then refuses
    every read with an answer that repeats the request, as `echo` says."""

    status: ClassVar[int] = 400
    echo: ClassVar[str] = "headers"  # "headers": the request's header lines; "value": the bare id

    def log_message(self, *args: Any) -> None:
        return None

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        if self.path.endswith("/login"):
            for cookie in (f"ASP.NET_SessionId={SESSION}", f".ASPXAUTH={AUTH}", "UserBranch=16"):
                self.send_header("Set-Cookie", f"{cookie}; path=/; HttpOnly")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        if self.echo == "headers":
            said = f"Refused the headers\nCookie: {self.headers['Cookie']}\n{self.headers}"
        else:
            said = f"Session {SESSION} may not read {self.path.split('?')[0]}"
        send_json(self, self.status, {"message": said})


@pytest.fixture
def erp(request: pytest.FixtureRequest) -> Iterator[str]:
    _EchoingErp.status, _EchoingErp.echo = request.param
    with serving(_EchoingErp) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def _acumatica(url: str) -> AcumaticaSource:
    credentials = ErpCredentials.of(username="admin", password="Pa55-word-kept-home")
    return AcumaticaSource(url, "Demo", credentials, allow_local_urls=True,
                           sleep=lambda seconds: None)  # fmt: skip


@pytest.mark.parametrize(
    "erp",
    [(status, echo) for status in (400, 403, 404) for echo in ("headers", "value")],
    indirect=True,
    ids=lambda param: f"{param[0]}-{param[1]}",
)
def test_acumaticas_session_cookies_echoed_in_a_refusal_are_not_quoted(erp: str) -> None:
    with pytest.raises(ErpRejected) as refused:
        _acumatica(erp).fetch_budget("P-1")

    message = refused.value.message
    assert SESSION not in message
    assert AUTH not in message
    assert "ASP.NET_SessionId=" not in message
    assert "Acumatica" in message


@pytest.mark.parametrize("erp", [(400, "headers")], indirect=True, ids=["400-headers"])
def test_the_rest_of_an_echo_with_a_cookie_line_is_still_quoted(erp: str) -> None:
    with pytest.raises(ErpRejected) as refused:
        _acumatica(erp).list_projects(0, 10)

    assert "Acumatica said: Refused the headers Cookie: [redacted] " in refused.value.message


class _BalancedErp(BaseHTTPRequestHandler):
    """Any ERP behind a load balancer whose cookie pins the session to one server: the first answer
    sets it (`/first`), an error answer may set another (`/set-and-refuse`), and a refusal
    repeats the request's cookie without naming the header."""

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/first":
            self.send_response(200)
            self.send_header("Set-Cookie", f"AWSALB={BALANCER}; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")
            return
        if self.path == "/set-and-refuse":
            body = f'{{"message": "Your new session is {SESSION}"}}'.encode()
            self.send_response(400)
            self.send_header("Set-Cookie", f"ERPSESSION={SESSION}; Path=/")
        else:
            pinned = (self.headers.get("Cookie") or "").partition("=")[2]
            body = f'{{"message": "Server for {pinned} refused it"}}'.encode()
            self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def balanced() -> Iterator[str]:
    with serving(_BalancedErp) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def _refusal(client: ErpHttp, path: str) -> str:
    with pytest.raises(HttpFailure) as failure:
        client.call("GET", path, "read the jobs")
    return client.explain(failure.value, "read the jobs").message


def test_a_cookie_any_erp_sends_is_not_quoted(balanced: str) -> None:
    client = ErpHttp(balanced, BasicSignIn("ops", "Pa55-word-kept-home"), limits=LIMITS,
                     erp_name="MRI Platform X")  # fmt: skip
    client.call("GET", "/first", "read the jobs")

    message = _refusal(client, "/jobs")

    assert BALANCER not in message
    assert message.startswith("MRI Platform X refused the request (400)")


def test_a_cookie_set_by_the_refusal_itself_is_not_quoted(balanced: str) -> None:
    client = ErpHttp(balanced, None, limits=LIMITS, erp_name="CMiC")

    message = _refusal(client, "/set-and-refuse")

    assert SESSION not in message
