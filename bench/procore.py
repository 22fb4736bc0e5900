"""Measurement 6: a 10,000-line re-import into Procore on the local stack, timed from the outside.

It starts the local stack (devstack.stack.LocalStack) on free ports, gives the pilot company's
K-4001 the same N keys in the Acumatica sandbox (seed 2) and in the Procore sandbox's project 2001
(seed 1), then times `POST .../reimport` as admin@pilot.test until the job succeeds, and asks the
Procore sandbox what the job cost against Procore's limits (calls by route, busiest 10-second
window). Run it in its own process: `python -m bench.procore --out r.json`.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from typing import Any

from bench.e2e import POLL_SECONDS, TIMEOUT_SECONDS, Api

COMPANY = "pilot"
JOB = "K-4001"
SIGN_IN = "admin@pilot.test"


def _post(url: str, body: Any) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the local stack's own sandbox
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310
        return json.loads(answer.read())


def reimport(api: Api) -> dict[str, Any]:
    started = time.perf_counter()
    status, body = api.call("POST", f"/companies/{COMPANY}/erp/budgets/{JOB}/reimport")
    if status != 202:
        raise RuntimeError(f"re-import refused: {status} {body}")
    path = f"/companies/{COMPANY}/erp/jobs/{body['job_id']}"
    while time.perf_counter() - started < TIMEOUT_SECONDS:
        status, job = api.call("GET", path)
        if status == 200 and job["status"] in ("succeeded", "failed"):
            if job["status"] != "succeeded":
                raise RuntimeError(f"the job failed: {job['message']}")
            return {"seconds": time.perf_counter() - started, "summary": job["summary"],
                    "message": job["message"]}  # fmt: skip
        time.sleep(POLL_SECONDS)
    raise RuntimeError("the job did not finish in time")


def measure(n_lines: int = 10_000) -> dict[str, Any]:
    from devstack import demo_data
    from devstack.stack import LocalStack

    with LocalStack(port=0, aws_port=0, erp_port=0, schedule_interval=3600.0) as stack:
        erp, procore = stack.erp_url, stack.erp_url + "/procore"
        api = Api(stack.api_url)
        api.sign_in(SIGN_IN, demo_data.DEMO_PASSWORD)
        reimport(api)  # warm-up on the demo budget: first clients and tokens are not timed
        _post(f"{procore}/sandbox/projects/{demo_data.PROCORE_PROJECT_ID}/generate",
              {"lines": n_lines, "seed": 1})  # fmt: skip
        _post(f"{erp}/sandbox/projects/Pilot/{JOB}/generate", {"lines": n_lines, "seed": 2})
        since = time.time()
        run = reimport(api)
        stats = _get(f"{procore}/sandbox/stats?since={since}")
    return {"lines": n_lines, **run, "procore": stats}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args(argv)
    result = measure(args.lines)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
