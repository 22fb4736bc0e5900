"""Measurement 4b: a one-line change next to a full re-import of the same budget, in one run.

The real worker entry point on moto (as `bench.worker`): N lines seeded, full re-imports (every
amount changes) timed and their DynamoDB write calls counted, then re-imports after one line was
changed in the ERP, on the same budget in the same process. The write calls of a one-line change
are the job's start, the switch transaction (which carries the rewritten chunk and the change
record) and the worker's idempotency record; progress writes fall due only every few seconds.

`python -m bench.one_line --lines 10000 --repeats 3 --out r.json`
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from bench.worker import (
    PROJECT_ID,
    change_one_line,
    generate_erp_budget,
    open_world,
    run_once,
    warm_up,
)


def measure(n_lines: int, repeats: int = 3) -> dict[str, Any]:
    with open_world() as world:
        warm_up(world)
        world.seed_budget(n_lines, erp_seed=2)
        full = [run_once(world)]
        for seed in range(3, 2 + repeats):
            generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=seed)
            full.append(run_once(world))
        single = []
        for _ in range(repeats):
            change_one_line(world.sandbox.url)
            single.append(run_once(world))
    return {"lines": n_lines, "full": _summary(full), "one_line": _summary(single)}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {
        "seconds": statistics.median(run["seconds"] for run in runs),
        "runs_seconds": [run["seconds"] for run in runs],
        # CPU time of the whole process (worker, moto, sandbox ERP): steadier than wall time when
        # other work shares the cores, so before/after comparisons under load use it.
        "cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
        "writes": middle["writes"],
        "writes_per_run": [run["writes"] for run in runs],
        "calls": middle["calls"],
        "summary": middle["summary"],
    }


def describe(result: dict[str, Any]) -> str:
    full, one = result["full"], result["one_line"]
    return (
        f"{result['lines']:,} lines: one-line change {one['seconds']:.2f} s "
        f"({one['cpu_seconds']:.2f} s CPU), {one['writes']} write calls ({one['calls']}); "
        f"full re-import {full['seconds']:.2f} s ({full['cpu_seconds']:.2f} s CPU), "
        f"{full['writes']} write calls; ratio {one['seconds'] / full['seconds']:.0%} "
        f"({one['cpu_seconds'] / full['cpu_seconds']:.0%} CPU)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)
    result = measure(args.lines, args.repeats)
    print(describe(result))
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
