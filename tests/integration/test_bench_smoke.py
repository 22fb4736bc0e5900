"""The benchmark harness (bench/) still runs against the real code, at a tiny size.

Benchmarks report figures; these tests only check that every measurement runs, applies what it
claims to apply and that the report names every target. They never look at a duration.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import run

TINY = run.Plan(
    worker_sizes=(50,), naive_sizes=(50,), e2e_sizes=(50,), connector_lines=50, one_line_on=50
)


@pytest.fixture(scope="module")
def worker_results() -> list[dict[str, Any]]:
    return run.run_worker(TINY)


@pytest.fixture(scope="module")
def naive_results() -> list[dict[str, Any]]:
    return run.run_naive(TINY)


def test_worker_bench_applies_every_line_and_then_exactly_one_changed_line(
    worker_results: list[dict[str, Any]],
) -> None:
    (result,) = worker_results

    assert result["summary"]["lines_updated"] == 50
    assert result["one_line"]["summary"]["lines_updated"] == 1
    assert result["one_line"]["summary"]["lines_unchanged"] == 49
    assert result["writes"] <= run.write_limit(50)
    assert result["calls"]["TransactWriteItems"] >= 1


def test_naive_baseline_writes_one_item_per_line(naive_results: list[dict[str, Any]]) -> None:
    (result,) = naive_results

    assert result["writes"] == 50
    assert result["calls"] == {"PutItem": 50}


def test_connector_bench_reads_every_line_at_each_page_size() -> None:
    results = run.run_connector(TINY)

    assert [r["page_size"] for r in results] == [500, 1_000, 5_000]
    # One page of lines, then the empty page that ends an Acumatica read (a short one does not).
    assert all(r["lines"] == 50 and r["pages"] == 2 for r in results)


def test_report_lists_each_target_with_a_verdict(
    worker_results: list[dict[str, Any]], naive_results: list[dict[str, Any]]
) -> None:
    results = {
        "machine": run.machine(),
        "worker": worker_results,
        "naive": naive_results,
        "errors": {},
    }

    text, targets = run.report(results)

    assert "write calls at 50 lines" in text
    assert "Naive baseline" in text
    assert {verdict for _, _, verdict in targets} <= {"PASS", "MISS", "n/a"}
    assert any(name.startswith("one-line change") for name, _, _ in targets)


def test_fleet_schedule_bench_queues_every_due_budget_once_in_batches() -> None:
    on_moto = run._run_module("bench.fleet", "--part", "schedule", "--companies", "3",
                              "--budgets", "4")  # fmt: skip
    in_memory = run._run_module("bench.fleet", "--part", "schedule-memory", "--companies", "3",
                                "--budgets", "4")  # fmt: skip

    assert on_moto["queued"] == on_moto["distinct_budgets"] == on_moto["messages_on_queue"] == 12
    assert on_moto["queued_by_second_run"] == 0
    # The three companies' twelve jobs go out in one step: ten messages to a call.
    assert on_moto["calls"]["SendMessageBatch"] == 2
    assert "SendMessage" not in on_moto["calls"]
    assert in_memory["queued"] == in_memory["messages"] == 12
    assert in_memory["send_batch_calls"] == 1


def test_fleet_schedule_on_moto_server_queues_every_due_budget_once_with_threads() -> None:
    result = run._run_module("bench.fleet", "--part", "schedule-server", "--companies", "3",
                             "--budgets", "4", "--threads", "3")  # fmt: skip

    assert result["threads"] == 3
    assert result["queued"] == result["distinct_budgets"] == result["messages_on_queue"] == 12
    assert result["queued_by_second_run"] == 0
    # Twelve jobs of three companies: one transaction (up to fifty jobs, whatever their company),
    # their messages ten to a call, their audit entries in one write.
    assert result["calls"]["TransactWriteItems"] == 1
    assert result["calls"]["SendMessageBatch"] == 2
    assert result["calls"]["BatchWriteItem"] == 1


def test_cost_bench_counts_every_service_the_reimport_calls() -> None:
    (result,) = run._run_module("bench.cost", "--lines", "50")

    assert result["calls"]["sqs.SendMessage"] == 1
    assert result["calls"]["secretsmanager.GetSecretValue"] == 1
    assert result["dynamodb_write_units"] > 0 and result["dynamodb_read_units"] > 0
    assert result["dollars"]["total"] > 0


def test_procore_bench_reimports_into_the_procore_sandbox_and_reports_its_limits() -> None:
    result = run.run_procore(run.Plan((), (), (), 0, 0, procore_lines=50))

    assert result["summary"]["lines_updated"] == 50
    assert result["message"] == "Successfully Re-imported to Procore"
    assert result["procore"]["by_route"]["POST /procore/rest/v1.0/budget_line_items/sync"] == 1
    text, targets = run.report({"machine": run.machine(), "procore": result})
    assert "Procore calls within the spike limit (busiest 10 s window)" in [t[0] for t in targets]
    assert "into Procore" in text


def test_history_bench_previews_without_a_commit_and_pages_a_hundred_versions() -> None:
    plan = run.Plan(
        worker_sizes=(), naive_sizes=(), e2e_sizes=(), connector_lines=0, one_line_on=0,
        preview_lines=50,
    )  # fmt: skip

    result = run.run_history(plan)

    assert result["lines"] == 50
    assert "TransactWriteItems" not in result["preview_calls"]
    assert result["history"]["versions"] == 100
    text, targets = run.report({"machine": run.machine(), "history": result, "errors": {}})
    assert "Preview vs re-import" in text
    assert any(name.startswith("history page of a budget with 100") for name, _, _ in targets)


def test_one_line_bench_changes_one_line_and_writes_it_in_the_switch() -> None:
    result = run.run_one_line(TINY)

    one, full = result["one_line"], result["full"]
    assert full["summary"]["lines_updated"] == 50
    assert one["summary"]["lines_updated"] == 1
    assert one["summary"]["lines_unchanged"] == 49
    # Copy on write: the one changed chunk rides in the switch, no BatchWriteItem.
    assert "BatchWriteItem" not in one["calls"]
    assert one["calls"]["TransactWriteItems"] == 1
    report, _ = run.report({"machine": run.machine(), "one-line": result})
    assert "one-line change at 50: DynamoDB write calls <= 5" in report


def test_spreadsheet_bench_uploads_and_reimports_csv_and_xlsx_beside_acumatica() -> None:
    result = run._run_module("bench.spreadsheet", "--lines", "50", "--repeats", "1")

    assert [(r["format"], r["lines"]) for r in result["read"]] == [("csv", 50), ("xlsx", 50)]
    full = result["reimport"]
    assert full["lines"] == 50 and set(full["runs"]) == {"acumatica", "csv", "xlsx"}
    assert all(full[fmt]["bytes"] > 0 for fmt in ("csv", "xlsx"))
    text, targets = run.report({"machine": run.machine(), "spreadsheet": result, "errors": {}})
    assert "Full re-import of 50 lines" in text and "/ Acumatica" in text
    assert [name.split(" of ")[0] for name, _, _ in targets] == [
        "spreadsheet CSV",
        "spreadsheet XLSX",
    ]
