"""Preview and history figures: the worker previewing N lines next to re-importing them, and the
history page of a budget with 100 versions.

    python -m bench.history --lines 10000 --out result.json

The preview fetches, validates and plans exactly as the re-import does but writes no budget
line, so it should never be slower. The history page is what the History tab asks for.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal
from typing import Any

from bench.worker import run_once, warm_up
from bench.world import COMPANY_ID, PROJECT_ID, World, generate_erp_budget, open_world

HISTORY_PROJECT = "P-9100"
HISTORY_LINES = 1_000
VERSIONS = 100


def _forget_chunks() -> None:
    from chalicelib import wiring
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore

    store = wiring.ports().budgets
    if isinstance(store, DynamoBudgetStore):
        store.forget_chunks()
    else:
        raise RuntimeError("the bench expects the DynamoDB budget store")


def preview_vs_reimport(world: World, n_lines: int, repeats: int) -> dict[str, Any]:
    """Alternate preview and re-import, each on fresh ERP amounts, so both see every line change
    and neither reads pages the other mapped (a warm worker maps an unchanged page once,
    adapters/erp/common/remembered.py: a re-import right after a preview of the same ERP budget
    is faster than either alone). Each starts with no remembered chunks: a preview changes no
    line, so the re-import after it would read the budget's lines from memory, while a preview
    after a re-import reads the new version's chunks from DynamoDB; both read them as a worker
    that has read nothing yet, so the two differ only in what they write."""
    world.seed_budget(n_lines, erp_seed=2)
    previews, reimports = [], []
    for seed in range(3, 3 + 2 * repeats, 2):
        generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=seed)
        _forget_chunks()
        previews.append(run_once(world, kind="preview"))
        generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=seed + 1)
        _forget_chunks()
        reimports.append(run_once(world))
    middle = len(previews) // 2
    return {
        "lines": n_lines,
        "preview_seconds": statistics.median(p["seconds"] for p in previews),
        "reimport_seconds": statistics.median(r["seconds"] for r in reimports),
        "preview_writes": previews[middle]["writes"],
        "reimport_writes": reimports[middle]["writes"],
        "preview_calls": previews[middle]["calls"],
    }


def history_page(world: World, repeats: int) -> dict[str, Any]:
    """A budget edited 100 times; time the first history page (25, as the web app asks) and one
    of all 100 versions, through the DynamoDB store."""
    from chalicelib.domain.ports import LineEdit

    budgets = world.ports.budgets
    world.seed_budget(HISTORY_LINES, project_id=HISTORY_PROJECT)
    budget = budgets.get(COMPANY_ID, world.budgets[HISTORY_PROJECT].budget_id)
    line = budgets.read_page(budget, 0, 1)[0]
    for n in range(VERSIONS - 1):  # with the first version, 100 in all
        budget = budgets.get(COMPANY_ID, budget.budget_id)
        edit = LineEdit(original_budget_amount=Decimal(n))
        budgets.edit_line(budget, line.line_item_id, edit, "bench@demo.test")
    budget = budgets.get(COMPANY_ID, budget.budget_id)
    timings: dict[str, list[float]] = {"page_25": [], "page_100": []}
    for _ in range(repeats):
        for name, limit in (("page_25", 25), ("page_100", 100)):
            started = time.perf_counter()
            page = budgets.history(budget, limit, None)
            timings[name].append(time.perf_counter() - started)
            if len(page.items) != limit:
                raise RuntimeError(f"expected {limit} versions, got {len(page.items)}")
    return {
        "versions": VERSIONS,
        "lines": HISTORY_LINES,
        **{f"{name}_seconds": statistics.median(values) for name, values in timings.items()},
    }


def measure(n_lines: int, repeats: int) -> dict[str, Any]:
    with open_world() as world:
        warm_up(world)
        result = preview_vs_reimport(world, n_lines, repeats)
        result["history"] = history_page(world, repeats=5)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(measure(args.lines, args.repeats), out)


if __name__ == "__main__":
    main()
