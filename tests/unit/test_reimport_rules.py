"""The import and re-import rules of docs/domain-rules.md, one behaviour per test, on the pure planner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain import limits
from chalicelib.domain.model import (
    ChangeKind,
    CostCatalog,
    ErpLine,
    JobKind,
    LineKind,
    Summary,
    WbsKey,
)
from chalicelib.domain.reimport import (
    InvalidErpBudget,
    budget_total,
    plan_reimport,
    success_message,
)
from tests.fixtures.domain import CATALOG, erp, item, key

D = Decimal
A = key("T1", "01-100", "L")
B = key("T1", "02-200", "M")
C = key("T2", "03-300", "S")


def amounts(plan) -> dict[WbsKey, Decimal]:  # type: ignore[no-untyped-def]
    return {line.key: line.original_budget_amount for line in plan.lines}


# --- ERP lines: revenue ignored, per-key sums -------------------------------------------------


def test_revenue_lines_are_ignored_entirely() -> None:
    plan = plan_reimport(
        [],
        [erp(1, D("100.00"), A), erp(2, D("5000.00"), A, kind=LineKind.REVENUE)],
        CATALOG,
    )
    assert amounts(plan) == {A: D("100.00")}
    assert plan.total == D("100.00")


def test_malformed_revenue_lines_do_not_fail_the_job() -> None:
    unknown = key("T9", "99-999", "R")
    plan = plan_reimport(
        [item(A, "10.00")],
        [
            erp(1, D("10.00"), A),
            erp(2, "not a number", unknown, kind=LineKind.REVENUE),
            erp(3, D("NaN"), A, kind=LineKind.REVENUE),
            erp(4, 1.5, A, kind=LineKind.REVENUE),
        ],
        CATALOG,
    )
    assert amounts(plan) == {A: D("10.00")}
    assert not plan.changes


def test_lines_with_the_same_wbs_key_are_summed_before_any_rule() -> None:
    plan = plan_reimport(
        [item(A, "10.00")],
        [
            erp(1, D("100.10"), A),
            erp(2, D("0.90"), B),
            erp(3, D("-20.05"), A),
            erp(4, D("0.05"), A),
        ],
        CATALOG,
    )
    assert amounts(plan) == {A: D("80.10"), B: D("0.90")}
    assert plan.total == D("81.00")


def test_a_summed_line_keeps_every_erp_reference() -> None:
    plan = plan_reimport(
        [], [erp(1, D("1.00"), A, ref="x"), erp(2, D("2.00"), A, ref="y")], CATALOG
    )
    assert plan.lines[0].erp_refs == ("x", "y")


def test_sub_jobs_are_taken_as_the_erp_sends_them() -> None:
    odd = key("Any task the ERP has", "01-100", "L")
    plan = plan_reimport([], [erp(1, D("3.00"), odd)], CATALOG)
    assert amounts(plan) == {odd: D("3.00")}


# --- Import -------------------------------------------------------------------------------------


def test_import_creates_a_line_for_each_key_whose_sum_is_not_zero() -> None:
    plan = plan_reimport(
        [],
        [
            erp(1, D("100.00"), A, description="Concrete labor"),
            erp(2, D("50.00"), B, description="Rebar"),
            erp(3, D("25.00"), C),
            erp(4, D("-25.00"), C),
            erp(5, D("0.00"), key("T3", "01-100", "M")),
        ],
        CATALOG,
    )
    assert amounts(plan) == {A: D("100.00"), B: D("50.00")}
    assert [line.description for line in plan.lines] == ["Concrete labor", "Rebar"]
    assert plan.summary == Summary(lines_added=2)
    assert plan.total == D("150.00")


def test_import_message_says_imported_and_reimport_says_reimported() -> None:
    assert success_message(JobKind.IMPORT) == "Successfully Imported to Budget Bridge"
    assert success_message(JobKind.REIMPORT) == "Successfully Re-imported to Budget Bridge"
    assert success_message(JobKind.REIMPORT, "Procore") == "Successfully Re-imported to Procore"


# --- Re-import rule 1: only the amount moves ---------------------------------------------------


def test_reimport_moves_only_the_amount_and_keeps_units_and_description() -> None:
    current = item(
        A, "100.00", description="Set by the PM", uom="HR", quantity="40", unit_cost="2.50"
    )
    plan = plan_reimport([current], [erp(1, D("175.25"), A, description="ERP wording")], CATALOG)
    (line,) = plan.lines
    assert line.original_budget_amount == D("175.25")
    assert (line.description, line.uom, line.quantity, line.unit_cost) == (
        "Set by the PM",
        "HR",
        D("40"),
        D("2.50"),
    )


def test_reimport_does_not_modify_the_current_lines_it_was_given() -> None:
    current = [item(A, "100.00")]
    plan_reimport(current, [erp(1, D("1.00"), A)], CATALOG)
    assert current[0].original_budget_amount == D("100.00")


# --- Re-import rule 2: matching, adding, zeroing -------------------------------------------------


def test_an_erp_key_the_project_lacks_is_added_with_the_erp_description() -> None:
    plan = plan_reimport(
        [item(A, "10.00")],
        [erp(1, D("10.00"), A), erp(2, D("99.99"), B, description="Drywall")],
        CATALOG,
    )
    added = next(line for line in plan.lines if line.key == B)
    assert added.original_budget_amount == D("99.99")
    assert added.description == "Drywall"
    assert (added.uom, added.quantity, added.unit_cost) == (None, None, None)
    assert plan.summary == Summary(lines_added=1, lines_unchanged=1)
    assert [(c.key, c.kind, c.old_amount, c.new_amount) for c in plan.changes] == [
        (B, ChangeKind.ADDED, None, D("99.99"))
    ]


def test_an_erp_key_whose_sum_is_zero_is_not_added() -> None:
    plan = plan_reimport(
        [item(A, "10.00")],
        [erp(1, D("10.00"), A), erp(2, D("40.00"), B), erp(3, D("-40.00"), B), erp(4, D("0"), C)],
        CATALOG,
    )
    assert set(amounts(plan)) == {A}
    assert not plan.changes


def test_a_line_the_erp_no_longer_has_is_zeroed_and_reported_never_deleted() -> None:
    current = [item(A, "10.00"), item(B, "250.00", uom="EA", quantity="5")]
    plan = plan_reimport(current, [erp(1, D("10.00"), A)], CATALOG)
    assert amounts(plan) == {A: D("10.00"), B: D("0.00")}
    zeroed = next(line for line in plan.lines if line.key == B)
    assert (zeroed.uom, zeroed.quantity) == ("EA", D("5"))
    assert plan.summary == Summary(lines_zeroed=1, lines_unchanged=1)
    assert [(c.key, c.kind, c.old_amount, c.new_amount) for c in plan.changes] == [
        (B, ChangeKind.ZEROED, D("250.00"), D("0.00"))
    ]


def test_an_erp_budget_with_no_cost_lines_zeroes_every_line() -> None:
    current = [item(A, "10.00"), item(B, "20.00")]
    plan = plan_reimport(current, [erp(1, D("5.00"), A, kind=LineKind.REVENUE)], CATALOG)
    assert amounts(plan) == {A: D("0"), B: D("0")}
    assert plan.summary == Summary(lines_zeroed=2)
    assert plan.total == 0


def test_a_line_the_erp_sums_to_zero_is_zeroed_not_deleted() -> None:
    plan = plan_reimport(
        [item(A, "10.00")], [erp(1, D("10.00"), A), erp(2, D("-10.00"), A)], CATALOG
    )
    assert amounts(plan) == {A: D("0.00")}
    assert plan.summary == Summary(lines_zeroed=1)


def test_a_line_already_at_zero_that_stays_at_zero_is_unchanged() -> None:
    plan = plan_reimport([item(A, "0.00"), item(B, "0")], [erp(1, D("0.00"), A)], CATALOG)
    assert amounts(plan) == {A: D("0"), B: D("0")}
    assert plan.summary == Summary(lines_unchanged=2)
    assert not plan.changes


def test_a_zero_line_the_erp_now_funds_counts_as_updated() -> None:
    plan = plan_reimport([item(A, "0.00")], [erp(1, D("12.00"), A)], CATALOG)
    assert plan.summary == Summary(lines_updated=1)
    assert plan.changes[0].kind is ChangeKind.UPDATED


# --- Rule 7: the summary -------------------------------------------------------------------------


def test_the_summary_counts_each_kind_of_change_and_the_rest_as_unchanged() -> None:
    d = key("T3", "01-100", "M")
    e = key("T3", "02-200", "S")
    current = [item(A, "10.00"), item(B, "20.00"), item(C, "30.00"), item(d, "0.00")]
    plan = plan_reimport(
        current,
        [erp(1, D("10.00"), A), erp(2, D("21.00"), B), erp(3, D("7.00"), e)],
        CATALOG,
    )
    assert plan.summary == Summary(
        lines_updated=1, lines_added=1, lines_zeroed=1, lines_unchanged=2
    )
    assert plan.summary.changed == 3
    assert {c.key: c.kind for c in plan.changes} == {
        B: ChangeKind.UPDATED,
        C: ChangeKind.ZEROED,
        e: ChangeKind.ADDED,
    }
    assert plan.total == budget_total(plan.lines) == D("38.00")


def test_a_reimport_that_changes_nothing_succeeds_and_says_so() -> None:
    plan = plan_reimport([item(A, "10.00")], [erp(1, D("10.00"), A)], CATALOG)
    assert not plan.changes
    assert plan.summary == Summary(lines_unchanged=1)


def test_the_plan_lists_lines_and_changes_in_wbs_key_order() -> None:
    plan = plan_reimport(
        [item(C, "1.00"), item(A, "1.00")],
        [erp(1, D("2.00"), C), erp(2, D("3.00"), B), erp(3, D("4.00"), A)],
        CATALOG,
    )
    assert [line.key for line in plan.lines] == [A, B, C]
    assert [change.key for change in plan.changes] == [A, B, C]


# --- Rule 3: all or nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        (D("NaN"), "not a finite number"),
        ("NaN", "not a finite number"),
        (D("Infinity"), "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("twelve dollars", "is not a number"),
        (None, "missing or not a number"),
        (1250.5, "floating-point"),
        ("1.005", "more than 2 decimal places"),
        (D("1.005"), "more than 2 decimal places"),
        (D("1000000000000.00"), "beyond"),
        ("-1000000000000.00", "beyond"),
    ],
)
def test_an_invalid_amount_fails_the_budget_naming_the_line_and_field(
    amount: object, why: str
) -> None:
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([item(A, "10.00")], [erp(1, D("1.00"), B), erp(2, amount, A)], CATALOG)
    (error,) = failure.value.errors
    assert (error.line, error.field) == (2, "amount")
    assert why in error.message
    assert "T1 / 01-100 / L" in error.message


_TEXT_LIMITS = {
    "sub_job": limits.MAX_SUB_JOB,
    "cost_code": limits.MAX_COST_CODE,
    "cost_type": limits.MAX_COST_TYPE,
    "description": limits.MAX_DESCRIPTION,
    "ref": limits.MAX_ERP_REF,
}


def _line_with(field: str, number: int, text: str) -> ErpLine:
    parts = {"sub_job": A.sub_job, "cost_code": A.cost_code, "cost_type": A.cost_type}
    if field in parts:
        parts[field] = text
    return erp(
        number,
        D("1.00"),
        WbsKey(**parts),
        description=text if field == "description" else "",
        ref=text if field == "ref" else None,
    )


@pytest.mark.parametrize("field", sorted(_TEXT_LIMITS))
def test_a_text_at_its_limit_passes_and_one_character_more_is_named(field: str) -> None:
    limit = _TEXT_LIMITS[field]
    at_limit, beyond = "x" * limit, "y" * (limit + 1)
    # Both texts are known codes and types, so only their length can fail the line.
    catalog = CostCatalog(
        CATALOG.cost_codes | {at_limit, beyond}, CATALOG.cost_types | {at_limit, beyond}
    )
    fits = _line_with(field, 1, at_limit)
    assert plan_reimport([], [fits], catalog).total == D("1.00")
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], [fits, _line_with(field, 2, beyond)], catalog)
    (error,) = failure.value.errors
    assert (error.line, error.field) == (2, field)
    assert f"{limit + 1:,} characters long" in error.message


def test_an_unknown_cost_code_fails_the_budget() -> None:
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport(
            [], [erp(1, D("1.00"), A), erp(2, D("1.00"), key("T1", "77-777", "L"))], CATALOG
        )
    (error,) = failure.value.errors
    assert (error.line, error.field) == (2, "cost_code")
    assert "77-777" in error.message


def test_an_unknown_cost_type_fails_the_budget() -> None:
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], [erp(1, D("1.00"), key("T1", "01-100", "Q"))], CATALOG)
    (error,) = failure.value.errors
    assert (error.line, error.field) == (1, "cost_type")
    assert "'Q'" in error.message


def test_every_offending_line_and_field_is_listed_not_just_the_first() -> None:
    lines = [
        erp(1, D("10.00"), A),
        erp(2, D("NaN"), A),
        erp(3, "abc", B),
        erp(4, None, B),
        erp(5, 3.14, C),
        erp(6, "1.005", C),
        erp(7, D("1E+13"), A),
        erp(8, D("1.00"), key("T1", "00-000", "L")),
        erp(9, D("1.00"), key("T1", "01-100", "ZZ")),
        erp(10, "bad", key("T1", "00-000", "ZZ")),
        erp(11, D("5.00"), B),
    ]
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([item(A, "10.00")], lines, CATALOG)
    found = [(e.line, e.field) for e in failure.value.errors]
    assert found == [
        (2, "amount"),
        (3, "amount"),
        (4, "amount"),
        (5, "amount"),
        (6, "amount"),
        (7, "amount"),
        (8, "cost_code"),
        (9, "cost_type"),
        (10, "amount"),
        (10, "cost_code"),
        (10, "cost_type"),
    ]
    assert "9 lines failed validation" in failure.value.message
    assert "unchanged" in failure.value.message


def test_one_invalid_line_names_one_line_in_the_sentence() -> None:
    with pytest.raises(InvalidErpBudget, match="1 line failed validation") as failure:
        plan_reimport([], [erp(4, "x", A)], CATALOG)
    # a sentence for a person (docs/domain-rules.md, rule 9): one line is "it", not "them"
    assert "Fix it in the ERP" in failure.value.message


def test_a_per_key_sum_beyond_the_largest_amount_fails_the_budget() -> None:
    """Rule 3 speaks of per-key sums: two valid lines may not add up to an impossible amount."""
    big = D("999999999999.99")
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], [erp(1, big, A), erp(2, D("0.01"), A), erp(3, D("1.00"), B)], CATALOG)
    assert {(e.line, e.field) for e in failure.value.errors} == {(1, "amount"), (2, "amount")}


def test_a_sum_beyond_the_limit_is_named_with_the_invalid_lines_in_one_attempt() -> None:
    """Rule 3: one failed job lists every offending line, so a person fixes the ERP once; the
    sums of keys used to be checked only once every line was valid, a second failed attempt."""
    big = D("999999999999.00")
    lines = [erp(1, big, A), erp(2, big, A), erp(3, D("5.00"), key("T1", "99-999", "L"))]
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], lines, CATALOG)
    errors = failure.value.errors
    assert [(e.line, e.field) for e in errors] == [(1, "amount"), (2, "amount"), (3, "cost_code")]
    assert "add up to 1999999999998.00, beyond ±999,999,999,999.99" in errors[0].message
    assert "99-999" in errors[2].message
    assert "3 lines failed validation" in failure.value.message


def test_the_lines_of_a_sum_and_the_invalid_lines_are_listed_in_line_order() -> None:
    big = D("999999999999.00")
    too_long = "d" * (limits.MAX_DESCRIPTION + 1)
    lines = [
        erp(1, D("1.00"), key("T1", "01-100", "Q")),
        erp(2, big, B),
        erp(3, big, B, description=too_long),  # a text too long: its amount still counts
        erp(4, D("1.00"), A),
        erp(5, "1.005", B),  # a refused amount counts as 0, and its line is named once
    ]
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], lines, CATALOG)
    assert [(e.line, e.field) for e in failure.value.errors] == [
        (1, "cost_type"),
        (2, "amount"),
        (3, "description"),
        (3, "amount"),
        (5, "amount"),
    ]
    assert "add up to 1999999999998.00" in failure.value.errors[3].message
    assert "more than 2 decimal places" in failure.value.errors[4].message


def test_a_key_whose_lines_are_all_refused_for_their_amount_has_no_sum_named() -> None:
    lines = [erp(1, D("1E+13"), A), erp(2, "-1E+13", A), erp(3, D("2.00"), key("T1", "x", "L"))]
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], lines, CATALOG)
    found = [(e.line, e.field) for e in failure.value.errors]
    assert found == [(1, "amount"), (2, "amount"), (3, "cost_code")]
    assert not any("add up to" in e.message for e in failure.value.errors)


def test_a_sum_beyond_the_limit_of_a_key_with_an_unknown_code_is_named_too() -> None:
    """A key's lines share its cost code: mapping it to a known one keeps them summed together."""
    unknown = key("T1", "99-999", "L")
    big = D("-999999999999.00")
    with pytest.raises(InvalidErpBudget) as failure:
        plan_reimport([], [erp(1, big, unknown), erp(2, big, unknown)], CATALOG)
    assert [(e.line, e.field) for e in failure.value.errors] == [
        (1, "cost_code"),
        (1, "amount"),
        (2, "cost_code"),
        (2, "amount"),
    ]
    assert "2 lines failed validation" in failure.value.message


def test_invalid_data_plans_nothing_and_leaves_the_current_lines_alone() -> None:
    current = [item(A, "10.00", uom="HR")]
    with pytest.raises(InvalidErpBudget):
        plan_reimport(current, [erp(1, D("99.00"), A), erp(2, "oops", B)], CATALOG)
    assert current == [item(A, "10.00", uom="HR")]


# --- line item ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wbs",
    [A, key("", "01-100", "L"), key("Tâche 1/é", "01 100", "L"), key('"quoted"', "a,b", "[x]")],
)
def test_a_line_item_id_is_url_safe_and_leads_back_to_its_key(wbs: WbsKey) -> None:
    line_item_id = wbs.line_item_id
    assert all(c.isalnum() or c in "-_" for c in line_item_id)
    assert WbsKey.from_line_item_id(line_item_id) == wbs
    assert item(wbs, "1.00").line_item_id == line_item_id


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "!!!",
        "abc",
        "bm90IGpzb24",
        "WzEsMiwzXQ",
        "WyJhIiwiYiJd",
        "eyJhIjoxfQ",
        "WyJhIiwiYiIsImMiLCJkIl0",
    ],
)
def test_a_line_item_id_no_key_could_produce_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError):
        WbsKey.from_line_item_id(garbage)
