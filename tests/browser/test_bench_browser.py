"""The browser benchmark (bench/browser_budgets.py) at a small size, so its harness cannot rot: it
seeds, finds every control it drives and reports its four targets. Durations are not checked."""

from __future__ import annotations

from bench import run


def test_browser_bench_drives_the_budgets_list_and_a_windowed_budget_tab() -> None:
    result = run._run_module(
        "bench.browser_budgets", "--budgets", "6", "--lines", "300", "--runs", "1"
    )

    tab = result["budget_tab"]
    assert 0 < tab["rows_in_document"] < 300  # windowed: not every line is in the document
    assert set(tab["answers_ms"]) >= {"Sub Job filter", "text search", "sort by Unit Cost"}
    assert len(tab["answers_ms"]) == 13
    _, targets = run.report({"machine": run.machine(), "browser": result, "errors": {}})
    assert [name.split(":")[0] for name, _, _ in targets] == [
        "Budgets list of 6 budgets",
        "Budgets list of 6 budgets",
        "Budget tab of 300 lines",
        "Budget tab of 300 lines",
    ]
