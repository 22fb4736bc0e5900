"""An ERP or Procore that echoes our request in its error answer: no credential reaches a sentence.

A job's message, the API and the logs quote the ERP's own words (docs/erps/README.md, "Errors"),
so every form a request carries a credential in is kept out: the Basic header in base64, a bearer
token the sign-in answered, a URL-encoded form field, a signed assertion, a password in a SOAP
envelope, and a secret cut in half where the quote is cut short.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from xml.sax.saxutils import escape

import pytest

from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits
from chalicelib.adapters.erp.common.signin import BasicSignIn, OAuth2SignIn, forget_tokens
from chalicelib.adapters.erp.yardi import YardiSource
from chalicelib.adapters.targets import procore
from chalicelib.domain.errors import ErpRejected, ErpUnavailable, TargetRejected
from chalicelib.domain.model import ErpCredentials, TargetWrite, WbsKey
from tests.fixtures.http import send_body, send_json, serving

PASSWORD = "pa ss/w+rd&<x>"
ACCESS_TOKEN = "at-0123456789abcdef"
LIMITS = Limits(allow_local_urls=True, max_attempts=1)


class _Echo(BaseHTTPRequestHandler):
    """Answers every call with an error whose message repeats the request it refuses."""

    status = 400
    soap = (500, "Client")  # the status and fault code of a SOAP refusal

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._refuse("")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.path.endswith("/token"):
            self._answer(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600})
        elif "soap" in (self.headers.get("Content-Type") or "") or body.startswith("<?xml"):
            status, code = self.soap
            signed_in = body[body.index("<UserName>") : body.index("</Password>")]
            fault = (
                '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                f"<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>Login failed for "
                f"{escape(signed_in)}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
            )
            send_body(self, status, fault.encode(), "text/xml")
        else:
            self._refuse(body)

    def _refuse(self, body: str) -> None:
        auth = self.headers.get("Authorization")
        said = f"Refused {self.path} with Authorization {auth} and body {body}"
        self._answer(self.status, {"message": said, "errors": said})

    def _answer(self, status: int, payload: Any) -> None:
        send_json(self, status, payload)


@pytest.fixture
def echo() -> Iterator[str]:
    forget_tokens()
    procore.forget_tokens()
    with serving(_Echo) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def _procore_client(url: str) -> procore.ProcoreClient:
    """The pilot company's Procore service account, at `url`."""
    return procore.ProcoreClient(
        url,
        "1001",
        ErpCredentials({"client_id": "pilot", "client_secret": "procore-secret"}),
        allow_local_urls=True,
    )


def _refusal(client: ErpHttp, **call: Any) -> str:
    with pytest.raises(HttpFailure) as failure:
        client.call(call.pop("method", "GET"), call.pop("path", "/budget"), "read it", **call)
    return str(client.explain(failure.value, "read it"))


def test_a_basic_header_echoed_in_base64_is_not_quoted(echo: str) -> None:
    client = ErpHttp(echo, BasicSignIn("ops", PASSWORD), limits=LIMITS,
                     secrets=("ops", PASSWORD), erp_name="CMiC")  # fmt: skip

    sentence = _refusal(client)

    assert "refused the request (400)" in sentence
    assert "Basic" not in sentence and "said" not in sentence


def test_a_bearer_token_the_sign_in_answered_is_not_quoted(echo: str) -> None:
    sign_in = OAuth2SignIn("/token", {"grant_type": "client_credentials", "client_id": "cid",
                                      "client_secret": "cs-secret"}, "client 'cid'")  # fmt: skip
    client = ErpHttp(echo, sign_in, limits=LIMITS, secrets=("cs-secret",), erp_name="Sage Intacct")

    sentence = _refusal(client)

    assert ACCESS_TOKEN not in sentence and "said" not in sentence


def test_a_url_encoded_form_secret_and_a_signed_assertion_are_not_quoted(echo: str) -> None:
    assertion = "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJjaWQifQ.c2lnbmF0dXJl"
    client = ErpHttp(echo, None, limits=LIMITS, secrets=(PASSWORD,), erp_name="NetSuite")

    for form in ({"grant_type": "password", "password": PASSWORD},
                 {"grant_type": "client_credentials", "client_assertion": assertion}):  # fmt: skip
        sentence = _refusal(client, method="POST", path="/x", form=form, authenticated=False)

        assert urllib.parse.quote_plus(PASSWORD) not in sentence
        assert assertion not in sentence and "said" not in sentence


def test_a_secret_cut_in_half_by_the_length_limit_is_not_quoted(echo: str) -> None:
    # The quote is cut at 200 characters, inside the password the ERP echoed.
    secret = "q" * 12
    words = "Refused /{} with Authorization None and body password="
    path = "/" + "p" * (194 - len(words.format("")))
    client = ErpHttp(echo, None, limits=LIMITS, secrets=(secret,), erp_name="CMiC")

    sentence = _refusal(client, method="POST", path=path, form={"password": secret},
                        authenticated=False)  # fmt: skip

    assert "qqqq" not in sentence and "said" not in sentence


@pytest.mark.parametrize("soap", [(500, "Client"), (400, "Server"), (200, "Client")])
def test_a_yardi_fault_that_echoes_the_envelope_does_not_quote_the_password(
    echo: str, soap: tuple[int, str]
) -> None:
    settings = {"server": "s", "database": "d", "platform": "SQL Server", "interface_entity": "e"}
    source = YardiSource(echo, settings, ErpCredentials({"username": "ops", "password": PASSWORD}),
                         limits=LIMITS, sleep=lambda _: None)  # fmt: skip
    _Echo.soap = soap
    try:
        with pytest.raises((ErpUnavailable, ErpRejected)) as failed:
            source.fetch_budget("J-1")
    finally:
        _Echo.soap = (500, "Client")

    sentence = str(failed.value)
    assert "Yardi Voyager" in sentence
    assert "pa ss" not in sentence and "Login failed" not in sentence


def test_procore_echoing_the_token_or_the_client_secret_is_not_quoted(echo: str) -> None:
    _Echo.status = 403
    try:
        client = _procore_client(echo)
        with pytest.raises(TargetRejected) as refused:
            client.call("GET", "/rest/v1.0/projects")
    finally:
        _Echo.status = 400

    assert "refused the service account" in str(refused.value)
    assert ACCESS_TOKEN not in str(refused.value) and "Procore said" not in str(refused.value)


class _EchoInSync(_Echo):
    """Accepts the sync but refuses each line with a reason that repeats the request's token."""

    def _refuse(self, body: str) -> None:
        if not self.path.endswith("/budget_line_items/sync"):
            return super()._refuse(body)
        auth = self.headers.get("Authorization")
        updates = json.loads(body)["budget_line_items"]
        errors = [
            {"wbs_code_id": u["wbs_code_id"], "errors": {"base": [f"Denied for {auth}"]}}
            for u in updates[:1]
        ] + [
            {"wbs_code_id": u["wbs_code_id"], "errors": {"original_budget_amount": ["too big"]}}
            for u in updates[1:]
        ]
        self._answer(200, {"entities": [], "errors": errors})


def test_procore_echoing_the_token_in_a_line_s_reason_does_not_quote_it() -> None:
    procore.forget_tokens()
    writes = [
        TargetWrite(str(ref), WbsKey("", code, "L"), Decimal("0"), Decimal("10"))
        for ref, code in ((11, "01-100"), (12, "01-200"))
    ]
    with serving(_EchoInSync) as server:
        client = _procore_client(f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(TargetRejected) as refused:
            procore.ProcoreBudget(client, "2001").write(writes)

    reasons = [error.message for error in refused.value.errors]
    assert all(ACCESS_TOKEN not in reason for reason in reasons)
    assert "repeated a credential" in reasons[0] and "Denied" not in reasons[0]
    assert reasons[1].endswith("too big")  # a reason without a credential is still Procore's
