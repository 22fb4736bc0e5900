"""The local stack's index queries (devstack/moto_index.py): the same answers, in the same order
and pages, reading only the partition asked for, however the items got there."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import aws
from devstack.moto_atomic import serialize_dynamodb
from devstack.moto_index import index_secondary_keys

TABLE = "index-test"
INDEX = "gsi1"


@pytest.fixture
def client(aws_env: None) -> Any:
    client = aws.dynamodb()
    keys = ("pk", "sk", "gsi1pk", "gsi1sk")
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    # Written out of order, with items outside the index (no gsi1 keys) between them.
    for n in (7, 3, 11, 0, 5, 9, 1, 12, 4, 8, 2, 10, 6):
        item = {"pk": {"S": f"B#{n:02d}"}, "sk": {"S": "HEAD"}}
        if n % 4:
            item |= {"gsi1pk": {"S": f"status#{n % 2}"}, "gsi1sk": {"S": f"name#{12 - n:02d}"}}
        client.put_item(TableName=TABLE, Item=item)
        client.put_item(TableName=TABLE, Item={"pk": {"S": f"B#{n:02d}"}, "sk": {"S": "LINES"}})
    return client


def _pages(client: Any, **query: Any) -> list[list[str]]:
    """Every page of an index query, by Limit 2 and ExclusiveStartKey, as lists of pk."""
    pages: list[list[str]] = []
    start: dict[str, Any] | None = None
    while True:
        answer = client.query(
            TableName=TABLE, IndexName=INDEX, Limit=2, **query,
            **({"ExclusiveStartKey": start} if start else {}),
        )  # fmt: skip
        pages.append([item["pk"]["S"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


QUERIES: list[dict[str, Any]] = [
    {
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "status#1"}},
    },
    {
        "KeyConditionExpression": "gsi1pk = :p AND gsi1sk > :a",
        "ExpressionAttributeValues": {":p": {"S": "status#0"}, ":a": {"S": "name#04"}},
        "ScanIndexForward": False,
    },
]


def _local_stack_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """As devstack/stack.py sets it up: indexed secondary keys, then one lock over every request."""
    index_secondary_keys(monkeypatch.setattr)
    serialize_dynamodb(monkeypatch.setattr)


def _no_table_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    def walked(self: Any) -> Any:
        raise AssertionError("an index query walked the whole table")

    monkeypatch.setattr(Table, "all_items", walked)


def test_index_queries_answer_the_same_pages_from_their_partition_alone(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [_pages(client, **query) for query in QUERIES]
    assert before[0] == [["B#11", "B#09"], ["B#07", "B#05"], ["B#03", "B#01"]]
    assert sum(before[1], []) == ["B#02", "B#06"]

    _local_stack_dynamodb(monkeypatch)
    _no_table_walk(monkeypatch)
    assert [_pages(client, **query) for query in QUERIES] == before


def _status_one(client: Any) -> list[str]:
    return sum(_pages(client, **QUERIES[0]), [])


@pytest.mark.parametrize("local_stack", [False, True], ids=["moto", "local-stack"])
def test_every_write_moves_an_item_between_partitions(
    client: Any, monkeypatch: pytest.MonkeyPatch, local_stack: bool
) -> None:
    """The same writes answer the same partition on plain moto and on the local stack's."""
    if local_stack:
        _local_stack_dynamodb(monkeypatch)
    assert _status_one(client) == ["B#11", "B#09", "B#07", "B#05", "B#03", "B#01"]  # buckets built
    if local_stack:
        _no_table_walk(monkeypatch)

    head = lambda n: {"pk": {"S": f"B#{n:02d}"}, "sk": {"S": "HEAD"}}  # noqa: E731
    moved = {":p": {"S": "status#1"}, ":s": {"S": "name#99"}}
    client.update_item(TableName=TABLE, Key=head(2), UpdateExpression="SET gsi1pk = :p, gsi1sk = :s",
                       ExpressionAttributeValues=moved)  # an update, in place  # fmt: skip
    client.update_item(TableName=TABLE, Key=head(11), UpdateExpression="REMOVE gsi1pk")
    client.put_item(TableName=TABLE, Item={**head(20), "gsi1pk": {"S": "status#1"},
                                           "gsi1sk": {"S": "name#00"}})  # fmt: skip
    client.delete_item(TableName=TABLE, Key=head(9))
    client.put_item(TableName=TABLE, Item=head(7))  # replaced by an item outside the index
    client.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": {**head(30), "gsi1pk": {"S": "status#1"}, "gsi1sk": {"S": "name#50"}}}},
        {"DeleteRequest": {"Key": head(5)}},
    ]})  # fmt: skip
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": head(6), "UpdateExpression": "SET gsi1pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "status#1"}}}},
        {"Update": {"TableName": TABLE, "Key": head(4), "UpdateExpression": "SET gsi1pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "status#1"}}}},  # no gsi1sk: not indexed
    ])  # fmt: skip
    assert _status_one(client) == ["B#20", "B#06", "B#03", "B#01", "B#30", "B#02"]


def test_a_cancelled_transaction_puts_items_back_in_their_partitions(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    _local_stack_dynamodb(monkeypatch)
    before = _status_one(client)
    head = lambda n: {"pk": {"S": f"B#{n:02d}"}, "sk": {"S": "HEAD"}}  # noqa: E731
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": head(3), "UpdateExpression": "SET gsi1pk = :p",
                        "ExpressionAttributeValues": {":p": {"S": "status#0"}}}},
            {"Update": {"TableName": TABLE, "Key": head(1), "UpdateExpression": "SET gsi1pk = :p",
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ExpressionAttributeValues": {":p": {"S": "status#0"}}}},
        ])  # fmt: skip
    assert _status_one(client) == before


def test_table_queries_and_scans_keep_their_order(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = client.scan(TableName=TABLE)["Items"]
    _local_stack_dynamodb(monkeypatch)
    index_secondary_keys(monkeypatch.setattr)  # idempotent
    assert client.scan(TableName=TABLE)["Items"] == scan
    answer = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "B#03"}},
    )
    assert [item["sk"]["S"] for item in answer["Items"]] == ["HEAD", "LINES"]


def test_the_buckets_must_sit_inside_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_dynamodb(monkeypatch.setattr)
    with pytest.raises(RuntimeError, match="before serialize_dynamodb"):
        index_secondary_keys(monkeypatch.setattr)
