"""The local stack's condition and update expressions (devstack/moto_expressions.py): each text's
words are read once, a condition is built once per text, names and used values, an update is parsed
once per text, and every condition and update still decides and changes each item on its own."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from devstack.moto_expressions import (
    copy_update_trees_by_shape,
    lex_conditions_once,
    parse_conditions_once,
    parse_updates_once,
    set_plain_values_directly,
    walk_trees_by_node_type,
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


UPDATES = [
    ("SET job = :j, #n = if_not_exists(#n, :zero) + :one, tags = list_append(tags, :more)",
     {":j": {"S": "job"}, ":zero": {"N": "0"}, ":one": {"N": "1"}, ":more": {"L": [{"S": "b"}]}}),
    ("SET nested.deep[0] = :j REMOVE gone ADD tally :one DELETE letters :ab",
     {":j": {"S": "x"}, ":one": {"N": "1"}, ":ab": {"SS": ["a", "b"]}}),
]  # fmt: skip


def _tree_shape(node: Any, nodes: dict[int, int]) -> Any:
    """A node's type, leaves and parent (by position in the walk), and the ids of its nodes."""
    from moto.dynamodb.parsing.ast_nodes import Node

    nodes[id(node)] = len(nodes)
    parent = None if node.parent is None else nodes[id(node.parent)]
    children = [
        _tree_shape(child, nodes) if isinstance(child, Node) else child
        for child in node.children or []
    ]
    return (node.type, type(node).__name__, parent, children)


def _apply_updates(client: Any) -> list[dict[str, Any]]:
    answers = []
    for n, (update, values) in enumerate(UPDATES):
        key = {"pk": {"S": f"u{n}"}}
        client.put_item(TableName=TABLE, Item={
            **key, "tags": {"L": [{"S": "a"}]}, "nested": {"M": {"deep": {"L": [{"S": "y"}]}}},
            "gone": {"S": "g"}, "letters": {"SS": ["a", "b", "c"]}})  # fmt: skip
        names = {"#n": "count"} if "#n" in update else {}
        for _ in range(2):
            client.update_item(TableName=TABLE, Key=key, UpdateExpression=update,
                               ExpressionAttributeValues=values,
                               **({"ExpressionAttributeNames": names} if names else {}))  # fmt: skip
        answers.append(client.get_item(TableName=TABLE, Key=key)["Item"])
    return answers


def test_an_update_tree_is_copied_node_by_node_to_the_same_shape(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    plain = _apply_updates(client)
    copied: list[Any] = []
    copy_update_trees_by_shape(monkeypatch.setattr)
    copy_update_trees_by_shape(monkeypatch.setattr)  # idempotent
    by_shape = validators.deepcopy

    def recorded(value: Any, memo: Any = None) -> Any:
        copied.append(value)
        return by_shape(value, memo)

    from moto.dynamodb.parsing.ast_nodes import Node

    deep_copy = copy.deepcopy
    deep_copied_trees: list[Any] = []

    def watched(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Node):
            deep_copied_trees.append(value)
        return deep_copy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", watched)
    monkeypatch.setattr(validators, "deepcopy", recorded)
    assert _apply_updates(client) == plain
    assert len([tree for tree in copied if isinstance(tree, Node)]) == 4  # one per update written
    assert deep_copied_trees == []  # none of them through copy.deepcopy
    monkeypatch.undo()

    for update, _ in UPDATES:
        tree = UpdateExpressionParser.make(update)
        original_nodes: dict[int, int] = {}
        copy_nodes: dict[int, int] = {}
        copy_update_trees_by_shape(monkeypatch.setattr)
        twin = validators.deepcopy(tree)
        assert _tree_shape(twin, copy_nodes) == _tree_shape(tree, original_nodes)
        assert _tree_shape(twin, {}) == _tree_shape(copy.deepcopy(tree), {})
        assert not set(copy_nodes) & set(original_nodes)  # no node shared with the original
        monkeypatch.undo()


def test_what_is_not_a_plain_tree_is_left_to_deepcopy(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DDBTypedValue
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    copy_update_trees_by_shape(monkeypatch.setattr)
    value = DynamoType({"L": [{"S": "a"}]})
    assert validators.deepcopy(value) == value and validators.deepcopy(value) is not value
    typed = DDBTypedValue(value)  # a leaf that is not a name or a number
    twin = validators.deepcopy(typed)
    assert twin.children[0] == value and twin.children[0] is not value
    tree = UpdateExpressionParser.make("SET a = :v")
    inner = tree.children[0]
    assert inner.parent is tree
    twin = validators.deepcopy(inner)  # its parent is outside: deepcopy takes the parent along
    assert twin.parent is not None and twin.parent is not tree


REFUSED_UPDATES = [
    ("SET pk = :j", {":j": {"S": "x"}}),  # a key attribute
    ("SET job = :j, job = :k", {":j": {"S": "x"}, ":k": {"S": "y"}}),  # one path twice
    ("ADD gone :one", {":one": {"N": "1"}}),  # a number added to a string
    ("SET missing.inner = :j", {":j": {"S": "x"}}),  # a path through a missing map
    ("SET tags = list_append(nothing, :more)", {":more": {"L": [{"S": "b"}]}}),  # missing operand
    ("SET job = :absent", {":j": {"S": "x"}}),  # a value not given
    ("SET job = :j + :j", {":j": {"S": "x"}}),  # arithmetic on strings
]


def _refusals(client: Any) -> list[tuple[str, str]]:
    """What each refused update answers (code and sentence); the item must stay as it was."""
    key = {"pk": {"S": "r"}}
    item = {**key, "tags": {"L": [{"S": "a"}]}, "gone": {"S": "g"}}
    client.put_item(TableName=TABLE, Item=item)
    answers = []
    for update, values in REFUSED_UPDATES:
        with pytest.raises(ClientError) as refused:
            client.update_item(TableName=TABLE, Key=key, UpdateExpression=update,
                               ExpressionAttributeValues=values)  # fmt: skip
        error = refused.value.response["Error"]
        answers.append((error["Code"], error["Message"]))
    assert client.get_item(TableName=TABLE, Key=key)["Item"] == item
    return answers


def _count_maps_built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time the values walker builds its map of node types to processors."""
    from moto.dynamodb.parsing.validators import ExpressionAttributeValueProcessor

    maps_built: list[str] = []
    processing_map = ExpressionAttributeValueProcessor._processing_map

    def counted(walker: Any) -> Any:
        maps_built.append(type(walker).__name__)
        return processing_map(walker)

    monkeypatch.setattr(ExpressionAttributeValueProcessor, "_processing_map", counted)
    return maps_built


def test_an_update_s_checks_choose_processors_by_node_type_and_decide_as_plain_moto(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_items, plain_refusals = _apply_updates(client), _refusals(client)
    maps_built = _count_maps_built(monkeypatch)
    walk_trees_by_node_type(monkeypatch.setattr)
    walk_trees_by_node_type(monkeypatch.setattr)  # idempotent

    assert _apply_updates(client) == plain_items  # every item changed as plain moto changes it
    assert _refusals(client) == plain_refusals  # every refusal the same, in the same words
    assert maps_built  # node types it had not met
    maps_built.clear()
    assert _claim_all(client) == [f"b{n}" for n in range(20) if n % 5 != 0]
    assert maps_built == []  # every node type of the claims met before: no map built again


def test_plain_moto_builds_a_walker_s_map_at_every_node(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    maps_built = _count_maps_built(monkeypatch)
    _claim_all(client)
    assert len(maps_built) > 100


INDEXED = "expressions-indexed"

# Updates that only set top-level attributes to given values, and the same items' refusals where
# one of moto's checks has its say: a key of an index (an empty string, another type), a name or
# a value not given, a name set twice, the table's key.
PLAIN_UPDATES = [
    ("SET job = :j", {":j": {"S": "job"}}, {}),
    ("SET job = :j, #n = :n, flag = :f", {":j": {"S": "x"}, ":n": {"N": "7.50"}, ":f": {"BOOL": True}},
     {"#n": "count"}),
    ("SET tags = :l, nested = :m, letters = :s",
     {":l": {"L": [{"S": "z"}]}, ":m": {"M": {"deep": {"N": "1"}}}, ":s": {"SS": ["q"]}}, {}),
    ("SET job=:j,gone=:g", {":j": {"S": ""}, ":g": {"NULL": True}}, {}),
    ("SET by_status = :v", {":v": {"S": "synced"}}, {}),  # an index's key, with a good value
    # moto takes an empty index key through a name placeholder (DynamoDB would not); keys are
    # left to moto, so the emulator answers as moto does
    ("SET #s = :v", {":v": {"S": ""}}, {"#s": "by_status"}),
]  # fmt: skip
PLAIN_REFUSALS = [
    ("SET by_status = :v", {":v": {"S": ""}}, {}),  # an empty string for an index's key
    ("SET by_status = :v", {":v": {"N": "1"}}, {}),  # another type than the index's
    ("SET pk = :v", {":v": {"S": "other"}}, {}),  # the table's key
    ("SET #k = :v", {":v": {"S": "other"}}, {"#k": "pk"}),
    ("SET job = :j, job = :k", {":j": {"S": "x"}, ":k": {"S": "y"}}, {}),  # one name twice
    ("SET job = :j, #j = :k", {":j": {"S": "x"}, ":k": {"S": "y"}}, {"#j": "job"}),
    ("SET job = :absent", {":j": {"S": "x"}}, {}),  # a value not given
    ("SET #missing = :j", {":j": {"S": "x"}}, {"#other": "job"}),  # a name not given
]  # fmt: skip


@pytest.fixture
def indexed(aws_env: None) -> Any:
    """A table with an index keyed by `by_status`, so an update may touch an index's key."""
    client = aws.dynamodb()
    client.create_table(
        TableName=INDEXED,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "by_status", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "status",
                                 "KeySchema": [{"AttributeName": "by_status", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    return client


def _update(client: Any, key: dict[str, Any], update: str, values: Any, names: Any) -> None:
    client.update_item(TableName=INDEXED, Key=key, UpdateExpression=update,
                       ExpressionAttributeValues=values,
                       **({"ExpressionAttributeNames": names} if names else {}))  # fmt: skip


def _plain_outcomes(client: Any) -> tuple[list[Any], list[tuple[str, str]], list[Any]]:
    """Each plain update's item (on an item holding other attributes, and on none: the update
    makes it), each refusal's code and words with the item unchanged, and the index's answer."""
    items = []
    for n, (update, values, names) in enumerate(PLAIN_UPDATES):
        held, new = {"pk": {"S": f"p{n}"}}, {"pk": {"S": f"new{n}"}}
        client.delete_item(TableName=INDEXED, Key=new)
        client.put_item(TableName=INDEXED, Item={**held, "job": {"S": "old"}, "gone": {"S": "g"},
                                                 "tags": {"L": [{"S": "a"}]}})  # fmt: skip
        for key in (held, new):
            _update(client, key, update, values, names)
            items.append(client.get_item(TableName=INDEXED, Key=key)["Item"])
    refusals = []
    key = {"pk": {"S": "refused"}}
    before = {**key, "job": {"S": "kept"}, "by_status": {"S": "ready"}}
    client.put_item(TableName=INDEXED, Item=before)
    for update, values, names in PLAIN_REFUSALS:
        with pytest.raises(ClientError) as refused:
            _update(client, key, update, values, names)
        error = refused.value.response["Error"]
        refusals.append((error["Code"], error["Message"]))
    assert client.get_item(TableName=INDEXED, Key=key)["Item"] == before
    indexed = client.query(TableName=INDEXED, IndexName="status",
                           KeyConditionExpression="by_status = :s",
                           ExpressionAttributeValues={":s": {"S": "synced"}})["Items"]  # fmt: skip
    return items, refusals, sorted(indexed, key=lambda item: item["pk"]["S"])


def test_a_plain_update_sets_its_values_without_moto_s_checks_and_as_plain_moto_does(
    indexed: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _plain_outcomes(indexed), _apply_updates(client), _refusals(client)
    checked = _count_maps_built(monkeypatch)
    set_plain_values_directly(monkeypatch.setattr)
    set_plain_values_directly(monkeypatch.setattr)  # idempotent

    assert (_plain_outcomes(indexed), _apply_updates(client), _refusals(client)) == plain
    assert checked  # the updates that are not plain, and the refusals, went to moto's checks
    checked.clear()
    assert _claim_all(client) == [f"b{n}" for n in range(20) if n % 5 != 0]
    assert checked == []  # `SET job = :j`: no check walked its tree
