"""The local stack's items (devstack/moto_items.py): a new item is sized once and refused exactly
when moto refuses it; an update copies its item only for a table's stream, whose old image stays
right, and a cancelled transaction still changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.moto_atomic import serialize_dynamodb
from devstack.moto_items import copy_updates_for_streams_only, size_items_once
from tests.fixtures.aws import create_keyed_table


def _count_sizing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each attribute value moto sizes."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    sized: list[int] = []
    size = DynamoType.size

    def counted(value: Any) -> int:
        sized.append(1)
        return size(value)

    monkeypatch.setattr(DynamoType, "size", counted)
    return sized


def _wide_item(pk: str, attributes: int, filler: int = 0) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": "META"}, "filler": {"S": "x" * filler}}
    return item | {f"a{n:02d}": {"S": f"value {n}"} for n in range(attributes)}


def _outcomes(client: Any, table: str, fillers: list[int]) -> list[str]:
    """Put an item per filler length; answers each one's outcome."""
    answers = []
    for n, filler in enumerate(fillers):
        try:
            client.put_item(TableName=table, Item=_wide_item(f"p{n}", 20, filler))
            answers.append("stored")
        except ClientError as error:
            answers.append(
                f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
            )
    return answers


def test_a_new_item_is_sized_once_and_refused_exactly_where_moto_refuses_it(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aws.dynamodb()
    create_keyed_table(client, "plain")
    create_keyed_table(client, "sized")
    sized = _count_sizing(monkeypatch)
    client.put_item(TableName="plain", Item=_wide_item("w", 40))
    plain_sizings = len(sized)
    # The limit falls inside this range of filler lengths (the other attributes: ~400 bytes).
    fillers = [404000, 404400, 404500, 404550, 404560, 404570, 404580, 404600, 404700, 405000]
    plain = _outcomes(client, "plain", fillers)

    size_items_once(monkeypatch.setattr)
    size_items_once(monkeypatch.setattr)  # idempotent
    sized.clear()
    client.put_item(TableName="sized", Item=_wide_item("w", 40))

    assert len(sized) <= 45 < plain_sizings  # each of 43 attributes once; plain moto: n²/2
    assert "stored" in plain and any(outcome != "stored" for outcome in plain)
    assert _outcomes(client, "sized", fillers) == plain
    stored = client.get_item(TableName="sized", Key={"pk": {"S": "w"}, "sk": {"S": "META"}})
    assert stored["Item"] == _wide_item("w", 40)


def test_an_update_that_outgrows_the_limit_is_still_refused(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    size_items_once(monkeypatch.setattr)
    client = aws.dynamodb()
    create_keyed_table(client, "grow")
    key = {"pk": {"S": "g"}, "sk": {"S": "META"}}
    client.put_item(TableName="grow", Item={**key, "half": {"S": "x" * 250000}})

    with pytest.raises(ClientError) as refused:
        client.update_item(TableName="grow", Key=key, UpdateExpression="SET other = :big",
                           ExpressionAttributeValues={":big": {"S": "y" * 250000}})  # fmt: skip

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    stored = client.get_item(TableName="grow", Key=key)["Item"]
    assert "other" not in stored


def _count_item_copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from moto.dynamodb.models.dynamo_type import Item

    copies: list[int] = []
    copy_item = Item.__deepcopy__

    def counted(item: Any, memo: dict[int, Any]) -> Any:
        copies.append(1)
        return copy_item(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    return copies


def _claim(client: Any, table: str, pk: str, job: str) -> None:
    client.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": "META"}},
                       UpdateExpression="SET job = :j", ConditionExpression="attribute_exists(pk)",
                       ExpressionAttributeValues={":j": {"S": job}})  # fmt: skip


def test_an_update_copies_its_item_only_for_a_stream_whose_old_image_stays_right(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_dynamodb(monkeypatch.setattr)
    copies = _count_item_copies(monkeypatch)
    client = aws.dynamodb()
    create_keyed_table(client, "quiet")
    client.create_table(
        TableName="streamed", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )  # fmt: skip
    for table in ("quiet", "streamed"):
        client.put_item(TableName=table, Item={"pk": {"S": "b"}, "sk": {"S": "META"}})
    _claim(client, "quiet", "b", "job-0")
    # Plain moto copies the item twice an update: for the answer's old values and for a stream.
    assert len(copies) == 2
    copy_updates_for_streams_only(monkeypatch.setattr)
    copy_updates_for_streams_only(monkeypatch.setattr)  # idempotent
    copies.clear()

    _claim(client, "quiet", "b", "job-1")
    assert len(copies) == 1
    _claim(client, "streamed", "b", "job-1")
    _claim(client, "streamed", "b", "job-2")

    assert len(copies) == 1 + 2 * 2
    streams = aws.client("dynamodbstreams")
    arn = client.describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    updates = [r["dynamodb"] for r in records if r["eventName"] == "MODIFY"]
    assert [u["OldImage"].get("job") for u in updates] == [None, {"S": "job-1"}]
    assert [u["NewImage"]["job"] for u in updates] == [{"S": "job-1"}, {"S": "job-2"}]


def test_a_cancelled_transaction_still_puts_the_updated_item_back(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_dynamodb(monkeypatch.setattr)
    copy_updates_for_streams_only(monkeypatch.setattr)
    client = aws.dynamodb()
    create_keyed_table(client, "claims")
    for pk in ("a", "b"):
        client.put_item(TableName="claims", Item={"pk": {"S": pk}, "sk": {"S": "META"}})

    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "claims", "Key": {"pk": {"S": pk}, "sk": {"S": "META"}},
                        "UpdateExpression": "SET job = :j",
                        "ConditionExpression": "attribute_not_exists(locked)",
                        "ExpressionAttributeValues": {":j": {"S": "job"}}}}
            for pk in ("a", "b")
        ] + [{"ConditionCheck": {"TableName": "claims",
                                 "Key": {"pk": {"S": "c"}, "sk": {"S": "META"}},
                                 "ConditionExpression": "attribute_exists(pk)"}}])  # fmt: skip

    items = client.scan(TableName="claims")["Items"]
    assert sorted(items, key=lambda i: i["pk"]["S"]) == [
        {"pk": {"S": pk}, "sk": {"S": "META"}} for pk in ("a", "b")
    ]
