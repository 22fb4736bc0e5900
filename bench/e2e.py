"""Measurement 3 (and 4 end to end): the whole local stack, timed from the outside over HTTP.

It starts the local stack (devstack.stack.LocalStack) on free ports, generates an N-line budget in
the sandbox ERP through its /sandbox route, seeds the Budget Bridge side with the same keys and
other amounts (the devstack seeder's own `project_budget`, written by the app's budget store),
then times `POST .../reimport` until the job answers `succeeded` (polled every 10 ms), and
`GET .../budget` on the result. Run it in its own process: `python -m bench.e2e --out r.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bench.world import COMPANY_ID, generate_erp_budget, project_side

# How often the job is read while it runs: the end of a run is seen up to a poll late. At 50 ms a
# 10,000-line one-line change was seen at 0.115 s or at 0.165 s by where the polls fell, a
# staircase as wide as a third of the figure; each poll is a GET of the job on the same stack,
# whose cost shows in the full re-imports' times (docs/performance.md, "The latest full run").
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 300.0
SIGN_IN = "admin@demo.test"


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the local stack's own http address
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def sign_in(self, email: str, password: str) -> None:
        status, body = self.call("POST", "/session", {"email": email, "password": password})
        if status != 200:
            raise RuntimeError(f"sign-in failed: {status} {body}")
        self.token = body["token"]


def seed_pair(erp_url: str, project_id: str, n_lines: int) -> Any:
    """The ERP side (seed 2) in the sandbox and the Budget Bridge side (seed 1) in DynamoDB."""
    from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore

    generate_erp_budget(erp_url, project_id, n_lines, seed=2)
    budget, lines = project_side(n_lines, seed=1, project_id=project_id)
    return DynamoBudgetStore().create_budget(budget, lines)


def reimport(api: Api, budget_id: str, company_id: str = COMPANY_ID) -> dict[str, Any]:
    """POST .../reimport, then poll the job until it finishes; answers seconds and the job."""
    started = time.perf_counter()
    status, body = api.call("POST", f"/companies/{company_id}/erp/budgets/{budget_id}/reimport")
    if status != 202:
        raise RuntimeError(f"re-import refused: {status} {body}")
    job_path = f"/companies/{company_id}/erp/jobs/{body['job_id']}"
    polls = 0
    while time.perf_counter() - started < TIMEOUT_SECONDS:
        status, job = api.call("GET", job_path)
        polls += 1
        if status == 200 and job["status"] in ("succeeded", "failed"):
            seconds = time.perf_counter() - started
            if job["status"] != "succeeded":
                raise RuntimeError(f"the job failed: {job['message']}")
            return {"seconds": seconds, "polls": polls, "summary": job["summary"]}
        time.sleep(POLL_SECONDS)
    raise RuntimeError("the job did not finish in time")


def time_get(api: Api, project_id: str, limit: int | None, repeats: int = 3) -> dict[str, Any]:
    path = f"/companies/{COMPANY_ID}/projects/{project_id}/budget"
    if limit is not None:
        path += f"?limit={limit}"
    times, size, count = [], 0, 0
    for _ in range(repeats):
        started = time.perf_counter()
        status, body = api.call("GET", path)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"GET budget answered {status}: {body}")
        count = len(body["line_items"])
        size = len(json.dumps(body))
    return {"limit": limit or "default", "lines_in_page": count, "bytes": size,
            "seconds": statistics.median(times), "runs_seconds": times}  # fmt: skip


def time_walk(
    api: Api, project_id: str, limit: int | None = 5000, repeats: int = 5
) -> dict[str, Any]:
    """Every line of the budget, page after page through next_cursor: what an export costs
    (`limit=None`: the API's default page size, as the web app reads); median of `repeats`."""
    base = f"/companies/{COMPANY_ID}/projects/{project_id}/budget?"
    base += f"limit={limit}" if limit is not None else ""
    times = []
    for _ in range(repeats):
        started, lines, pages, path = time.perf_counter(), 0, 0, base
        while True:
            status, body = api.call("GET", path)
            if status != 200:
                raise RuntimeError(f"GET budget answered {status}: {body}")
            lines, pages = lines + len(body["line_items"]), pages + 1
            if not body.get("next_cursor"):
                break
            path = base + "&cursor=" + urllib.parse.quote(body["next_cursor"])
        times.append(time.perf_counter() - started)
    return {"limit": limit or "default", "pages": pages, "lines": lines,
            "seconds": statistics.median(times), "runs_seconds": times}  # fmt: skip


def change_one_line_in_erp(erp_url: str, project_id: str) -> None:
    from bench.worker import change_one_line

    change_one_line(erp_url, project_id)


def measure(sizes: tuple[int, ...] = (1_000, 10_000), get_on: int | None = 10_000,
            one_line_on: int | None = 10_000) -> dict[str, Any]:  # fmt: skip
    from devstack import demo_data
    from devstack.stack import LocalStack

    results: dict[str, Any] = {"reimports": [], "gets": [], "one_line": None}
    with LocalStack(port=0, aws_port=0, erp_port=0, schedule_interval=3600.0) as stack:
        api = Api(stack.api_url)
        api.sign_in(SIGN_IN, demo_data.DEMO_PASSWORD)
        # A warm-up re-import of a demo budget: imports and first clients are not what we time.
        reimport(api, "P-1001")
        for n_lines in sizes:
            project_id = f"P-8{n_lines:06d}"
            budget = seed_pair(stack.erp_url, project_id, n_lines)
            run = reimport(api, budget.budget_id)
            results["reimports"].append({"lines": n_lines, **run})
            if n_lines == get_on:
                # The worker runs in this same process: let it finish its batch (idempotency
                # record, message delete, the collector catching up) before reads are timed.
                time.sleep(2.0)
                api.call("GET", f"/companies/{COMPANY_ID}/projects/{project_id}/budget?limit=1")
                # 25 reads: a 1,000-line page takes ~20-45 ms here, and a median of a few
                # reads moved by more than the target's margin from run to run.
                results["gets"] = [time_get(api, project_id, None, repeats=25),
                                   time_get(api, project_id, 5000, repeats=5)]  # fmt: skip
                results["walk"] = time_walk(api, project_id)
                results["walk_default"] = time_walk(api, project_id, None)
                results["get_on"] = n_lines
            if n_lines == one_line_on:
                results["one_line"] = one_line_against_full(api, stack.erp_url, project_id,
                                                            budget.budget_id, n_lines, run)  # fmt: skip
    return results


def one_line_against_full(
    api: Api, erp_url: str, project_id: str, budget_id: str, n_lines: int,
    first_full: dict[str, Any], repeats: int = 5,
) -> dict[str, Any]:  # fmt: skip
    """Medians over `repeats` runs of each, on the same budget (the issue asks for ratios or
    medians over several runs): full re-imports, each after every ERP amount changed (the ERP
    budget generated again with another seed), then re-imports after one ERP line changed.
    Five of each: one run moves by up to a poll with where the bench's polls fall, and
    runs of the same code moved by 20 % between runs, so a median of three swung by more than
    the target's margin."""
    full = [first_full]
    for seed in range(3, 2 + repeats):
        generate_erp_budget(erp_url, project_id, n_lines, seed=seed)
        full.append(reimport(api, budget_id))
    single = []
    for _ in range(repeats):
        change_one_line_in_erp(erp_url, project_id)
        single.append(reimport(api, budget_id))
    return {
        "lines": n_lines,
        "seconds": statistics.median(r["seconds"] for r in single),
        "runs_seconds": [r["seconds"] for r in single],
        "summary": single[-1]["summary"],
        "full_seconds": statistics.median(r["seconds"] for r in full),
        "full_runs_seconds": [r["seconds"] for r in full],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    # The issue asks for GET and the one-line change on the 10,000-line budget.
    on = 10_000 if 10_000 in sizes else max(sizes)
    result = measure(sizes, get_on=on, one_line_on=on)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
