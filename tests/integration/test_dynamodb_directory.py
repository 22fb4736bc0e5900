"""The Directory on DynamoDB (moto): memberships per user, catalogs, ERP connection and settings."""

from __future__ import annotations

import pytest

from chalicelib import resources
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.config import settings
from chalicelib.domain.errors import NotFound
from chalicelib.domain.model import (
    AutoReimport,
    CostCatalog,
    ErpConnection,
    ErpSettings,
    Permission,
)


@pytest.fixture
def directory(dynamodb_tables) -> DynamoDirectory:
    return DynamoDirectory()


def test_tables_have_the_keys_indexes_and_ttl_of_resources(dynamodb_tables):
    for table in resources.TABLES:
        name = settings().table_name(table)
        described = dynamodb_tables.describe_table(TableName=name)["Table"]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i for i in described.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {index.name for index in table.indexes}
        assert all(i["Projection"]["ProjectionType"] == "ALL" for i in indexes.values())
        ttl = dynamodb_tables.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if table.ttl_attribute:
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == table.ttl_attribute


def test_a_user_sees_each_company_they_belong_to_with_its_permissions(directory):
    directory.put_company("demo", "Demo Construction Co.")
    directory.put_company("other", "Other Builders")
    directory.put_member("demo", "Admin@Demo.test", Permission.ADMIN, Permission.STANDARD)
    directory.put_member("other", "admin@demo.test", Permission.READ_ONLY, Permission.NONE)
    directory.put_member("other", "someone@else.test", Permission.ADMIN, Permission.ADMIN)

    found = directory.memberships("admin@demo.test")

    assert [(m.company_id, m.company_name) for m in found] == [
        ("demo", "Demo Construction Co."),
        ("other", "Other Builders"),
    ]
    assert found[0].erp_permission is Permission.ADMIN
    assert found[0].budget_permission is Permission.STANDARD
    assert directory.membership("other", "ADMIN@demo.test").erp_permission is Permission.READ_ONLY
    assert directory.membership("demo", "someone@else.test") is None
    assert directory.memberships("nobody@demo.test") == []


def test_a_membership_is_read_in_one_call_with_its_company_name(directory, dynamodb_tables):
    """Every API request checks the caller's membership first: one round trip, not two."""
    directory.put_company("demo", "Demo Construction Co.")
    directory.put_member("demo", "pm@demo.test", Permission.STANDARD, Permission.READ_ONLY)
    directory.put_member("nameless", "pm@demo.test", Permission.ADMIN, Permission.ADMIN)
    calls: list[str] = []
    dynamodb_tables.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )

    found = directory.membership("demo", "PM@demo.test")
    unnamed = directory.membership("nameless", "pm@demo.test")  # no company item: its id stands in
    stranger = directory.membership("demo", "someone@else.test")

    assert found is not None and found.company_name == "Demo Construction Co."
    assert (found.erp_permission, found.budget_permission) == (
        Permission.STANDARD, Permission.READ_ONLY,
    )  # fmt: skip
    assert unnamed is not None and unnamed.company_name == "nameless"
    assert stranger is None
    assert calls == ["BatchGetItem", "BatchGetItem", "BatchGetItem"]


def test_cost_catalog_and_erp_connection_round_trip(directory):
    directory.put_company("demo", "Demo Construction Co.")
    assert directory.cost_catalog("demo") == CostCatalog(frozenset(), frozenset())
    with pytest.raises(NotFound):
        directory.erp_connection("demo")

    directory.put_cost_catalog(
        "demo", CostCatalog(frozenset({"01-100", "02-200"}), frozenset({"L"}))
    )
    connection = ErpConnection(
        erp_system="acumatica", base_url="http://127.0.0.1:8001", settings={"company": "Demo"},
        credentials_secret_id="demo/erp",
    )  # fmt: skip
    directory.put_erp_connection("demo", connection)
    directory.put_company("demo", "Demo Construction Co.")  # re-seeding keeps the connection

    assert directory.cost_catalog("demo").cost_codes == {"01-100", "02-200"}
    assert directory.erp_connection("demo") == connection
    assert directory.membership("demo", "x@y.z") is None


def test_a_job_reads_its_company_in_one_call_and_sees_its_own_writes(directory, dynamodb_tables):
    """Inside `reading_company` the connection, target, catalog and settings come from one
    BatchGetItem; what is written inside is read back as written; outside, reads are fresh."""
    directory.put_company("demo", "Demo Construction Co.")
    directory.put_cost_catalog("demo", CostCatalog(frozenset({"01-100"}), frozenset({"L"})))
    connection = ErpConnection(
        erp_system="acumatica", base_url="http://127.0.0.1:8001", settings={"company": "Demo"},
        credentials_secret_id="demo/erp",
    )  # fmt: skip
    directory.put_erp_connection("demo", connection)
    calls: list[str] = []
    dynamodb_tables.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )

    with directory.reading_company("demo"):
        assert directory.erp_connection("demo") == connection
        assert directory.target("demo").target.value == "budget_bridge"  # never chosen
        assert directory.cost_catalog("demo").cost_codes == {"01-100"}
        assert directory.erp_settings("demo") == ErpSettings()
        assert calls == ["BatchGetItem"]
        directory.put_cost_catalog("demo", CostCatalog(frozenset({"02-200"}), frozenset({"L"})))
        directory.save_erp_settings("demo", ErpSettings(add_unknown_cost_codes=True))
        assert directory.cost_catalog("demo").cost_codes == {"02-200"}
        assert directory.erp_settings("demo").add_unknown_cost_codes
        directory.delete_erp_connection("demo")
        with pytest.raises(NotFound):
            directory.erp_connection("demo")
    calls.clear()
    directory.put_erp_connection("demo", connection)
    assert directory.erp_connection("demo") == connection
    assert calls == ["UpdateItem", "GetItem"]  # outside: read afresh, as always


def test_settings_default_then_saved_and_found_by_the_schedule(directory):
    assert directory.erp_settings("demo") == ErpSettings()
    enabled = ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=6))
    directory.save_erp_settings("demo", enabled)
    directory.save_erp_settings("other", ErpSettings())

    assert directory.erp_settings("demo") == enabled
    assert directory.companies_with_auto_reimport() == [("demo", enabled)]
