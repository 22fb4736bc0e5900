"""Makes the embedded AWS read each DynamoDB request's parameters, and find the method that answers
it, without walking the request's model on every call.

moto reads a DynamoDB request by loading its JSON and then walking the operation's input shape
member by member, to turn the few typed members (a binary attribute's base64, a timestamp) into
Python values; it then names the answering method by converting the action to snake case letter by
letter and listing every function of the handler class with `inspect`, again for every request.
In the schedule's run over 1,000 companies that was about a sixth of the emulator's time
(docs/performance.md, "Fleet"):
- `read_plain_json_once` answers the loaded JSON itself for a data-plane request (items, keys,
  expressions) that carries no binary attribute: for such a request the walk changes nothing,
  since every other member is a string, a number, a boolean, a list or a map already. A request
  with a binary attribute, compressed, or of any other operation is walked as moto walks it;
- `name_actions_once` remembers the snake-case form of each name and each handler class's
  function names (neither changes while the server runs).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

# The operations whose input shapes hold no typed member outside an attribute value's `B`/`BS`
# (tests/integration/test_moto_requests.py walks each shape to check it).
PLAIN_JSON_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})  # fmt: skip

# A binary attribute's key as botocore writes it (`"B": "..."`, `"BS": [...]`). Inside a JSON
# string a quote is always escaped, so the text `"B":` appears only as a key; a false match only
# sends the request down moto's own walk.
_BINARY_KEY = re.compile(rb'"BS?"\s*:')


def read_plain_json_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's DynamoDB handler to take a plain data-plane request's JSON as its parameters
    (idempotent)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.parse_parameters
    if getattr(original, "_plain", False):
        return

    @functools.wraps(original)
    def parse_parameters(handler: Any, request: Any) -> None:
        params = _plain_params(handler)
        if params is None:
            original(handler, request)
        else:
            handler.params = params

    parse_parameters._plain = True  # type: ignore[attr-defined]
    setattr_(DynamoHandler, "parse_parameters", parse_parameters)


def _plain_params(handler: Any) -> dict[str, Any] | None:
    """The request's JSON when moto's walk would answer the same, else None."""
    if handler._get_action() not in PLAIN_JSON_OPERATIONS:
        return None
    if handler.headers.get("Content-Encoding", ""):
        return None
    body = handler.raw_body
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes) or _BINARY_KEY.search(body):
        return None
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        return None  # moto's own walk answers what it answers for a body that is not JSON
    return params if isinstance(params, dict) else None


def name_actions_once(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch the snake-case conversion and the handler's method listing that moto's request
    dispatch and its SQS queue attributes use, to remember their answers (idempotent)."""
    import moto.core.responses as responses
    import moto.sqs.models as sqs_models
    from moto.core import utils

    if getattr(responses.camelcase_to_underscores, "_remembered", False):
        return
    to_snake_case = utils.camelcase_to_underscores
    list_functions = utils.method_names_from_class

    @functools.lru_cache(maxsize=4096)
    def snake_case_of(name: str) -> str:
        return to_snake_case(name)

    def camelcase_to_underscores(argument: Any) -> Any:
        if isinstance(argument, str):
            return snake_case_of(argument)
        return to_snake_case(argument)

    @functools.cache
    def functions_of(clazz: type) -> tuple[str, ...]:
        return tuple(list_functions(clazz))

    def method_names_from_class(clazz: Any) -> list[str]:
        # A handler class's functions are fixed once it is defined; a caller gets its own list.
        return list(functions_of(clazz)) if isinstance(clazz, type) else list_functions(clazz)

    camelcase_to_underscores._remembered = True  # type: ignore[attr-defined]
    for module in (responses, sqs_models):
        setattr_(module, "camelcase_to_underscores", camelcase_to_underscores)
    setattr_(responses, "method_names_from_class", method_names_from_class)
