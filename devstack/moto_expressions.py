"""Makes the embedded AWS's DynamoDB read and build each condition and update expression once,
not once per item.

moto splits a condition expression into its words (names, placeholders, comparators, brackets)
by trying a list of regular expressions at every position of the text, then builds the condition
from them, and it does both for every item of every request, two or three times an item (the
request is checked, then the write); it parses an update expression twice an item. The schedule's
run over 1,000 companies, whose 20,000 transaction items carry a handful of distinct texts, spent
about a third of the emulator's time there (docs/performance.md, "Fleet"):
- `lex_conditions_once` remembers a condition's words per text;
- `parse_conditions_once` keeps each built condition per text, names and the values it uses, so
  an item is still decided on those values (a new value is a new condition);
- `parse_updates_once` keeps an update's syntax tree per text (values are put into a copy of it
  for each item, as moto always did);
- `copy_update_trees_by_shape` copies that tree node by node, and `walk_trees_by_node_type` lets
  the update's ten checks choose a node's processor once per node type, not at every node;
- `set_plain_values_directly` sets an update that only sets top-level attributes that are no key
  to given values, the commonest update there is, without the copy and the ten checks at all.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from typing import Any

# Distinct condition texts an application uses are few; the bound keeps a stream of generated
# texts (a test that builds one per item) from growing the emulator's memory.
REMEMBERED_TEXTS = 4096


def lex_conditions_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's condition lexer to remember each text's words (idempotent)."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = ConditionExpressionParser._lex_condition_expression
    if getattr(original, "_remembered", False):
        return

    @functools.lru_cache(maxsize=REMEMBERED_TEXTS)
    def words_of(parser_class: type, text: str) -> tuple[Any, ...]:
        parser = parser_class.__new__(parser_class)
        parser.condition_expression = text
        return tuple(original(parser))

    @functools.wraps(original)
    def lex(parser: Any) -> deque[Any]:
        # A fresh deque each time: the parse consumes it. The words themselves are immutable
        # tuples whose `children` lists the parse never changes (it builds new nodes).
        return deque(words_of(type(parser), parser.condition_expression))

    lex._remembered = True  # type: ignore[attr-defined]
    setattr_(ConditionExpressionParser, "_lex_condition_expression", lex)


def parse_conditions_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's condition parser to keep each condition it built, by its text, its names and
    the values it used (idempotent).

    The schedule's claims all read "... AND locked = :false" with the same `:false`; only a
    placeholder the condition does not use (the job id the update writes) differs from item to
    item. A condition moto built is a tree of comparisons it only reads when it decides an item,
    so one built for the same text, names and used values decides every later item the same way.
    A text, names or values the parse refuses are refused every time (nothing is kept of them)."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = ConditionExpressionParser.parse
    if getattr(original, "_remembered", False):
        return
    used_values: dict[str, tuple[str, ...]] = {}  # text -> the placeholders its parse used
    built: dict[Any, tuple[Any, tuple[str, ...]]] = {}  # key -> (condition, names it used)

    def key_of(parser: Any, used: tuple[str, ...]) -> Any:
        values = parser.expression_attribute_values or {}
        if any(placeholder not in values for placeholder in used):
            return None  # moto's own parse says what is missing
        names = parser.expression_attribute_names or {}
        return (
            parser.condition_expression,
            tuple(sorted(names.items())),
            # repr, not JSON: a binary value is bytes here; two reprs of one value differ only in
            # a map's key order, which costs a build, never a wrong condition.
            repr([values[placeholder] for placeholder in used]),
        )

    @functools.wraps(original)
    def parse(parser: Any) -> Any:
        text = parser.condition_expression
        used = used_values.get(text) if text else None
        key = key_of(parser, used) if used is not None else None
        kept = built.get(key) if key is not None else None
        if kept is not None:
            condition, names_used = kept
            # What moto's callers read off the parser after a parse: the names and values used.
            parser.expr_attr_names_found.extend(names_used)
            parser.expr_attr_values_found.extend(used)
            return condition
        condition = original(parser)
        if text:
            used = tuple(parser.expr_attr_values_found)
            used_values[text] = used
            key = key_of(parser, used)
            if key is not None:
                if len(built) >= REMEMBERED_TEXTS:
                    built.clear()  # a stream of generated conditions: start again
                built[key] = (condition, tuple(parser.expr_attr_names_found))
        return condition

    parse._remembered = True  # type: ignore[attr-defined]
    setattr_(ConditionExpressionParser, "parse", parse)


def parse_updates_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's update-expression parser to parse each text once (idempotent).

    An update's syntax tree depends on its text alone. moto's callers only read it (the names and
    values it uses) or deep-copy it before they substitute values and apply it to an item, so one
    tree serves every item; moto parses it twice per item otherwise."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    original = UpdateExpressionParser.make
    if getattr(original, "_remembered", False):
        return

    @functools.lru_cache(maxsize=REMEMBERED_TEXTS)
    def make(text: str) -> Any:
        return original(text)

    def remembered(cls: type, text: str) -> Any:
        return make(text)

    remembered._remembered = True  # type: ignore[attr-defined]
    setattr_(UpdateExpressionParser, "make", classmethod(remembered))


def copy_update_trees_by_shape(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch the copy moto's update validator makes of each update's syntax tree to copy the tree
    node by node (idempotent).

    The validator deep-copies the tree for every item, before it puts that item's values in; the
    general `copy.deepcopy` visits every attribute of every node through its memo and reducers, and
    was about a sixth of the emulator's time in the schedule's fleet run. A syntax tree is nodes
    holding a `type` name, a list of `children` (nodes, names, numbers) and their `parent`; the
    copy made here has the same shape, the same leaves and its own nodes, parents pointing inside
    the copy. Anything else (a value, a node with another attribute or a parent outside the tree)
    is left to `copy.deepcopy`."""
    import copy

    from moto.dynamodb.parsing import validators

    if getattr(validators.deepcopy, "_by_shape", False):
        return

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if memo is None:
            copied = _copy_tree(value)
            if copied is not None:
                return copied
        return copy.deepcopy(value, memo)

    deepcopy._by_shape = True  # type: ignore[attr-defined]
    setattr_(validators, "deepcopy", deepcopy)


def walk_trees_by_node_type(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch the walk moto's update validator makes over an update's syntax tree to choose each
    node's processor once per walker and node type, not at every node (idempotent).

    The validator walks every update's tree ten times an item (counts, overlaps, key attributes,
    values, names, functions, missing paths, operations, types, empty keys). At every node each
    walk built its map of node types to processors afresh and asked `isinstance` of the node
    against it, twice, through the abstract base class; that was most of the validator's time, a
    fifth of the emulator's in the schedule's fleet run (docs/performance.md, "Fleet"). A walker's
    map names classes, so which of its processors takes a node (the first whose class the node is
    an instance of, as moto's `process` chooses) depends on the walker's class and the node's type
    alone. The walk is otherwise moto's: children first, left to right, each after the walker's
    `pre_processing_of_child`, and a processed node takes its old place and parent."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node

    if getattr(DepthFirstTraverser.traverse_node_recursively, "_by_node_type", False):
        return
    chosen: dict[tuple[type, type], Any] = {}  # (walker class, node type) -> function or None

    def processor_of(walker: Any, node_type: type) -> Any:
        key = (type(walker), node_type)
        try:
            return chosen[key]
        except KeyError:
            pass
        function = None
        if issubclass(node_type, walker.nodes_to_be_processed()):
            for class_key, processor in walker._processing_map().items():
                if issubclass(node_type, class_key):
                    # A walker's processors are its methods; anything else goes through `process`.
                    function = getattr(processor, "__func__", None) or _process
                    break
        chosen[key] = function
        return function

    node_types: dict[type, bool] = {}  # type -> whether it is a syntax tree's node

    def traverse_node_recursively(walker: Any, node: Any, child_id: int = -1) -> Any:
        node_type = type(node)
        is_node = node_types.get(node_type)
        if is_node is None:
            is_node = node_types[node_type] = isinstance(node, Node)
        if not is_node:
            return node
        parent_node = node.parent
        children = node.children
        if children is not None:
            for index, child_node in enumerate(children):
                walker.pre_processing_of_child(node, index)
                walker.traverse_node_recursively(child_node, index)
        function = processor_of(walker, type(node))
        if function is not None:
            node = function(walker, node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    traverse_node_recursively._by_node_type = True  # type: ignore[attr-defined]
    setattr_(DepthFirstTraverser, "traverse_node_recursively", traverse_node_recursively)


def set_plain_values_directly(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's update of an item so that an update made only of `SET name = :value` actions
    is applied by setting each value, without its validator's copy and ten walks of the tree and
    its executor's walk (idempotent).

    That is what the schedule's claim of a budget (`SET active_job_id = :job`) and most of the
    worker's writes are. For such an update every check moto makes either cannot refuse it or is
    made here the same way, and anything else goes to moto as before: a name or value placeholder
    not given, a name set twice, or a name that is a key of the table or of an index (moto refuses
    updating a table's key, an empty string or a wrong type for an index's). moto's executor sets
    exactly these values on the item's attributes, through the same size check.
    `tests/integration/test_moto_expressions.py` compares the items and every refusal with plain
    moto's."""
    from moto.dynamodb import models

    validator_class = models.UpdateExpressionValidator
    if getattr(validator_class, "_plain_sets", False):
        return
    executor_class = models.UpdateExpressionExecutor

    class PlainSetsValidator(validator_class):  # type: ignore[misc, valid-type]
        _plain_sets = True

        def __init__(self, expression: Any, expression_attribute_names: Any,
                     expression_attribute_values: Any, item: Any, table: Any) -> None:  # fmt: skip
            self.plain = _plain_sets(
                expression, expression_attribute_names or {}, expression_attribute_values or {},
                table,
            )  # fmt: skip
            if self.plain is None:
                super().__init__(expression, expression_attribute_names,
                                 expression_attribute_values, item, table)  # fmt: skip

        def validate(self) -> Any:
            return super().validate() if self.plain is None else self.plain

    class PlainSetsExecutor(executor_class):  # type: ignore[misc, valid-type]
        def execute(self, node: Any = None) -> None:
            if node is None and isinstance(self.update_ast, _PlainSets):
                for name, value in self.update_ast.values:
                    self.item.attrs[name] = value
            else:
                super().execute(node)

    setattr_(models, "UpdateExpressionValidator", PlainSetsValidator)
    setattr_(models, "UpdateExpressionExecutor", PlainSetsExecutor)


class _PlainSets:
    """A plain update, checked: each attribute's name and its new value (moto's `DynamoType`)."""

    def __init__(self, values: list[tuple[str, Any]]) -> None:
        self.values = values

    def normalize(self) -> None:
        """Nothing to merge or sort: one SET clause, one action per name."""


def _plain_sets(tree: Any, names: dict[str, str], values: dict[str, Any], table: Any) -> Any:
    """The update's names and values if it only sets top-level attributes that are no key of the
    table or an index to given values, each once; else None (moto decides)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    actions = _set_actions(tree)
    if actions is None:
        return None
    keys = set(table.attribute_keys) | {attr["AttributeName"] for attr in table.attr}
    plain: list[tuple[str, Any]] = []
    for target, placeholder in actions:
        name = names.get(target) if target.startswith("#") else target
        if name is None or placeholder not in values or target in keys or name in keys:
            return None
        plain.append((name, DynamoType(values[placeholder])))
    if len({name for name, _ in plain}) != len(plain):
        return None  # moto's overlap check words this refusal
    return _PlainSets(plain)


@functools.lru_cache(maxsize=REMEMBERED_TEXTS)
def _set_actions(tree: Any) -> tuple[tuple[str, str], ...] | None:
    """(name or name placeholder, value placeholder) of each action of a syntax tree that is one
    SET clause of `name = :value` actions; else None. Trees are kept per text
    (`parse_updates_once`), so each is looked at once."""
    from moto.dynamodb.parsing import ast_nodes as ast

    if type(tree) is not ast.UpdateExpression or len(tree.children) != 1:
        return None
    clause = tree.children[0]
    if type(clause) is not ast.UpdateExpressionSetClause or len(clause.children) != 1:
        return None
    found: list[tuple[str, str]] = []
    actions = clause.children[0]
    while actions is not None:
        if (
            type(actions) is not ast.UpdateExpressionSetActions
            or not 1 <= len(actions.children) <= 2
        ):
            return None
        action = actions.children[0]
        if type(action) is not ast.UpdateExpressionSetAction or len(action.children) != 2:
            return None
        path, value = action.children
        target = _only_child(path, ast.UpdateExpressionPath,
                             (ast.ExpressionAttribute, ast.ExpressionAttributeName))  # fmt: skip
        placeholder = _only_child(value, ast.UpdateExpressionValue, (ast.ExpressionAttributeValue,))
        if target is None or placeholder is None:
            return None
        found.append((target, placeholder))
        actions = actions.children[1] if len(actions.children) == 2 else None
    return tuple(found)


def _only_child(node: Any, kind: type, leaf_kinds: tuple[type, ...]) -> str | None:
    """The text of `node`'s one leaf if `node` is a `kind` holding one of `leaf_kinds` holding
    one string; else None."""
    if type(node) is not kind or len(node.children) != 1:
        return None
    leaf = node.children[0]
    if type(leaf) not in leaf_kinds or len(leaf.children) != 1:
        return None
    text = leaf.children[0]
    return text if isinstance(text, str) else None


def _process(walker: Any, node: Any) -> Any:
    return walker.process(node)


_LEAVES = (str, int, float, bool, type(None))
_NODE_ATTRIBUTES = frozenset({"type", "children", "parent"})


def _copy_tree(root: Any) -> Any:
    """`root`'s tree copied node by node, or None if it is not a plain syntax tree."""
    from moto.dynamodb.parsing.ast_nodes import Node

    if not isinstance(root, Node) or root.parent is not None:
        return None
    copies: dict[int, Any] = {}

    def copy_node(node: Any) -> Any:
        if id(node) in copies:
            return copies[id(node)]
        if node.__dict__.keys() != _NODE_ATTRIBUTES:
            raise _NotATree
        new = object.__new__(type(node))
        copies[id(node)] = new
        parent = node.parent
        if parent is not None and id(parent) not in copies:
            raise _NotATree  # a parent that is not an ancestor: leave it to deepcopy
        new.type = node.type
        new.parent = None if parent is None else copies[id(parent)]
        children = node.children
        if children is None:
            new.children = None
        else:
            new.children = [
                copy_node(child) if isinstance(child, Node) else _leaf(child) for child in children
            ]
        return new

    try:
        return copy_node(root)
    except _NotATree:
        return None


def _leaf(value: Any) -> Any:
    if type(value) in _LEAVES:
        return value
    raise _NotATree


class _NotATree(Exception):
    """The value is not a tree `_copy_tree` copies exactly."""
