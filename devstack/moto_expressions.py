"""Makes the embedded AWS's DynamoDB read each condition expression's words once, not per item.

moto splits a condition expression into its words (names, placeholders, comparators, brackets)
by trying a list of regular expressions at every position of the text, and it does so for every
item of every request, two or three times an item (the request is checked, then the write): the
schedule's run over 1,000 companies, whose 20,000 transaction items carry a handful of distinct
conditions, spent about a tenth of the emulator's time there (docs/performance.md, "Fleet").
The words depend on the text alone, so `lex_conditions_once` remembers them per text; the rest of
the parse (names and values substituted, the condition built and checked) still runs every time.
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
