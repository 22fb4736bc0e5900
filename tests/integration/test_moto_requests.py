"""The local stack's request reading (devstack/moto_requests.py): a plain data-plane request is
taken as its JSON, one with a binary attribute or of another operation is still walked by moto,
and both answer exactly what moto answers; an action's method and a name's snake case are found
once."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.moto_requests import PLAIN_JSON_OPERATIONS, name_actions_once, read_plain_json_once
from tests.fixtures.aws import create_keyed_table

TABLE = "requests-test"


def _count_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the action of each request moto walks shape by shape."""
    from moto.core.responses import BaseResponse

    walked: list[str] = []
    walk = BaseResponse.parse_parameters

    def counted(handler: Any, request: Any) -> None:
        walked.append(handler._get_action())
        walk(handler, request)

    monkeypatch.setattr(BaseResponse, "parse_parameters", counted)
    return walked


@pytest.fixture
def client(aws_env: None) -> Any:
    client = aws.dynamodb()
    create_keyed_table(client, TABLE)
    return client


ITEM = {
    "pk": {"S": "p1"}, "sk": {"S": "META"}, "name": {"S": 'a "quoted" "B": text'},
    "n": {"N": "12.50"}, "flag": {"BOOL": True}, "none": {"NULL": True},
    "tags": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2"]},
    "nested": {"M": {"list": {"L": [{"S": "a"}, {"N": "3"}, {"M": {}}]}}},
}  # fmt: skip


def _data_plane_round_trip(client: Any, item: dict[str, Any]) -> dict[str, Any]:
    """Every plain operation once; answers what each read gave back."""
    key = {"pk": item["pk"], "sk": item["sk"]}
    client.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(pk)")
    client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET #c = :c",
                       ExpressionAttributeNames={"#c": "count"},
                       ExpressionAttributeValues={":c": {"N": "7"}})  # fmt: skip
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "p2"}, "sk": {"S": "META"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": key, "ConditionExpression": "flag = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
    ])  # fmt: skip
    client.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": "p3"}, "sk": {"S": "META"}}}}]})  # fmt: skip
    return {
        "get": client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"],
        "query": client.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": item["pk"]}, Limit=5)["Items"],
        "scan": sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: i["pk"]["S"]),
        "batch": client.batch_get_item(RequestItems={TABLE: {"Keys": [key]}})["Responses"][TABLE],
        "transact": client.transact_get_items(
            TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])["Responses"],
        "deleted": client.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")[
            "Attributes"],
    }  # fmt: skip


def test_a_plain_request_is_not_walked_and_answers_what_moto_answers(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _count_walks(monkeypatch)
    plain = _data_plane_round_trip(client, ITEM)
    assert len(walked) == 10  # plain moto walks every request
    for table_item in client.scan(TableName=TABLE)["Items"]:
        client.delete_item(TableName=TABLE, Key={"pk": table_item["pk"], "sk": table_item["sk"]})
    walked.clear()

    read_plain_json_once(monkeypatch.setattr)
    read_plain_json_once(monkeypatch.setattr)  # idempotent
    assert _data_plane_round_trip(client, ITEM) == plain
    assert walked == []


def test_a_binary_attribute_is_still_walked_and_read_as_bytes(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _count_walks(monkeypatch)
    read_plain_json_once(monkeypatch.setattr)
    item = {**ITEM, "blob": {"B": b"\x00zlib\xff"}, "blobs": {"BS": [b"a", b"b"]}}

    answers = _data_plane_round_trip(client, item)

    assert walked == ["PutItem"]  # the one request that carries the binary attributes
    assert answers["get"]["blob"] == {"B": b"\x00zlib\xff"}
    assert sorted(answers["get"]["blobs"]["BS"]) == [b"a", b"b"]
    assert answers["deleted"] == answers["get"]


def test_other_operations_and_bad_requests_are_answered_by_moto(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _count_walks(monkeypatch)
    read_plain_json_once(monkeypatch.setattr)

    assert client.describe_table(TableName=TABLE)["Table"]["TableName"] == TABLE
    assert walked == ["DescribeTable"]
    with pytest.raises(ClientError) as refused:
        client.get_item(TableName="no-such-table", Key={"pk": {"S": "p"}, "sk": {"S": "s"}})
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _typed_members(shape: Any, path: str, seen: set[str]) -> list[str]:
    """Every member under `shape` that moto's walk turns into something other than its JSON."""
    if shape.type_name in ("blob", "timestamp", "float", "double"):
        return [path]
    if shape.name in seen:
        return []
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        return [found for name, member in shape.members.items()
                for found in _typed_members(member, f"{path}.{name}", seen)]  # fmt: skip
    if shape.type_name == "list":
        return _typed_members(shape.member, f"{path}[]", seen)
    if shape.type_name == "map":
        return _typed_members(shape.value, f"{path}{{}}", seen)
    return []


def test_the_plain_operations_carry_no_typed_member_but_binary_attributes() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("dynamodb")
    for operation in sorted(PLAIN_JSON_OPERATIONS):
        typed = _typed_members(model.operation_model(operation).input_shape, operation, set())
        assert typed, operation  # attribute values reach B and BS in every one of them
        assert all(path.endswith((".B", ".BS[]")) for path in typed), (operation, typed)


def test_names_are_converted_and_methods_listed_once(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core import utils

    listed: list[Any] = []
    converted: list[str] = []
    list_functions, to_snake_case = utils.method_names_from_class, utils.camelcase_to_underscores

    def counted_listing(clazz: Any) -> list[str]:
        listed.append(clazz)
        return list_functions(clazz)

    def counted_conversion(name: str) -> str:
        converted.append(name)
        return to_snake_case(name)

    monkeypatch.setattr(utils, "method_names_from_class", counted_listing)
    monkeypatch.setattr(utils, "camelcase_to_underscores", counted_conversion)
    name_actions_once(monkeypatch.setattr)
    name_actions_once(monkeypatch.setattr)  # idempotent
    sqs = aws.sqs()
    url = sqs.create_queue(QueueName="names-test", Attributes={"VisibilityTimeout": "45"})[
        "QueueUrl"
    ]

    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["ApproximateNumberOfMessages"] == "5"
    assert len(listed) == len(set(listed)) == 1  # one handler class, listed once for 7 requests
    assert converted.count("SendMessage") == 1
    assert len(converted) == len(set(converted))
