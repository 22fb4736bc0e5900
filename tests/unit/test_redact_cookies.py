"""Cookies are credentials in a quote of an ERP's words: a `Cookie` or `Set-Cookie` header line is
blanked whatever its value, and a known cookie value drops the quote like any secret
(docs/erps/README.md, "Errors")."""

from __future__ import annotations

import pytest

from chalicelib.adapters.erp.common import redact

SESSION = "k3v9qz1w2x4c5b6n7m8l0p1o"


@pytest.mark.parametrize(
    "echo",
    [
        f"Refused GET /x\nCookie: ASP.NET_SessionId={SESSION}; UserBranch=16\nHost: erp",
        f"Refused GET /x\r\nset-cookie: ASP.NET_SessionId={SESSION}; path=/; HttpOnly\r\n",
        f"Refused with headers {{'Host': 'erp', 'Cookie': 'ASP.NET_SessionId={SESSION}'}}",
        f'Refused with headers {{"Host": "erp", "COOKIE" : "ASP.NET_SessionId={SESSION}"}}',
        f"Refused GET /x cookie=ASP.NET_SessionId={SESSION}",
    ],
)
def test_a_cookie_header_line_is_blanked_even_when_its_value_is_unknown(echo: str) -> None:
    quoted = redact.quote(echo, (), 500)

    assert SESSION not in quoted
    assert quoted.startswith("Refused")
    assert redact.REDACTED in quoted


def test_a_known_cookie_value_outside_a_header_line_drops_the_quote() -> None:
    secrets = redact.cookie_secrets([SESSION])

    assert redact.quote(f"Session {SESSION} expired", secrets, 200) == ""
    assert redact.quote("Session expired", secrets, 200) == "Session expired"


def test_a_sent_cookie_header_counts_its_values_and_itself_as_secrets() -> None:
    header = f"ASP.NET_SessionId={SESSION}; .ASPXAUTH=0A1B2C3D4E5F6071; UserBranch=16"

    found = redact.sent_secrets({"Cookie": header}, None)

    assert {header, SESSION, "0A1B2C3D4E5F6071"} <= found
    assert "16" not in found  # too short to be a session, and in many a message


def test_prose_about_cookies_is_quoted_as_it_is() -> None:
    said = "Your session cookie expired; sign in again. Cookies are required."

    assert redact.quote(said, (), 200) == said


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        (
            "Invalid session cookie: sign in again at /entity/auth/login.",
            "Invalid session cookie: sign in again at /entity/auth/login.",
        ),
        (
            "The cookie=ASP.NET_SessionId was rejected because the tenant Demo is locked",
            "The cookie=[redacted] was rejected because the tenant Demo is locked",
        ),
        (
            f"Refused GET /x Cookie: ASP.NET_SessionId={SESSION}; UserBranch=16 because the user is locked",
            "Refused GET /x Cookie: [redacted] because the user is locked",
        ),
    ],
)
def test_only_a_cookie_s_value_is_blanked_and_the_erp_s_words_around_it_stay(
    said: str, kept: str
) -> None:
    assert redact.quote(said, (), 500) == kept
