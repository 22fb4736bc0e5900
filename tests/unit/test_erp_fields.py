"""`domain/erp_fields.py` is the one declaration of each ERP's connection fields: a field it does
not declare is refused when a connection is saved. So everything that reads or writes those fields
must stay within it: the connectors (what each reads from its settings), the web app's Connection
form (what it sends) and the demo data (what the seeder stores)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from chalicelib.adapters.erp.registry import CONNECTORS
from chalicelib.domain.erp_fields import FIELDS
from devstack import demo_data

ROOT = Path(__file__).resolve().parents[2]
FORM_TABLE = ROOT / "frontend" / "src" / "erpConnections.ts"

# How a connector reads a setting: settings.get("x"), settings["x"], connection.setting("x"),
# require_settings(..., ("x", "y"), ...), and the report or export column tables (COLUMNS).
_READS = re.compile(r"""(?:settings\.get\(|settings\[|\.setting\()\s*["']([a-z][a-z0-9_]*)["']""")
_REQUIRE = re.compile(r"require_settings\([^()]*?\(([^()]*)\)")
_QUOTED = re.compile(r"""["']([a-z][a-z0-9_]*)["']""")


def _settings_read_by(erp: str) -> set[str]:
    module = inspect.getmodule(CONNECTORS[erp])
    assert module is not None
    source = inspect.getsource(module)
    names = set(_READS.findall(source))
    for listed in _REQUIRE.findall(source):
        names |= set(_QUOTED.findall(listed))
    for constant in ("COLUMNS", "SIGN_IN_FIELDS"):
        names |= set(getattr(module, constant, ()))
    return names


def test_every_connector_has_a_declaration_and_every_declaration_a_connector() -> None:
    assert set(FIELDS) == set(CONNECTORS)


@pytest.mark.parametrize("erp", sorted(CONNECTORS))
def test_every_setting_a_connector_reads_is_declared(erp: str) -> None:
    read = _settings_read_by(erp)

    assert read or not FIELDS[erp].known_settings, "the scan found none: has the code changed?"
    assert read <= set(FIELDS[erp].known_settings)


def _form_rows() -> list[tuple[str, str, str]]:
    """The web app's table: `id: [name, "a, b?, c=default", "secret, ..."]` per ERP."""
    return re.findall(r'(\w+):\s*\[\s*"[^"]*",\s*"([^"]*)",\s*"([^"]*)",?\s*\]',
                      FORM_TABLE.read_text())  # fmt: skip


def _names(text: str) -> set[str]:
    return {p.split("=")[0].strip().rstrip("?") for p in text.split(",") if p.strip()}


def _asked_for(text: str) -> set[str]:
    """The fields the form will not send without: no trailing `?` and no value to start with."""
    return {p.strip() for p in text.split(",") if p.strip() and "?" not in p and "=" not in p}


def _form_fields() -> dict[str, tuple[set[str], set[str]]]:
    return {erp: (_names(settings), _names(secrets)) for erp, settings, secrets in _form_rows()}


def test_every_field_the_connection_form_sends_is_declared() -> None:
    form = _form_fields()

    assert set(form) == set(FIELDS)
    for erp, (settings, secrets) in form.items():
        assert settings <= set(FIELDS[erp].known_settings), erp
        assert secrets <= set(FIELDS[erp].known_secrets), erp
        assert set(FIELDS[erp].settings) <= settings, f"{erp}: the form lacks a required setting"


@pytest.mark.parametrize(
    "company", [c for c in demo_data.companies() if c.connection], ids=lambda c: c.company_id
)
def test_every_demo_connection_holds_only_declared_fields(company: demo_data.DemoCompany) -> None:
    assert company.connection is not None
    declared = FIELDS[company.erp_system]

    assert set(company.connection.settings) <= set(declared.known_settings)
    assert set(company.connection.credentials) <= set(declared.known_secrets)


@pytest.mark.parametrize("erp", sorted(FIELDS))
def test_the_connection_form_asks_for_a_field_exactly_when_the_api_needs_it(erp: str) -> None:
    """A field the form marks required that the API takes as optional (MYOB's OAuth2 client, for
    a cookie sign-in) would stop a person saving a connection the API accepts."""
    rows = {row[0]: row[1:] for row in _form_rows()}
    settings, secrets = rows[erp]
    declared = FIELDS[erp]

    assert _asked_for(settings) <= set(declared.settings)
    assert _asked_for(secrets) == set(declared.secrets) or not declared.calls_erp
    assert set(declared.secrets) <= _names(secrets)
