"""The accounting ERPs' cost catalogs (QuickBooks Online, Xero, NetSuite) hold what their budget
lines map to (docs/erps/qbo.md, xero.md, netsuite.md): the ERP's answers are stubbed here."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.netsuite import NetSuiteSource
from chalicelib.adapters.erp.qbo import QboSource
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


def test_qbo_a_class_the_table_maps_is_in_the_catalog_as_the_type_its_lines_get():
    rows: dict[str, list[dict[str, Any]]] = {
        "Account": [{"AcctNum": "5100", "Name": "Labour", "AccountType": "Cost of Goods Sold"}],
        "Class": [{"Name": "Labour"}, {"Name": "M"}],
    }
    settings = {"realm_id": "1", "default_cost_type": "O", "class_cost_types": "Labour=L"}
    source = QboSource("https://quickbooks.api.intuit.com", settings, _VAULT)
    source._client = lambda: None  # type: ignore[method-assign]
    source._select = lambda client, entity: iter(rows[entity])  # type: ignore[method-assign]

    types = {e.code for e in source.cost_catalog().cost_types}

    assert types == {"L", "M", "O"}  # not "Labour": no line has that type


def test_netsuite_a_class_the_table_maps_is_in_the_catalog_as_the_type_its_lines_get():
    def answer(client: object, q: str) -> list[dict[str, Any]]:
        if "FROM account" in q:
            return [{"acctnumber": "6100", "name": "Labour", "accttype": "Expense"}]
        return [{"name": "Labour", "fullname": "Labour"}, {"name": "M", "fullname": "Materials"}]

    settings = {"account_id": "1", "certificate_id": "c", "default_cost_type": "O",
                "class_cost_types": "Labour=L"}  # fmt: skip
    source = NetSuiteSource("https://1.suitetalk.api.netsuite.com", settings,
                            ErpCredentials({"client_id": "c", "private_key": "k"}))  # fmt: skip
    source._client = lambda: None  # type: ignore[method-assign]
    source._all = answer  # type: ignore[method-assign]

    types = {e.code for e in source.cost_catalog().cost_types}

    assert types == {"L", "M", "O"}  # not "Labour": no line has that type
