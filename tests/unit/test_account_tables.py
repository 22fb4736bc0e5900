"""The accounting ERPs' account tables (adapters/erp/common/accounts.py): an entry covers the
account's sub-accounts, the nearest listed parent winning."""

from __future__ import annotations

from chalicelib.adapters.erp.common import accounts

TYPES = {"400": "M", "400.L": "L"}


def test_a_sub_account_takes_the_type_of_its_nearest_listed_parent():
    assert accounts.lineage("400.L.1") == ["400.L.1", "400.L", "400"]
    assert accounts.cost_type("400.L.1", TYPES, "O") == "L"
    assert accounts.cost_type("400.L", TYPES, "O") == "L"
    assert accounts.cost_type("400.1", TYPES, "O") == "M"
    assert accounts.cost_type("410.L", TYPES, "O") == "O"


def test_a_sub_account_rolls_up_to_its_nearest_listed_parents_cost_code():
    codes = {"405": "400", "405.9": "499"}
    assert accounts.cost_code("405.9.1", codes) == "499"
    assert accounts.cost_code("405.1", codes) == "400"
    assert accounts.cost_code("410.2.3", codes) == "410"
