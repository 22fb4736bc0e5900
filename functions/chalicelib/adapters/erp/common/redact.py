"""Keeping credentials out of the sentences written from an ERP's (or Procore's) own words.

An error answer may echo the request it refuses: a password in a form or a SOAP envelope, the
`Authorization` header (a Basic pair in base64, a bearer token the sign-in answered), a signed
client assertion, the `Cookie` header of a session (Acumatica's `ASP.NET_SessionId`). Such text
reaches a job's message, the connection's last error (which read-only members see), the API and
the logs, so a quote of it is dropped whole when it holds any credential in any form a request
carries one in, or eight characters of one in any case (docs/erps/README.md, "Errors"); and a
`Cookie` or `Set-Cookie` header line in it is blanked even when its value is not one the client
knows.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape

# Form fields whose values are credentials: OAuth2 grants, client credentials, JWT assertions.
_SECRET_FIELDS = frozenset(
    {
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "client_assertion",
        "assertion",
        "code",
    }
)


# A cookie value shorter than this (`UserBranch=16`, `lang=en`) is no session a guess would miss,
# and counting it a secret would drop every ERP message that happens to contain it.
MIN_COOKIE_SECRET = 8

# A `Cookie` or `Set-Cookie` header as an echo writes it; only its value is blanked, so the ERP's
# own words around it stay ("Invalid session cookie: sign in again" has no value and is kept):
# a quoted key and value (`"Cookie": "..."`), the value up to its closing quote;
_COOKIE_QUOTED = re.compile(r"""(?i)(["'](?:set-)?cookie["']\s*:\s*)(["'])(.*?)\2""")
# a header (`Cookie: a=1; b=2`, `Set-Cookie: s=1; path=/; HttpOnly`), its name=value pairs;
_COOKIE_PAIRS = re.compile(
    r"(?i)(\b(?:set-)?cookie\s*:\s*)([^\s=;,]+=[^\s;,]*(?:;\s*[^\s=;,]+(?:=[^\s;,]*)?)*)"
)
# a parameter (`cookie=ASP.NET_SessionId=...`), up to the next space.
_COOKIE_PARAMETER = re.compile(r"(?i)(\b(?:set-)?cookie=)(\S+)")
REDACTED = "[redacted]"


def forms(secret: str) -> set[str]:
    """The ways a request writes `secret`: as is, URL-encoded, XML- and JSON-escaped, in base64."""
    found = {
        secret,
        " ".join(secret.split()),  # as quoted text reads once its whitespace is collapsed
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        escape(secret, {'"': "&quot;", "'": "&apos;"}),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    raw = secret.encode()
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        found |= {encoded.decode(), encoded.decode().rstrip("=")}
    return {form for form in found if form}


# A run of this many characters of a credential's form, in any case, counts as the credential: an
# ERP may echo one cut short ("SessCanary...") or upper-cased, and its words are then dropped rather
# than risk quoting part of one. A shorter credential counts only whole and as written: a run of
# fewer characters is too likely to be the ERP's own words.
MIN_SECRET_PART = 8


def _parts(form: str) -> set[str]:
    """The runs of MIN_SECRET_PART characters of `form`, case-folded; none when it is shorter."""
    if len(form) < MIN_SECRET_PART:
        return set()
    runs = range(len(form) - MIN_SECRET_PART + 1)
    return {form[start : start + MIN_SECRET_PART].casefold() for start in runs}


def holds_secret(text: str, secrets: Iterable[str]) -> bool:
    """Whether `text` (as given, or with its whitespace collapsed) holds any form of a secret, or
    a run of MIN_SECRET_PART of its characters in any case."""
    collapsed = " ".join(text.split())
    folded = (text.casefold(), collapsed.casefold())
    for secret in secrets:
        for form in forms(secret) if secret else ():
            if form in text or form in collapsed:
                return True
            if any(part in each for part in _parts(form) for each in folded):
                return True
    return False


def quote(text: str, secrets: Iterable[str], limit: int) -> str:
    """`text` on one line and at most `limit` characters; empty when it holds a secret. Judged
    before it is cut short, so no credential is quoted in part. Cookie header lines are blanked
    first, whatever their values: a session the client never saw (set on another path, or by a
    proxy) is a credential all the same."""
    text = without_cookie_headers(text)
    if holds_secret(text, secrets):
        return ""
    return " ".join(text.split())[:limit]


def without_cookie_headers(text: str) -> str:
    """`text` with the value of every `Cookie` / `Set-Cookie` header in it blanked."""
    text = _COOKIE_QUOTED.sub(lambda m: m[1] + m[2] + REDACTED + m[2], text)
    text = _COOKIE_PAIRS.sub(lambda m: m[1] + REDACTED, text)
    return _COOKIE_PARAMETER.sub(lambda m: m[1] + REDACTED, text)


def cookie_secrets(values: Iterable[str]) -> set[str]:
    """The cookie values that count as credentials: every one but the few too short to be a
    session."""
    return {value.strip() for value in values if len(value.strip()) >= MIN_COOKIE_SECRET}


def sent_secrets(headers: Mapping[str, str], form: Mapping[str, str] | None) -> set[str]:
    """The credentials one request carries: its `Authorization` value (and the credential after
    the scheme), its `Cookie` values, and the values of the form's credential fields."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() == "authorization" and value:
            found |= {value, value.partition(" ")[2].strip()}
        if name.lower() == "cookie" and value:
            pairs = [pair.partition("=")[2] for pair in value.split(";")]
            found |= cookie_secrets([value, *pairs])
    for name, value in (form or {}).items():
        if name.lower() in _SECRET_FIELDS and value:
            found.add(value)
    return {secret for secret in found if secret}
