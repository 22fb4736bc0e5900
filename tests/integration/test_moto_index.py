"""The local stack's index queries (devstack/moto_index.py): the same answers, in the same order
and pages, without sorting the whole table first."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import aws
from devstack.moto_index import skip_table_sort_in_index_queries

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


def test_index_queries_answer_the_same_pages_without_sorting_the_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.table import Table

    before = [_pages(client, **query) for query in QUERIES]
    assert before[0] == [["B#11", "B#09"], ["B#07", "B#05"], ["B#03", "B#01"]]
    assert sum(before[1], []) == ["B#02", "B#06"]

    skip_table_sort_in_index_queries(monkeypatch.setattr)

    def no_sorted_walk(self: Any) -> Any:
        raise AssertionError("an index query sorted the whole table")

    monkeypatch.setattr(Table, "all_items", no_sorted_walk)
    assert [_pages(client, **query) for query in QUERIES] == before


def test_table_queries_and_scans_keep_their_order(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = client.scan(TableName=TABLE)["Items"]
    skip_table_sort_in_index_queries(monkeypatch.setattr)
    skip_table_sort_in_index_queries(monkeypatch.setattr)  # idempotent
    assert client.scan(TableName=TABLE)["Items"] == scan
    answer = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "B#03"}},
    )
    assert [item["sk"]["S"] for item in answer["Items"]] == ["HEAD", "LINES"]
