"""The lengths of text a budget line may carry, the same for the ERP's lines and a person's edits.

ERP text beyond these is a line error (the re-import's all-or-nothing rule), a longer edit is
refused with 422, and with them no stored item can approach DynamoDB's 400 KB item limit (see
docs/reliability.md).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

MAX_SUB_JOB = 100
MAX_COST_CODE = 100
MAX_COST_TYPE = 100
MAX_DESCRIPTION = 500
MAX_UOM = 20
MAX_ERP_REF = 200
# A project's name, given when linking or taken from the ERP's project list: the Budgets list sorts
# by it, and DynamoDB keys an index by it (at most 1,024 bytes; 200 characters are at most 800).
MAX_PROJECT_NAME = 200

# Quantities and unit costs, entered by hand: below 10^12, at most 6 decimal places.
MAX_DECIMAL_ABS = Decimal("1e12")
MAX_DECIMAL_PLACES = 6

# A key summed from many ERP lines keeps at most this many of their references: the rest stay in
# the ERP, and the line's stored row stays small whatever the ERP sends.
MAX_REFS_PER_LINE = 100


def ascii_digits(text: str) -> bool:
    """0-9 only, as the numbers Procore and this API give out (a version, a Procore id):
    str.isdigit() also takes other scripts' digits ("²", "٣"), which int() or an HTTP header
    then refuses, a 500 instead of the 4xx a bad number gets."""
    return text.isascii() and text.isdigit()


# How much of a piece of ERP text a message quotes.
QUOTE_LENGTH = 60


def quote(text: str) -> str:
    """`text` as a message may show it: at most QUOTE_LENGTH characters."""
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


# Characters a person cannot see, or that change how the text around them shows: controls (Cc:
# NUL, ESC, ...), format characters (Cf: right-to-left override, zero-width space, ...), line and
# paragraph separators, private-use, surrogate and unassigned code points. A name or code a person
# types holding one shows as one thing and is another.
UNSEEN = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Zl": "a line break",
    "Zp": "a paragraph break",
    "Co": "a private-use character",
    "Cs": "a lone surrogate",
    "Cn": "an unassigned character",
}


# The joiners that writing needs in a name: Persian and other scripts take ZWNJ between letters,
# emoji sequences ZWJ. A code never needs them.
JOINERS = frozenset({"\u200c", "\u200d"})


def unseen_in(
    text: str, categories: dict[str, str] = UNSEEN, allowed: frozenset[str] = frozenset()
) -> str | None:
    """The first character of `text` a person could not see (but the `allowed` ones), named for a
    sentence ("a control character (U+0000)"); None when there is none. The character itself is
    never echoed: it would hide or reorder the sentence."""
    for char in text:
        if char in allowed:
            continue
        kind = categories.get(unicodedata.category(char))
        if kind is not None:
            return f"{kind} (U+{ord(char):04X})"
    return None


def code_problem(code: str) -> str | None:
    """Why a cost code or cost type a person enters cannot be one, or None: "03-300" and
    " 03-300 " would be two codes that look alike in every list, and one holding a character no
    one can see shows as one code and is another."""
    unseen = unseen_in(code)
    if unseen is not None:
        return f"A code cannot contain {unseen}; type it again without it."
    if code != code.strip():
        return f"The code '{quote(code.strip())}' cannot begin or end with a space."
    return None
