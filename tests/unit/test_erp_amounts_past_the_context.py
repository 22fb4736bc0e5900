"""An ERP amount whose exponent is past what Python's decimal context holds is a listed line
error with the reason any amount beyond the limit gets, not a crashed job (docs/domain-rules.md,
"Money" and rule 3: every offending line is named). Such amounts made parse_amount raise
decimal.Overflow (domain/money.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.adapters.erp.common.accounts import period_sum
from chalicelib.domain.model import CostCatalog, ErpLine, LineKind, WbsKey
from chalicelib.domain.reimport import InvalidErpBudget, erp_total, plan_reimport

CATALOG = CostCatalog(frozenset({"01-100", "01-200"}), frozenset({"M"}))


def cost_line(n: int, amount: object) -> ErpLine:
    key = WbsKey("01", f"01-{n}00", "M")
    return ErpLine(line=n, ref=f"ref-{n}", key=key, kind=LineKind.COST, amount=amount)


@pytest.mark.parametrize(
    "amount",
    # As text, and as a connector's JSON number arrives (json.loads with parse_float=Decimal).
    ["1e1000000", "-1e999999999", Decimal("1E+1000000"), Decimal("-1E+999999999")],
    ids=str,
)
def test_an_erp_amount_with_a_huge_exponent_is_a_line_error_beyond_the_limit(
    amount: object,
) -> None:
    lines = [cost_line(1, amount), cost_line(2, "1e1000000")]

    with pytest.raises(InvalidErpBudget) as refused:
        plan_reimport([], lines, CATALOG)

    assert [(e.line, e.field) for e in refused.value.errors] == [(1, "amount"), (2, "amount")]
    for error in refused.value.errors:
        assert "is beyond ±999,999,999,999.99" in error.message
    assert erp_total(lines) is None, "no total can be stated"


def test_an_erp_amount_of_thousands_of_digits_is_named_not_echoed() -> None:
    with pytest.raises(InvalidErpBudget) as refused:
        plan_reimport([], [cost_line(1, "9" * 5000)], CATALOG)

    (error,) = refused.value.errors
    assert "beyond" in error.message and len(error.message) < 200


@pytest.mark.parametrize("huge", [Decimal("1E+1000000"), "-1e999999999"], ids=str)
def test_a_period_amount_past_the_context_is_carried_to_the_rules_not_raised(huge: object) -> None:
    # QuickBooks Online, Xero and NetSuite sum a line's periods (adapters/erp/common/accounts.py):
    # a period past Decimal's range is the line's amount as sent, which the rules then list.
    assert period_sum([Decimal("5.00"), huge]) == huge
