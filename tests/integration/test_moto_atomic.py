"""The local stack's DynamoDB (devstack/moto_atomic.py): a cancelled transaction changes nothing,
though it no longer copies whole tables to be able to say so."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from tests.fixtures.aws import create_keyed_table

TABLE = "atomic-test"


@pytest.fixture
def client(aws_env: None, serialized_dynamodb: None) -> Any:
    """The local stack's DynamoDB (serialized and journaled) with one keyed table."""
    client = aws.dynamodb()
    create_keyed_table(client, TABLE)
    return client


def _key(pk: str, sk: str = "META") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _everything(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_cancelled_transaction_leaves_every_item_as_it_was(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**_key("a"), "n": {"N": "1"}})
    client.put_item(TableName=TABLE, Item={**_key("b"), "n": {"N": "1"}})
    client.put_item(TableName=TABLE, Item={**_key("gone"), "n": {"N": "1"}})
    before = _everything(client)

    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": TABLE, "Key": _key("a"), "UpdateExpression": "SET n = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}}}},
                {"Put": {"TableName": TABLE, "Item": {**_key("new"), "n": {"N": "9"}}}},
                {"Delete": {"TableName": TABLE, "Key": _key("gone")}},
                {"Update": {"TableName": TABLE, "Key": _key("b"), "UpdateExpression": "SET n = :two",
                            "ConditionExpression": "n = :zero",
                            "ExpressionAttributeValues": {":two": {"N": "2"}, ":zero": {"N": "0"}}}},
            ]
        )  # fmt: skip
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _everything(client) == before


def test_a_transaction_that_passes_applies_all_of_its_writes(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**_key("a"), "n": {"N": "1"}})

    client.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": TABLE, "Key": _key("a"), "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :one",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**_key("new"), "n": {"N": "9"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
    )  # fmt: skip
    assert [(i["pk"]["S"], i["n"]["N"]) for i in _everything(client)] == [("a", "2"), ("new", "9")]


def test_a_transaction_does_not_copy_the_tables_it_touches(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's own rollback deep-copies each touched table per transaction (its cost grew with the
    table); the journal copies only the transaction's items."""
    from moto.dynamodb.models.table import Table

    copied: list[Any] = []
    monkeypatch.setattr(Table, "__deepcopy__", lambda self, memo: copied.append(self) or self,
                        raising=False)  # fmt: skip
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": {**_key("new"), "n": {"N": "9"}}}}]
    )
    assert copied == []
