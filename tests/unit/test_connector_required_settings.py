"""A connector built from a connection missing a field it cannot work without refuses at once,
naming every missing field, before it calls anything (the registry builds it as wiring.py does)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpConnection, ErpCredentials
from chalicelib.wiring import erp_sources

CASES = [
    ("yardi", {"server": "s", "database": "", "platform": "SQL Server", "interface_entity": ""},
     "The Yardi Voyager connection has no database or interface_entity: set them as Yardi's"),
    ("mri", {"client_id": "", "database": "db"},
     "The MRI Platform X connection has no client_id: set them as MRI gave them"),
    ("workday", {"tenant": "acme", "owner": " ", "report": ""},
     "The Workday connection has no owner or report: set them to the report's"),
    ("qbo", {"realm_id": ""},
     "The QuickBooks Online connection has no realm_id: set it to the company id"),
]  # fmt: skip


@pytest.mark.parametrize(("erp", "settings", "sentence"), CASES, ids=[c[0] for c in CASES])
def test_a_connection_missing_a_required_setting_is_refused_naming_it(
    erp: str, settings: dict[str, str], sentence: str
) -> None:
    connection = ErpConnection(
        erp_system=erp, base_url="https://erp.example.com", settings=settings,
        credentials_secret_id="",
    )  # fmt: skip

    with pytest.raises(ErpRejected) as refused:
        erp_sources()(connection, ErpCredentials.of(username="u", password="p"))

    assert refused.value.message.startswith(sentence)
