"""An ERP may echo a credential cut short or in another case: eight characters of one, in any
case, drop the quote as the whole credential does; a short credential counts only whole, and the
ERP's own words that merely share a few letters with a credential stay (docs/erps/README.md,
"Errors")."""

from __future__ import annotations

import base64

import pytest

from chalicelib.adapters.erp.common import redact

SESSION = "SessCanary12345678"
BASIC = base64.b64encode(b"admin:Corr3ct-Horse-Battery").decode()


@pytest.mark.parametrize(
    "echo",
    [
        f"Wrong password {SESSION[:10]}...",  # cut short
        f"Wrong password {SESSION.upper()}",  # re-cased
        f"Wrong password {SESSION.lower()[4:]}",  # its tail, lower-cased
        f"Refused Authorization: Basic {BASIC[:12]}",  # a base64 form, cut short
        "Invalid password CORR3CT-HORSE",  # a part of the password
    ],
)
def test_a_part_of_a_credential_in_any_case_drops_the_quote(echo: str) -> None:
    secrets = {SESSION, BASIC, "Corr3ct-Horse-Battery"}

    assert redact.quote(echo, secrets, 500) == ""


def test_the_erp_s_words_that_share_fewer_letters_with_a_credential_stay() -> None:
    secrets = {SESSION, "Corr3ct-Horse-Battery"}
    words = "The session expired: sign in again (Horse-B is not a project)."

    assert redact.quote(words, secrets, 500) == words


def test_a_short_credential_counts_only_whole_and_as_written() -> None:
    secrets = {"sandbox"}

    assert redact.quote("Tenant Sandbox not found", secrets, 500) == "Tenant Sandbox not found"
    assert redact.quote("Password sandbox is wrong", secrets, 500) == ""
