"""`make bench`: runs every measurement docs/performance.md reports, each in its own process, and prints one report.

    python -m bench.run                 # everything (a few minutes on 2 cores)
    python -m bench.run --quick         # small sizes only, to check the harness (~1 minute)
    python -m bench.run --only worker   # one of: worker, one-line, phases, memory, naive, e2e,
                                        #   connector, spreadsheet, fleet, history, procore, browser
                                        #   (repeatable)
    python -m bench.run --json out.json # also keep the raw figures

A process per measurement (and per worker size) keeps one size's memory and warm caches from
flattering the next, and makes the peak RSS figure belong to that size alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MEASUREMENTS = (
    "worker", "one-line", "phases", "memory", "naive", "e2e", "connector", "spreadsheet", "fleet",
    "history", "procore", "browser",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    worker_sizes: tuple[int, ...]
    naive_sizes: tuple[int, ...]
    e2e_sizes: tuple[int, ...]
    connector_lines: int
    one_line_on: int  # the worker size that also gets a one-line change
    memory_sizes: tuple[int, ...] = ()
    phase_sizes: tuple[int, ...] = ()
    # (companies, budgets each) for the schedule run on the in-memory adapters and on moto (whose
    # index queries grow with the table, so a smaller fleet); (budgets, lines each) queued at once.
    fleet_schedule: tuple[int, int] = (1_000, 10)
    fleet_schedule_moto: tuple[int, int] = (100, 10)
    # the schedule against moto in server mode (over HTTP, as against AWS), at the target's size:
    # ~3 minutes with the seeding (docs/performance.md, "Fleet")
    fleet_server: tuple[int, int] = (1_000, 10)
    fleet_queue: tuple[int, int] = (300, 1_000)
    procore_lines: int = 10_000
    preview_lines: int = 10_000  # previewed next to a re-import of as many lines
    # The web app in Chromium: budgets in the Budgets list, lines on the large Budget tab.
    browser_budgets: int = 5_000
    browser_lines: int = 100_000


FULL = Plan(
    (100, 1_000, 10_000, 50_000), (1_000, 10_000), (1_000, 10_000, 50_000, 100_000), 10_000,
    10_000, memory_sizes=(10_000, 50_000, 100_000), phase_sizes=(10_000, 50_000),
)  # fmt: skip
QUICK = Plan(
    (100, 1_000), (1_000,), (1_000,), 2_000, 1_000, memory_sizes=(1_000,), phase_sizes=(1_000,),
    fleet_schedule=(100, 10), fleet_schedule_moto=(20, 10), fleet_server=(20, 10),
    fleet_queue=(20, 1_000),
    procore_lines=1_000,
    preview_lines=1_000,
    browser_budgets=200,
    browser_lines=5_000,
)  # fmt: skip


def _seconds_list(runs: list[float]) -> str:
    return ", ".join(f"{seconds:.2f}" for seconds in runs)


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "load_average": os.getloadavg()}  # fmt: skip


def _run_module(module: str, *args: str) -> Any:
    """`python -m <module> ... --out <file>` in a fresh process; answers the JSON it wrote."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, "-m", module, *args, "--out", str(out)]
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            check=False,
        )  # fmt: skip
        if done.returncode != 0 or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(command[2:])} failed ({done.returncode}):\n{tail}")
        return json.loads(out.read_text())


def _progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


def run_worker(plan: Plan) -> list[dict[str, Any]]:
    results = []
    for n in plan.worker_sizes:
        _progress(f"worker, {n:,} lines")
        args = ["--lines", str(n), "--repeats", "3" if n <= 10_000 else "1"]
        if n == plan.one_line_on:
            args.append("--one-line")
        results.append(_run_module("bench.worker", *args))
    return results


def run_one_line(plan: Plan) -> dict[str, Any]:
    _progress(f"one-line change vs full re-import, {plan.one_line_on:,} lines")
    return _run_module("bench.one_line", "--lines", str(plan.one_line_on), "--repeats", "3")


def run_phases(plan: Plan) -> list[dict[str, Any]]:
    results = []
    for n in plan.phase_sizes:
        _progress(f"worker phases, {n:,} lines")
        results.append(_run_module("bench.phases", "--lines", str(n)))
    return results


def run_memory(plan: Plan) -> list[dict[str, Any]]:
    results = []
    for n in plan.memory_sizes:
        _progress(f"worker memory alone in its process, {n:,} lines")
        results.append(_run_module("bench.memory", "--lines", str(n)))
    return results


def run_naive(plan: Plan) -> list[dict[str, Any]]:
    _progress(f"naive baseline, {', '.join(f'{n:,}' for n in plan.naive_sizes)} lines")
    return _run_module("bench.naive", "--lines", ",".join(map(str, plan.naive_sizes)))


def run_e2e(plan: Plan) -> dict[str, Any]:
    _progress(f"local stack end to end, {', '.join(f'{n:,}' for n in plan.e2e_sizes)} lines")
    return _run_module("bench.e2e", "--sizes", ",".join(map(str, plan.e2e_sizes)))


def run_history(plan: Plan) -> dict[str, Any]:
    _progress(f"preview vs re-import of {plan.preview_lines:,} lines; history page of 100 versions")
    return _run_module("bench.history", "--lines", str(plan.preview_lines))


def run_connector(plan: Plan) -> list[dict[str, Any]]:
    _progress(f"Acumatica connector paging {plan.connector_lines:,} lines")
    return _run_module("bench.connector", "--lines", str(plan.connector_lines))


def run_fleet(plan: Plan) -> dict[str, Any]:
    companies, budgets = plan.fleet_schedule
    _progress(f"schedule over {companies:,} companies x {budgets} budgets, in-memory adapters")
    in_memory = _run_module("bench.fleet", "--part", "schedule-memory", "--companies",
                            str(companies), "--budgets", str(budgets))  # fmt: skip
    companies, budgets = plan.fleet_schedule_moto
    _progress(f"schedule over {companies:,} companies x {budgets} budgets on moto")
    schedule = _run_module("bench.fleet", "--part", "schedule", "--companies", str(companies),
                           "--budgets", str(budgets))  # fmt: skip
    companies, budgets = plan.fleet_server
    _progress(f"schedule over {companies:,} companies x {budgets} budgets on moto server")
    server = _run_module("bench.fleet", "--part", "schedule-server", "--companies",
                         str(companies), "--budgets", str(budgets))  # fmt: skip
    budgets, lines = plan.fleet_queue
    _progress(f"{budgets} budgets x {lines:,} lines queued at once on the local stack")
    queue = _run_module("bench.fleet", "--part", "queue", "--budgets", str(budgets),
                        "--lines", str(lines))  # fmt: skip
    return {"schedule_memory": in_memory, "schedule": schedule, "schedule_server": server,
            "queue": queue}  # fmt: skip


def _report_fleet(fleet: dict[str, Any], target: Any) -> str:
    m, s, q = fleet["schedule_memory"], fleet["schedule"], fleet["queue"]
    # The in-memory adapters' time is mostly their own copying (docs/performance.md, "Fleet"), so
    # this row checks the run's outcome; the 10 s target is the moto server row's.
    target(f"schedule over {m['companies']:,} companies x {m['budgets_per_company']} budgets on "
           "the in-memory adapters: every due budget queued, batched sends",
           f"{m['seconds']:.1f} s, {m['queued']:,} jobs, {m['send_batch_calls']} batches",
           m["queued"] == m["due"] == m["messages"])  # fmt: skip
    sends = s["calls"].get("SendMessageBatch", 0)
    target(f"schedule on moto, {s['companies']:,} companies x {s['budgets_per_company']} "
           "budgets: batched sends, every due budget queued exactly once",
           f"{s['seconds']:.1f} s, {s['queued']:,} jobs, {sends} SendMessageBatch",
           s["queued"] == s["due"] == s["distinct_budgets"] == s["messages_on_queue"]
           and s["queued_by_second_run"] == 0 and "SendMessage" not in s["calls"])  # fmt: skip
    v = fleet.get("schedule_server")
    if v:
        target(f"schedule on moto server, {v['companies']:,} companies x "
               f"{v['budgets_per_company']} budgets, {v['threads']} threads: <= 10 s, every due "
               "budget queued exactly once",
               f"{v['seconds']:.1f} s, {v['queued']:,} jobs",
               v["seconds"] <= 10 and v["queued"] == v["due"] == v["distinct_budgets"]
               == v["messages_on_queue"] and v["queued_by_second_run"] == 0)  # fmt: skip
    target(f"{q['budgets']} budgets x {q['lines']:,} lines queued at once: no failed job",
           f"{q['statuses']}", q["failed"] == 0)  # fmt: skip
    return (
        f"6. Fleet. Schedule run over {m['companies']:,} companies x {m['budgets_per_company']} "
        f"budgets on the in-memory adapters: {m['seconds']:.1f} s; over {s['companies']:,} "
        f"companies x {s['budgets_per_company']} budgets on moto in-process: "
        f"{s['seconds']:.1f} s for {s['queued']:,} jobs; calls "
        f"{_ops(s['calls'])}.\n{_server_line(v)}   {q['budgets']} budgets x {q['lines']:,} lines queued at once "
        f"on the local stack: {q['wall_seconds']:.1f} s, {q['jobs_per_minute']:.1f} jobs/minute, "
        f"request to success p50 {q['p50_seconds']:.1f} s, p95 {q['p95_seconds']:.1f} s; "
        f"{q['statuses']}"
    )


def _server_line(v: dict[str, Any] | None) -> str:
    if not v:
        return ""
    return (
        f"   Over {v['companies']:,} companies x {v['budgets_per_company']} budgets on moto in "
        f"server mode, {v['threads']} threads: {v['seconds']:.1f} s for {v['queued']:,} jobs "
        f"(CPU: the schedule's own process {v.get('schedule_cpu_seconds', 0):.1f} s, the "
        f"emulator {v.get('emulator_cpu_seconds', 0):.1f} s); calls {_ops(v['calls'])}.\n"
    )


def run_spreadsheet(plan: Plan) -> dict[str, Any]:
    _progress(f"spreadsheet import: {plan.connector_lines:,}-row CSV and XLSX exports read, then "
              "uploaded and re-imported on the local stack beside as many Acumatica lines")  # fmt: skip
    return _run_module("bench.spreadsheet", "--lines", str(plan.connector_lines))  # type: ignore[no-any-return]


SPREADSHEET_BOUND_SECONDS = 5.0  # the bound of a 10,000-line Acumatica re-import end to end


def _report_spreadsheet(sheet: dict[str, Any], connector: list[dict[str, Any]], target: Any) -> str:
    reads = sheet["read"]
    text = _table(
        f"8. Spreadsheet import reading a {reads[0]['lines']:,}-row budget export (checks, parse, "
        "mapping; median of 3)",
        ["format", "bytes", "seconds", "lines/s"],
        [[r["format"], f"{r['bytes']:,}", f"{r['seconds']:.3f}", f"{r['lines'] / r['seconds']:,.0f}"]
         for r in reads],
    )  # fmt: skip
    paged = min((r["seconds"] for r in connector), default=None)
    if paged is not None:
        text += f"\n   (the Acumatica connector paging as many lines: {paged:.3f} s)"
    full = sheet["reimport"]
    n, acumatica = full["lines"], full["acumatica"]["seconds"]
    rows = [["Acumatica (sandbox ERP)", "-", "-", f"{acumatica:.2f}", f"{acumatica:.2f}", "1.00"]]
    for fmt in ("csv", "xlsx"):
        r = full[fmt]
        rows.append([f"{fmt.upper()} export", f"{r['bytes']:,.0f}", f"{r['upload_seconds']:.2f}",
                     f"{r['seconds']:.2f}", f"{r['total_seconds']:.2f}",
                     f"{r['total_seconds'] / acumatica:.2f}"])  # fmt: skip
    text += "\n\n" + _table(
        f"   Full re-import of {n:,} lines on the local stack, same run (median of "
        f"{full['repeats']}): upload through POST .../exports and the presigned form to S3 (moto), "
        "then POST .../reimport until the worker has applied it",
        ["source", "bytes", "upload s", "re-import s", "upload + re-import s", "/ Acumatica"],
        rows,
    )  # fmt: skip
    for fmt in ("csv", "xlsx"):
        seconds = full[fmt]["total_seconds"]
        target(f"spreadsheet {fmt.upper()} of {n:,} rows, upload + re-import <= "
               f"{SPREADSHEET_BOUND_SECONDS:.0f} s at 10,000 (the 10,000-line Acumatica bound; "
               f"Acumatica here: {acumatica:.2f} s)", f"{seconds:.2f} s ({seconds / acumatica:.2f}x)",
               seconds <= SPREADSHEET_BOUND_SECONDS if n == 10_000 else None)  # fmt: skip
    return text


def run_procore(plan: Plan) -> dict[str, Any]:
    _progress(
        f"re-import into the Procore sandbox on the local stack, {plan.procore_lines:,} lines"
    )
    return _run_module("bench.procore", "--lines", str(plan.procore_lines))  # type: ignore[no-any-return]


def _procore_report(r: dict[str, Any], target: Any) -> str:
    stats = r["procore"]
    rows = [[route, str(count)] for route, count in sorted(stats["by_route"].items())]
    text = _table(
        f"6. Re-import of {r['lines']:,} lines into Procore (the Procore sandbox) on the local "
        f"stack: {r['seconds']:.2f} s from POST .../reimport to succeeded; Procore calls by route",
        ["Procore call", "count"], rows,
    )  # fmt: skip
    text += (
        f"\n   busiest {stats['spike_window_seconds']} s window: {stats['busiest_spike_window']} "
        f"calls (spike limit {stats['spike_limit']}); {stats['calls']} calls in all "
        f"(hourly limit {stats['hourly_limit']:,})"
    )
    if r["lines"] == 10_000:
        target("10k lines into Procore end to end <= 30 s", f"{r['seconds']:.2f} s",
               r["seconds"] <= 30)  # fmt: skip
    target("Procore calls within the spike limit (busiest 10 s window)",
           f"{stats['busiest_spike_window']} / {stats['spike_limit']}",
           stats["busiest_spike_window"] <= stats["spike_limit"])  # fmt: skip
    target("Procore calls within the hourly limit", f"{stats['calls']} / {stats['hourly_limit']}",
           stats["calls"] <= stats["hourly_limit"])  # fmt: skip
    return text


def run_browser(plan: Plan) -> dict[str, Any]:
    _progress(f"web app in Chromium: Budgets list of {plan.browser_budgets:,} budgets, Budget tab "
              f"of {plan.browser_lines:,} lines")  # fmt: skip
    return _run_module("bench.browser_budgets", "--budgets", str(plan.browser_budgets),  # type: ignore[no-any-return]
                       "--lines", str(plan.browser_lines), "--runs", "3")  # fmt: skip


def _browser_report(r: dict[str, Any], target: Any) -> str:
    from bench.browser_budgets import FILTER_SWITCH_MS, FIND_MS, FIRST_PAGE_MS, FIRST_PAINT_MS

    listed, tab = r["budgets_list"], r["budget_tab"]
    target(f"Budgets list of {r['budgets']:,} budgets: first page <= {FIRST_PAGE_MS / 1000:g} s "
           "(Chromium)", f"{listed['load_ms']:.0f} ms", listed["load_ms"] <= FIRST_PAGE_MS)  # fmt: skip
    target(f"Budgets list of {r['budgets']:,} budgets: filter switch <= "
           f"{FILTER_SWITCH_MS / 1000:g} s", f"{listed['filter_ms']:.0f} ms",
           listed["filter_ms"] <= FILTER_SWITCH_MS)  # fmt: skip
    target(f"Budget tab of {r['lines']:,} lines: first paint <= {FIRST_PAINT_MS / 1000:g} s",
           f"{tab['first_paint_ms']:.0f} ms", tab["first_paint_ms"] <= FIRST_PAINT_MS)  # fmt: skip
    slowest = max(tab["answers_ms"], key=tab["answers_ms"].get)
    ms = tab["answers_ms"][slowest]
    target(f"Budget tab of {r['lines']:,} lines: every filter, search and sort <= {FIND_MS:.0f} ms",
           f"slowest {slowest} {ms:.0f} ms", ms <= FIND_MS)  # fmt: skip
    rows = [[name, f"{value:.0f}"] for name, value in tab["answers_ms"].items()]
    return _table(
        f"8. The web app in Chromium (median of {r['runs']} runs). Budgets list of "
        f"{r['budgets']:,} budgets: first page {listed['load_ms']:.0f} ms (list API "
        f"{listed['load_api_ms']:.0f} ms), filter switch {listed['filter_ms']:.0f} ms.\n"
        f"   Budget tab of {r['lines']:,} lines: first paint {tab['first_paint_ms']:.0f} ms, every "
        f"line read after {tab['all_lines_ms'] / 1000:.1f} s, at most {tab['rows_in_document']} "
        f"rows in the document, a jump to the middle {tab['scroll_to_middle_ms']:.0f} ms; each "
        "way of finding lines, from the input to the painted answer",
        ["action", "ms"], rows,
    )  # fmt: skip


# --- the report ---------------------------------------------------------------------------


def write_limit(n: int) -> int:
    return math.ceil(n / 25) + 10


def _ops(calls: dict[str, int]) -> str:
    return " ".join(f"{op}:{count}" for op, count in sorted(calls.items()))


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    out = [title, line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def report(results: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    """The printed report and the targets as (target, measured, PASS/MISS)."""
    parts: list[str] = []
    targets: list[tuple[str, str, str]] = []

    def target(name: str, measured: str, ok: bool | None) -> None:
        targets.append((name, measured, "n/a" if ok is None else ("PASS" if ok else "MISS")))

    m = results["machine"]
    parts.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']} ({m['platform']}); "
        f"load average at start {', '.join(f'{x:.1f}' for x in m['load_average'])} "
        "(other work on the machine slows every figure)"
    )

    worker = {r["lines"]: r for r in results.get("worker", [])}
    if worker:
        rows = []
        for n, r in worker.items():
            rows.append([
                f"{n:,}", f"{r['seconds']:.2f}", f"{r.get('cpu_seconds', 0):.2f}",
                f"{r['lines'] / r['seconds']:,.0f}",
                str(r["writes"]), str(write_limit(n)), _ops(r["calls"]),
                f"{r['tracemalloc_peak_mb']:.1f}" if r.get("tracemalloc_peak_mb") else "-",
                f"{r['rss_peak_mb']:.0f}",
            ])  # fmt: skip
        parts.append(_table(
            "1. Worker (entrypoints.worker.handle, genuine SQS event) applying a re-import on moto "
            "in-process; every line changes; warm, median of runs",
            ["lines", "seconds", "CPU s", "lines/s", "writes", "limit",
             "DynamoDB calls by operation", "tracemalloc peak MB",
             "process peak RSS MB (moto + sandbox inside)"],
            rows,
        ))  # fmt: skip
        for n, r in worker.items():
            target(f"write calls at {n:,} lines <= ceil(N/25)+10 = {write_limit(n)}",
                   str(r["writes"]), r["writes"] <= write_limit(n))  # fmt: skip
        if 1_000 in worker and 10_000 in worker:
            ratio = worker[10_000]["seconds"] / worker[1_000]["seconds"]
            target("worker 10k / 1k <= 12 (linear growth)", f"{ratio:.1f}", ratio <= 12)
            seconds = worker[50_000]["seconds"]
            target(
                "50k lines <= 25 s (worker on moto in-process)", f"{seconds:.1f} s", seconds <= 25
            )
        for n, r in worker.items():
            if "one_line" in r:
                one = r["one_line"]
                parts.append(
                    f"4. One-line change re-imported on the {n:,}-line budget (worker): "
                    f"{one['seconds']:.2f} s vs {r['seconds']:.2f} s full; writes {one['writes']}; "
                    f"{_ops(one['calls'])}; summary {one['summary']}"
                )
                target(f"one-line change at {n:,}: DynamoDB write calls <= 5 (worker)",
                       str(one["writes"]), one["writes"] <= 5)  # fmt: skip
                target(f"one-line change <= 50% of a full re-import at {n:,} (worker)",
                       f"{one['seconds']:.2f} s vs {r['seconds']:.2f} s",
                       one["seconds"] <= 0.5 * r["seconds"])  # fmt: skip
        cold = next(iter(worker.values())).get("cold_start_50_lines_seconds")
        if cold is not None:
            parts.append(
                f"   First re-import in a fresh worker process (50 lines, cold): {cold:.2f} s"
            )

    phases = results.get("phases", [])
    if phases:
        from bench.phases import PHASES

        labels = [label for *_, label in PHASES]
        rows = [[label] + [f"{p['phases'].get(label, 0):.2f}" for p in phases] for label in labels]
        rows.append(["whole run"] + [f"{p['seconds']:.2f}" for p in phases])
        parts.append(_table(
            "   Where the worker's time goes (seconds per phase; the sandbox ERP renders its pages "
            "in the same process)",
            ["phase"] + [f"{p['lines']:,} lines" for p in phases], rows,
        ))  # fmt: skip

    memory = results.get("memory", [])
    if memory:
        rows = [[f"{r['lines']:,}", f"{r['rss_after_init_mb']:.0f}", f"{r['rss_peak_mb']:.0f}",
                 f"{r['seconds']:.2f}", r["status"]] for r in memory]  # fmt: skip
        parts.append(_table(
            "   Worker memory, the worker alone in its process (moto server and sandbox ERP in "
            "another); peak RSS is what Lambda reports as Max Memory Used",
            ["lines", "RSS after init MB", "peak RSS MB", "seconds (moto over HTTP)", "job"],
            rows,
        ))  # fmt: skip
        for r in memory:
            if r["lines"] == 50_000:
                target("worker peak memory at 50k <= 256 MB (peak RSS, worker alone)",
                       f"{r['rss_peak_mb']:.0f} MB", r["rss_peak_mb"] <= 256)  # fmt: skip
            if r["lines"] == 100_000:
                target("worker peak memory at 100k <= 512 MB (peak RSS, worker alone)",
                       f"{r['rss_peak_mb']:.0f} MB", r["rss_peak_mb"] <= 512)  # fmt: skip
            if r["lines"] == 100_000 and "writes" in r:
                target(f"write calls at 100,000 lines <= ceil(N/25)+10 = {write_limit(100_000)}",
                       f"{r['writes']} ({_ops(r['calls'])})",
                       r["writes"] <= write_limit(100_000))  # fmt: skip

    naive = results.get("naive", [])
    if naive:
        rows = []
        for r in naive:
            ours = worker.get(r["lines"])
            ratio = r["seconds"] / ours["seconds"] if ours else None
            rows.append([f"{r['lines']:,}", f"{r['seconds']:.2f}", str(r["writes"]),
                         f"{ours['seconds']:.2f}" if ours else "-",
                         str(ours["writes"]) if ours else "-",
                         f"{ratio:.1f}x" if ratio else "-"])  # fmt: skip
            if r["lines"] == 10_000 and ratio is not None:
                target(">= 10x faster than the naive baseline at 10k", f"{ratio:.1f}x", ratio >= 10)
        parts.append(_table(
            "2. Naive baseline (bench/naive.py: one PutItem per line, no versioning) vs ours",
            ["lines", "naive s", "naive writes", "ours s", "ours writes", "naive/ours"], rows,
        ))  # fmt: skip

    e2e = results.get("e2e")
    if e2e:
        rows = [
            [f"{r['lines']:,}", f"{r['seconds']:.2f}", str(r["polls"])] for r in e2e["reimports"]
        ]
        parts.append(_table(
            "3. End to end on the local stack: POST .../reimport until GET .../jobs/{id} answers "
            "succeeded (polled every 10 ms)",
            ["lines", "seconds", "polls"], rows,
        ))  # fmt: skip
        by_n = {r["lines"]: r for r in e2e["reimports"]}
        if 10_000 in by_n:
            target("10k lines end to end <= 5 s", f"{by_n[10_000]['seconds']:.2f} s",
                   by_n[10_000]["seconds"] <= 5)  # fmt: skip
        if 50_000 in by_n:
            target("50k lines end to end <= 25 s", f"{by_n[50_000]['seconds']:.2f} s",
                   by_n[50_000]["seconds"] <= 25)  # fmt: skip
        if 100_000 in by_n:
            target("100k lines end to end <= 15 s", f"{by_n[100_000]['seconds']:.2f} s",
                   by_n[100_000]["seconds"] <= 15)  # fmt: skip
        if 1_000 in by_n and 10_000 in by_n:
            ratio = by_n[10_000]["seconds"] / by_n[1_000]["seconds"]
            target("end to end 10k / 1k <= 12", f"{ratio:.1f}", ratio <= 12)
        if e2e.get("gets"):
            rows = [[str(g["limit"]), f"{g['lines_in_page']:,}", f"{g['bytes'] / 1e6:.2f}",
                     f"{g['seconds']:.3f}"] for g in e2e["gets"]]  # fmt: skip
            lines = e2e.get("get_on", 10_000)
            parts.append(_table(f"   GET .../budget on the {lines:,}-line budget (median of runs)",
                                ["limit", "lines", "MB", "seconds"], rows))  # fmt: skip
            for g in e2e["gets"]:
                target(f"GET of the {lines:,}-line budget (limit {g['limit']}) <= 1 s",
                       f"{g['seconds']:.3f} s", g["seconds"] <= 1)  # fmt: skip
        for key, limit_s in (("walk", 0.4), ("walk_default", 0.8)):
            walk = e2e.get(key)
            if not walk:
                continue
            parts.append(
                f"   Reading all {walk['lines']:,} lines through next_cursor, limit "
                f"{walk['limit']}: {walk['pages']} requests, {walk['seconds']:.2f} s (median of "
                f"{len(walk.get('runs_seconds', [0]))})"
            )
            target(f"all {walk['lines']:,} lines over HTTP, limit {walk['limit']} <= {limit_s} s",
                   f"{walk['seconds']:.2f} s", walk["seconds"] <= limit_s)  # fmt: skip
        for g in e2e.get("gets", []):
            if g["lines_in_page"] == 1_000:
                target("one 1,000-line page <= 40 ms median", f"{g['seconds'] * 1000:.0f} ms",
                       g["seconds"] <= 0.04)  # fmt: skip
        one = e2e.get("one_line")
        if one:
            full_seconds = one["full_seconds"]
            parts.append(f"4. One-line change end to end on the {one['lines']:,}-line budget, "
                         f"median of {len(one['runs_seconds'])}: {one['seconds']:.2f} s (runs "
                         f"{_seconds_list(one['runs_seconds'])}) against a full re-import's "
                         f"{full_seconds:.2f} s (runs {_seconds_list(one['full_runs_seconds'])}); "
                         f"summary {one['summary']}")  # fmt: skip
            target(f"one-line change <= 50% of a full re-import at {one['lines']:,} (end to end)",
                   f"{one['seconds']:.2f} s vs {full_seconds:.2f} s "
                   f"({one['seconds'] / full_seconds:.0%})",
                   one["seconds"] <= 0.5 * full_seconds)  # fmt: skip

    connector = results.get("connector", [])
    if connector:
        rows = [[f"{r['page_size']:,}", str(r["pages"]), f"{r['seconds']:.3f}",
                 f"{r['lines'] / r['seconds']:,.0f}"] for r in connector]  # fmt: skip
        parts.append(_table(
            f"5. Acumatica connector paging {connector[0]['lines']:,} lines from the sandbox ERP "
            "(sign-in, pages, sign-out; median of 3)",
            ["page size", "requests", "seconds", "lines/s"], rows,
        ))  # fmt: skip

    if results.get("fleet"):
        parts.append(_report_fleet(results["fleet"], target))

    if results.get("spreadsheet"):
        parts.append(_report_spreadsheet(results["spreadsheet"], connector, target))
    if results.get("procore"):
        parts.append(_procore_report(results["procore"], target))
    history = results.get("history")
    if history:
        _report_history(history, parts, target)
    if results.get("one-line"):
        _report_one_line(results["one-line"], parts, target)
    if results.get("browser"):
        parts.append(_browser_report(results["browser"], target))

    for name, error in results.get("errors", {}).items():
        parts.append(f"!! {name} did not run: {error}")
    if targets:
        parts.append(_table("Targets", ["target", "measured", "result"],
                            [list(t) for t in targets]))  # fmt: skip
    return "\n\n".join(parts), targets


def _report_one_line(result: dict[str, Any], parts: list[str], target: Any) -> None:
    n, one, full = result["lines"], result["one_line"], result["full"]
    parts.append(_table(
        f"4b. One-line change vs full re-import of the same {n:,}-line budget, same run (worker "
        "on moto in-process, median of 3)",
        ["re-import", "seconds", "write calls", "DynamoDB write calls by operation"],
        [["one line changed", f"{one['seconds']:.2f}", str(one["writes"]), _ops(one["calls"])],
         ["every line changed", f"{full['seconds']:.2f}", str(full["writes"]),
          _ops(full["calls"])]],
    ))  # fmt: skip
    target(f"one-line change at {n:,}: DynamoDB write calls <= 5 (one-line)",
           str(one["writes"]), one["writes"] <= 5)  # fmt: skip
    target(f"one-line change <= 50% of a full re-import at {n:,} (one-line)",
           f"{one['seconds']:.2f} s vs {full['seconds']:.2f} s ({one['seconds'] / full['seconds']:.0%})",
           one["seconds"] <= 0.5 * full["seconds"])  # fmt: skip


def _report_history(history: dict[str, Any], parts: list[str], target: Any) -> None:
    n, h = history["lines"], history["history"]
    parts.append(_table(
        f"6. Preview vs re-import of {n:,} lines (worker on moto in-process, every line changes, "
        "median of runs)",
        ["job", "seconds", "writes"],
        [["preview", f"{history['preview_seconds']:.2f}", str(history["preview_writes"])],
         ["re-import", f"{history['reimport_seconds']:.2f}", str(history["reimport_writes"])]],
    ))  # fmt: skip
    target(f"preview of {n:,} lines <= re-import of {n:,}",
           f"{history['preview_seconds']:.2f} s vs {history['reimport_seconds']:.2f} s",
           history["preview_seconds"] <= history["reimport_seconds"])  # fmt: skip
    parts.append(
        f"7. History of a {h['lines']:,}-line budget with {h['versions']} versions (DynamoDB "
        f"store on moto, median of 5): first page of 25 {h['page_25_seconds']:.3f} s, all "
        f"100 in one page {h['page_100_seconds']:.3f} s"
    )
    target(f"history page of a budget with {h['versions']} versions <= 1 s",
           f"{h['page_25_seconds']:.3f} s", h["page_25_seconds"] <= 1)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmarks of the re-import (docs/performance.md)."
    )
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--only", action="append", choices=MEASUREMENTS,
                        help="run only this measurement (repeatable)")  # fmt: skip
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    chosen = args.only or list(MEASUREMENTS)
    runners = {
        "worker": run_worker, "one-line": run_one_line, "phases": run_phases, "memory": run_memory, "naive": run_naive, "e2e": run_e2e,
        "connector": run_connector, "spreadsheet": run_spreadsheet, "fleet": run_fleet,
        "history": run_history, "procore": run_procore, "browser": run_browser,
    }  # fmt: skip
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "errors": {}}
    started = time.perf_counter()
    for name in MEASUREMENTS:
        if name not in chosen:
            continue
        try:
            results[name] = runners[name](plan)
        except RuntimeError as error:  # one broken measurement must not hide the others
            results["errors"][name] = str(error)
    results["bench_seconds"] = time.perf_counter() - started
    text, _ = report(results)
    print(text)
    print(f"\n(bench took {results['bench_seconds']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
