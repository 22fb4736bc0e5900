"""The local stack's condition and update expressions (devstack/moto_expressions.py): each text's
words are read once, a condition is built once per text, names and used values, an update is parsed
once per text, and every condition and update still decides and changes each item on its own."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.moto_expressions import (
    lex_conditions_once,
    parse_conditions_once,
    parse_updates_once,
)
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


def _claim_all(client: Any, locked: bool = False, names: dict[str, str] | None = None) -> list[str]:
    """Claim every budget under CLAIM (`:false` standing for `locked`); answers the ones the
    condition let through."""
    claimed = []
    for n in range(20):
        extra = {"ExpressionAttributeNames": names} if names else {}
        try:
            client.update_item(
                TableName=TABLE, Key={"pk": {"S": f"b{n}"}}, UpdateExpression="SET job = :j",
                ConditionExpression=CLAIM if names is None else CLAIM.replace("locked", "#l"),
                ExpressionAttributeValues={":j": {"S": f"job{n}"}, ":false": {"BOOL": locked}},
                **extra,
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


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each condition moto's own parser builds, and each update text it parses."""
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    built: list[str] = []
    parse, make = ConditionExpressionParser.parse, UpdateExpressionParser.make

    def counted_parse(parser: Any) -> Any:
        built.append(parser.condition_expression)
        return parse(parser)

    def counted_make(cls: type, text: str) -> Any:
        built.append(text)
        return make(text)

    monkeypatch.setattr(ConditionExpressionParser, "parse", counted_parse)
    monkeypatch.setattr(UpdateExpressionParser, "make", classmethod(counted_make))
    return built


def _jobs(client: Any) -> dict[str, str]:
    items = client.scan(TableName=TABLE)["Items"]
    return {item["pk"]["S"]: item["job"]["S"] for item in items if "job" in item}


def test_a_condition_is_built_once_and_decides_each_item_on_its_values(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _count_builds(monkeypatch)
    for _ in range(2):  # idempotent
        parse_conditions_once(monkeypatch.setattr)
        parse_updates_once(monkeypatch.setattr)

    claimed = _claim_all(client)

    assert claimed == [f"b{n}" for n in range(20) if n % 5 != 0]
    assert built.count(CLAIM) == 1  # plain moto: two or three builds for each of the 20 items
    assert built.count("SET job = :j") == 1  # plain moto: twice per item
    # Each item got its own job id: the parsed update did not keep the first item's value.
    assert _jobs(client) == {f"b{n}": f"job{n}" for n in range(20) if n % 5 != 0}
    # Another value of a placeholder the condition uses is another condition: the locked four.
    assert _claim_all(client, locked=True) == [f"b{n}" for n in range(20) if n % 5 == 0]
    assert built.count(CLAIM) == 2


def test_names_are_part_of_a_built_condition(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    parse_conditions_once(monkeypatch.setattr)
    # "#l" names an attribute no item has: nothing is claimed, whatever was built before.
    assert _claim_all(client, names={"#l": "absent"}) == []
    assert _claim_all(client, names={"#l": "locked"}) == [f"b{n}" for n in range(20) if n % 5]


def _claim_without_value(client: Any) -> str:
    """Claim b1 with CLAIM's `:false` missing; answers what moto raised."""
    try:
        client.update_item(
            TableName=TABLE, Key={"pk": {"S": "b1"}}, UpdateExpression="SET job = :j",
            ConditionExpression=CLAIM, ExpressionAttributeValues={":j": {"S": "x"}},
        )  # fmt: skip
    except Exception as error:  # noqa: BLE001 - whatever moto raises, it must raise it again
        return type(error).__name__
    return "claimed"


def test_a_missing_value_is_refused_every_time(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _claim_without_value(client)
    assert plain != "claimed"
    parse_conditions_once(monkeypatch.setattr)
    _claim_all(client)  # the text is now known, with its value
    assert [_claim_without_value(client) for _ in range(2)] == [plain, plain]
    assert _jobs(client)["b1"] == "job1"  # not the refused request's "x"
