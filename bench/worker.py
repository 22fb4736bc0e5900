"""Measurement 1 and 4: the real worker entry point applying re-imports of N lines on moto.

`handle(event, context)` gets a genuine SQS event for a job the re-import service queued; it
reads the ERP budget from the in-process sandbox through the Acumatica connector and applies it
with the DynamoDB adapters. Every amount differs, so every line updates. Run one N per process
(`python -m bench.worker --lines 10000 --out result.json`) so that peak RSS belongs to that N.
"""

from __future__ import annotations

import argparse
import gc
import http.cookiejar
import json
import resource
import statistics
import time
import tracemalloc
import urllib.parse
import urllib.request
from typing import Any

from bench.world import (
    COMPANY_ID,
    PROJECT_ID,
    World,
    generate_erp_budget,
    open_world,
    worker_context,
)
from devstack import demo_data
from devstack.sandbox_erp import ENDPOINT


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def run_once(
    world: World,
    *,
    trace_memory: bool = False,
    profiler: Any = None,
    project_id: str = PROJECT_ID,
    kind: str = "reimport",
) -> dict[str, Any]:
    """Queue a re-import (or a preview) of the seeded budget and time the worker running it."""
    from chalicelib.entrypoints.worker import handle

    job, event = world.queue_reimport(project_id, kind)
    context = worker_context()
    gc.collect()
    world.counter.reset()
    if trace_memory:
        tracemalloc.start()
    if profiler is not None:
        profiler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    answer = handle(event, context)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    if profiler is not None:
        profiler.stop()
    peak = None
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    calls = world.counter.snapshot()
    writes = world.counter.writes
    done = world.ports.jobs.get(COMPANY_ID, job.job_id)
    if answer.get("batchItemFailures") or done.status.value != "succeeded":
        raise RuntimeError(f"the job did not succeed: {done.status.value}: {done.message}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # the whole process: the worker, moto and the sandbox ERP
        "calls": calls,
        "writes": writes,
        "tracemalloc_peak_mb": peak,
        "summary": done.summary.model_dump() if done.summary else None,
    }


def change_one_line(url: str, project_id: str = PROJECT_ID) -> None:
    """Change one line's amount "in the ERP", through the sandbox's Acumatica API (a PUT)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def call(method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the sandbox's own http address
            url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with opener.open(request, timeout=60) as answer:
            raw = answer.read()
        return json.loads(raw) if raw.strip() else None

    sign_in = {"name": demo_data.SANDBOX_USERNAME, "password": demo_data.SANDBOX_PASSWORD}
    call("POST", "/entity/auth/login", {**sign_in, "company": "Demo"})
    query = urllib.parse.quote(f"ProjectID eq '{project_id}'")
    (first,) = call("GET", f"{ENDPOINT}?$filter={query}&$top=1")
    amount = first["OriginalBudgetedAmount"]["value"]
    call("PUT", ENDPOINT, {"id": first["id"], "OriginalBudgetedAmount": {"value": amount + 1}})
    call("POST", "/entity/auth/logout")


WARM_UP_PROJECT = "P-9000"
WARM_UP_LINES = 50


def warm_up(world: World) -> float:
    """One small re-import first, so the figures are a warm Lambda's: the first run in a process
    also pays for imports, botocore's service models and the idempotency layer's set-up.
    Answers its seconds (a cold start's share of the worker's work)."""
    world.seed_budget(WARM_UP_LINES, project_id=WARM_UP_PROJECT)
    return float(run_once(world, project_id=WARM_UP_PROJECT)["seconds"])


def measure(
    n_lines: int, *, memory: bool = True, one_line: bool = False, repeats: int = 1
) -> dict[str, Any]:
    """Seed N lines, apply full re-imports (timed, calls counted; each repeat changes every
    amount again), then optionally one traced under tracemalloc and a one-line change."""
    rss_before = _rss_mb()
    with open_world() as world:
        cold_seconds = warm_up(world)
        rss_before = _rss_mb()
        world.seed_budget(n_lines, erp_seed=2)
        runs = [run_once(world)]
        for seed in range(3, 2 + repeats):
            generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=seed)
            runs.append(run_once(world))
        result: dict[str, Any] = {"lines": n_lines, **runs[0]}
        result["cold_start_50_lines_seconds"] = cold_seconds
        result["runs_seconds"] = [run["seconds"] for run in runs]
        result["seconds"] = statistics.median(result["runs_seconds"])
        result["rss_before_mb"] = rss_before
        result["rss_peak_mb"] = _rss_mb()
        if memory:
            generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, seed=2 + repeats)
            traced = run_once(world, trace_memory=True)
            result["tracemalloc_peak_mb"] = traced["tracemalloc_peak_mb"]
        if one_line:
            singles = []
            for _ in range(repeats):
                change_one_line(world.sandbox.url)
                singles.append(run_once(world))
            single = singles[len(singles) // 2]
            result["one_line"] = {
                "seconds": statistics.median(s["seconds"] for s in singles),
                "runs_seconds": [s["seconds"] for s in singles],
                "writes": single["writes"],
                "calls": single["calls"],
                "summary": single["summary"],
            }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--one-line", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    result = measure(
        args.lines, memory=not args.no_memory, one_line=args.one_line, repeats=args.repeats
    )
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
