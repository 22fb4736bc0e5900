"""The accounting ERPs' cost catalogs (QuickBooks Online, Xero, NetSuite) hold what their budget
lines map to (docs/erps/qbo.md, xero.md, netsuite.md): the ERP's answers are stubbed here."""

from __future__ import annotations

from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.xero import XeroSource
from chalicelib.domain.model import ErpCredentials

_VAULT = MemoryVault(ErpCredentials({"client_id": "c", "client_secret": "s", "refresh_token": "r"}))


def test_xero_cost_codes_are_the_expense_accounts_only():
    accounts = [
        {"Code": "090", "Name": "Business Bank Account", "Class": "ASSET"},
        {"Code": "200", "Name": "Sales", "Class": "REVENUE"},
        {"Code": "400", "Name": "Labour", "Class": "EXPENSE"},
        {"Code": "400.L", "Name": "Labour (sub-account)", "Class": "EXPENSE"},
        {"Code": "800", "Name": "Accounts Payable", "Class": "LIABILITY"},
        {"Code": "960", "Name": "Retained Earnings", "Class": "EQUITY"},
    ]
    source = XeroSource("https://api.xero.com", {"tenant_id": "t", "default_cost_type": "O"},
                        _VAULT)  # fmt: skip
    source._client = lambda: None  # type: ignore[method-assign]
    source._list = lambda client, path, **_: accounts  # type: ignore[method-assign]

    catalog = source.cost_catalog()

    assert [(e.code, e.description) for e in catalog.cost_codes] == [("400", "Labour")]
