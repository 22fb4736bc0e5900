"""Where the worker's time goes: wall time per phase of an N-line re-import, without a profiler.

The phases are timed by wrapping the adapters' and the service's own functions for the length of
the run (nothing in the app changes): the ERP fetch (and inside it the HTTP calls, which include
the in-process sandbox ERP rendering its pages), the progress writes, reading the current budget,
planning, and the commit (packing and writing the new chunk set and the change records, then the
switch). `python -m bench.phases --lines 50000 --out r.json`
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from bench.worker import run_once, warm_up
from bench.world import PROJECT_ID, generate_erp_budget, open_world

PHASES = (
    ("chalicelib.adapters.erp.acumatica", "AcumaticaSource", "fetch_budget", "ERP fetch"),
    ("chalicelib.adapters.erp.common.http", "ErpHttp", "send",
     "ERP fetch: HTTP and JSON parse (sandbox rendering included)"),
    ("flask.app", "Flask", "full_dispatch_request",
     "  of which the sandbox ERP serving requests (its thread)"),
    ("chalicelib.adapters.dynamodb.jobs", "DynamoJobStore", "report_progress", "progress writes"),
    ("chalicelib.adapters.dynamodb.budgets", "DynamoBudgetStore", "read_lines",
     "read current lines"),
    ("chalicelib.services.reimports", None, "plan_reimport", "plan (domain rules)"),
    ("chalicelib.adapters.dynamodb.budgets", "DynamoBudgetStore", "commit", "commit"),
    ("chalicelib.adapters.dynamodb.budgets", "DynamoBudgetStore", "write_chunks",
     "commit: pack + write lines"),
    ("chalicelib.adapters.dynamodb.budgets", "DynamoBudgetStore", "write_changes",
     "commit: pack + write changes"),
    ("chalicelib.adapters.dynamodb.budgets", "DynamoBudgetStore", "_switch",
     "commit: switch transaction"),
)  # fmt: skip


@contextlib.contextmanager
def timed_phases() -> Iterator[dict[str, float]]:
    import importlib

    spent: dict[str, float] = defaultdict(float)
    restore = []
    for module_name, class_name, name, label in PHASES:
        module = importlib.import_module(module_name)
        owner = getattr(module, class_name) if class_name else module
        original = getattr(owner, name)

        def wrapper(*args: Any, __f: Any = original, __label: str = label, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                spent[__label] += time.perf_counter() - started

        setattr(owner, name, functools.wraps(original)(wrapper))
        restore.append((owner, name, original))
    try:
        yield spent
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)


def measure(n_lines: int) -> dict[str, Any]:
    with open_world() as world:
        warm_up(world)
        world.seed_budget(n_lines)
        with timed_phases() as spent:
            generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=3)
            spent.clear()
            result = run_once(world)
        return {"lines": n_lines, "seconds": result["seconds"], "phases": dict(spent)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(measure(args.lines), out)


if __name__ == "__main__":
    main()
