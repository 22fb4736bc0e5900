"""The local stack's condition expressions (devstack/moto_expressions.py): each text's words are read
once, and every condition still decides each item on its own values."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.moto_expressions import lex_conditions_once
from tests.fixtures.aws import create_keyed_table

TABLE = "expressions-test"
CLAIM = "attribute_exists(pk) AND attribute_not_exists(job) AND locked = :false"


@pytest.fixture
def client(aws_env: None) -> Any:
    client = aws.dynamodb()
    create_keyed_table(client, TABLE, sort_key=False)
    for n in range(20):
        item = {"pk": {"S": f"b{n}"}, "locked": {"BOOL": n % 5 == 0}}
        client.put_item(TableName=TABLE, Item=item)
    return client


def _count_lexing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each text moto's own lexer reads."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    read: list[str] = []
    lexer = ConditionExpressionParser._lex_condition_expression

    def counted(parser: Any) -> Any:
        read.append(parser.condition_expression)
        return lexer(parser)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_condition_expression", counted)
    return read


def _claim_all(client: Any) -> list[str]:
    """Claim every budget under CLAIM; answers the ones the condition let through."""
    claimed = []
    for n in range(20):
        try:
            client.update_item(
                TableName=TABLE, Key={"pk": {"S": f"b{n}"}}, UpdateExpression="SET job = :j",
                ConditionExpression=CLAIM,
                ExpressionAttributeValues={":j": {"S": f"job{n}"}, ":false": {"BOOL": False}},
            )  # fmt: skip
            claimed.append(f"b{n}")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
    return claimed


def test_each_text_is_read_once_and_each_item_still_decided(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _count_lexing(monkeypatch)
    lex_conditions_once(monkeypatch.setattr)
    lex_conditions_once(monkeypatch.setattr)  # idempotent

    claimed = _claim_all(client)

    assert claimed == [f"b{n}" for n in range(20) if n % 5 != 0]  # the locked four refused
    assert read.count(CLAIM) == 1  # plain moto: two or three reads for each of the 20 items
    assert _claim_all(client) == []  # every one now holds a job: the same text refuses them all
    assert read.count(CLAIM) == 1


def test_plain_moto_reads_the_text_for_every_item(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _count_lexing(monkeypatch)
    _claim_all(client)
    assert read.count(CLAIM) >= 20


def test_a_refused_condition_is_refused_every_time(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lex_conditions_once(monkeypatch.setattr)
    for _ in range(2):  # a reserved word: found after the words are read, so found every time
        with pytest.raises(ClientError) as refused:
            client.put_item(
                TableName=TABLE, Item={"pk": {"S": "x"}}, ConditionExpression="status = :v",
                ExpressionAttributeValues={":v": {"S": "x"}},
            )  # fmt: skip
        assert refused.value.response["Error"]["Code"] == "ValidationException"
