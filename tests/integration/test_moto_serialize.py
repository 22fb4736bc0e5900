"""The local stack's DynamoDB answers (devstack/moto_serialize.py): written as plain JSON, they say
exactly what moto's own serializer says, for every attribute type and every item operation."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from chalicelib.adapters import aws
from devstack.moto_serialize import ITEM_OPERATIONS, convert_results_directly, write_items_as_json
from tests.fixtures.aws import create_keyed_table

TABLE = "serialize-test"

# Every attribute type DynamoDB has, nested too; binary is where the two paths could differ.
EVERY_TYPE: dict[str, Any] = {
    "s": {"S": 'text with "quotes", é and \u2028'},
    "n": {"N": "-12.3400"},
    "b": {"B": b"\x00\xffbinary"},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "null": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x03"}, {"M": {"deep": {"NULL": True}}}]},
    "m": {"M": {"inner": {"M": {"b": {"B": b"\x04"}, "l": {"L": []}}}, "e": {"M": {}}}},
    "empty_s": {"S": ""},
}


@pytest.fixture
def answers(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """Each DynamoDB answer from both paths: (operation, moto's own, plain JSON)."""
    from moto.dynamodb.responses import DynamoResult

    own = DynamoResult.execute_result
    write_items_as_json(monkeypatch.setattr)
    write_items_as_json(monkeypatch.setattr)  # idempotent
    plain = DynamoResult.execute_result
    assert plain is not own
    seen: list[tuple[str, Any, Any]] = []

    def both(result: Any, context: Any) -> Any:
        expected = own(result, context)
        written = plain(result, context)
        seen.append((context.operation_model.name, expected, written))
        return written

    monkeypatch.setattr(DynamoResult, "execute_result", both)
    client = aws.dynamodb()
    create_keyed_table(client, TABLE)
    return seen


def _item(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": sk}, **EVERY_TYPE}


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": sk}}


def test_every_item_operation_answers_as_moto_itself_does(
    answers: list[tuple[str, Any, Any]],
) -> None:
    client = aws.dynamodb()
    capacity = {"ReturnConsumedCapacity": "TOTAL"}
    client.put_item(TableName=TABLE, Item=_item("1"))
    client.put_item(TableName=TABLE, Item=_item("1"), ReturnValues="ALL_OLD", **capacity)
    client.get_item(TableName=TABLE, Key=_key("1"))
    client.get_item(TableName=TABLE, Key=_key("absent"))
    client.get_item(TableName=TABLE, Key=_key("1"), ProjectionExpression="b, m.inner, l[2]")
    client.update_item(
        TableName=TABLE, Key=_key("1"), UpdateExpression="SET n = :n REMOVE s",
        ExpressionAttributeValues={":n": {"N": "7"}}, ReturnValues="ALL_NEW", **capacity,
    )  # fmt: skip
    client.update_item(
        TableName=TABLE, Key=_key("2"), UpdateExpression="SET b = :b",
        ExpressionAttributeValues={":b": {"B": b"\x05"}}, ReturnValues="UPDATED_NEW",
    )  # fmt: skip
    client.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": _item(str(n))}} for n in range(3, 9)]}
    )
    client.batch_get_item(
        RequestItems={TABLE: {"Keys": [_key(str(n)) for n in range(1, 9)]}}, **capacity
    )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _item("9")}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("3"),
                    "UpdateExpression": "SET t = :f",
                    "ExpressionAttributeValues": {":f": {"BOOL": False}},
                }
            },
        ]  # fmt: skip
    )
    client.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": _key(str(n))}} for n in (1, 2, 99)]
    )
    client.query(
        TableName=TABLE, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}}, Limit=3, **capacity,
    )  # fmt: skip
    client.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", Select="COUNT",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )  # fmt: skip
    client.scan(TableName=TABLE, ProjectionExpression="pk, sk, bs")
    client.scan(TableName=TABLE, Limit=2)
    client.delete_item(TableName=TABLE, Key=_key("9"), ReturnValues="ALL_OLD")
    client.delete_item(TableName=TABLE, Key=_key("absent"))

    assert {operation for operation, _, _ in answers} >= ITEM_OPERATIONS
    for operation, (status, headers, body), (status_, headers_, body_) in answers:
        assert (operation, status_, json.loads(body_)) == (operation, status, json.loads(body))
        assert headers_["Content-Type"] == headers["Content-Type"], operation


def test_refusals_are_still_written_by_moto(answers: list[tuple[str, Any, Any]]) -> None:
    client = aws.dynamodb()
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=TABLE, Item=_item("1"), ConditionExpression="attribute_exists(pk)"
        )
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("x"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]  # fmt: skip
        )
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["ConditionalCheckFailed"]
    operations = Counter(operation for operation, _, _ in answers)
    assert operations["PutItem"] == operations["TransactWriteItems"] == 0  # never got to write


def test_results_are_converted_as_moto_converts_them(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.models import utilities

    moto_conversion = utilities.dynamo_to_dict
    delegated: list[Any] = []
    comparing: list[bool] = []

    def counted(value: Any) -> Any:
        if not comparing:
            delegated.append(value)
        return moto_conversion(value)

    monkeypatch.setattr(utilities, "dynamo_to_dict", counted)
    convert_results_directly(monkeypatch.setattr)
    convert_results_directly(monkeypatch.setattr)  # idempotent
    direct = responses.dynamo_to_dict
    compared: list[Any] = []

    def both(value: Any) -> Any:
        converted = direct(value)
        comparing.append(True)
        assert converted == moto_conversion(value)
        comparing.clear()
        compared.append(converted)
        return converted

    monkeypatch.setattr(responses, "dynamo_to_dict", both)
    client = aws.dynamodb()
    create_keyed_table(client, TABLE)
    plain = {
        "pk": {"S": "q"},
        "sk": {"S": "plain"},
        "n": {"N": "1.50"},
        "m": {"M": {"l": {"L": [{"S": "x"}, {"BOOL": False}, {"NULL": True}]}}},
        "ss": {"SS": ["a"]},
    }
    client.put_item(TableName=TABLE, Item=plain)
    delegated.clear()
    answer = client.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "q"}})  # fmt: skip
    assert answer["Items"] == [plain]
    assert delegated == []  # nothing binary, no model: converted here alone

    client.put_item(TableName=TABLE, Item=_item("every"))
    client.update_item(
        TableName=TABLE,
        Key=_key("every"),
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
        ReturnValues="ALL_NEW",
    )
    assert client.get_item(TableName=TABLE, Key=_key("every"))["Item"] == {
        **_item("every"),
        "n": {"N": "2"},
    }
    client.scan(TableName=TABLE)
    client.batch_get_item(RequestItems={TABLE: {"Keys": [_key("every"), _key("plain")]}})
    client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": _key("every")}}])
    client.delete_item(TableName=TABLE, Key=_key("every"), ReturnValues="ALL_OLD")
    assert len(compared) >= 8  # every answer above, each the same as moto's own conversion
