"""The worker's own peak memory: the worker alone in a process, as in Lambda, with moto and the
sandbox ERP in another.

The parent starts the local stack's moto server (devstack/emulator.py) and the sandbox ERP, provisions and seeds an N-line budget,
queues a re-import and takes its SQS message; a child process then imports the app, notes its
resident set, runs `entrypoints.worker.handle` on that genuine event and reports its peak RSS
(what Lambda reports as "Max Memory Used"). The tracemalloc peak of the Python heap is
measured in-process by bench.worker.

    python -m bench.memory --lines 50000 --out result.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: on Linux a child starts with the
    forking parent's maxrss, and the parent here holds moto's and the sandbox's data."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def parent(n_lines: int) -> dict[str, Any]:
    from bench.world import fake_aws_environment
    from devstack.emulator import EmbeddedAws

    fake_aws_environment()
    aws = EmbeddedAws("127.0.0.1", 0).start()  # the local stack's emulator, in its own process
    try:
        os.environ["AWS_ENDPOINT_URL"] = aws.url
        return _seed_and_run_child(n_lines)
    finally:
        aws.stop()


def _seed_and_run_child(n_lines: int) -> dict[str, Any]:
    from bench.world import World, _ports, setup_account
    from chalicelib.config import settings
    from devstack.sandbox_erp import SandboxErp

    with SandboxErp() as sandbox:
        queue_url, queue_arn = setup_account(sandbox.url)
        world = World(sandbox, _ports(), None, queue_url, queue_arn, settings().region)  # type: ignore[arg-type]
        world.seed_budget(n_lines)
        job, event = world.queue_reimport()
        with tempfile.TemporaryDirectory() as scratch:
            event_file, out = Path(scratch) / "event.json", Path(scratch) / "out.json"
            event_file.write_text(json.dumps(event))
            done = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bench.memory", "--child", str(event_file), "--out", str(out)],
                cwd=REPO, env=dict(os.environ), capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])
            result = json.loads(out.read_text())
        finished = world.ports.jobs.get(job.company_id, job.job_id)
        result.update(lines=n_lines, status=finished.status.value,
                      summary=finished.summary.model_dump() if finished.summary else None)  # fmt: skip
        return result


def child(event_file: str) -> dict[str, Any]:
    """The worker process: import what Lambda's init would, then run the one event."""
    import bench  # noqa: F401 - puts the app on the path
    from bench.world import CallCounter, _ports, worker_context
    from chalicelib.adapters import aws
    from chalicelib.entrypoints.worker import handle

    _ports()
    counter = CallCounter(aws.dynamodb())
    event = json.loads(Path(event_file).read_text())
    rss_after_init = _peak_rss_mb()
    # No tracemalloc here: its bookkeeping per live object would itself inflate the RSS.
    started = time.perf_counter()
    handle(event, worker_context())
    seconds = time.perf_counter() - started
    return {"rss_after_init_mb": rss_after_init, "rss_peak_mb": _peak_rss_mb(),
            "seconds": seconds, "writes": counter.writes, "calls": counter.snapshot()}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--child", help="(internal) run the worker on this event file")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = child(args.child) if args.child else parent(args.lines)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
