"""The fleet: many companies and many budgets at once. Run it in its own process:

    python -m bench.fleet --out r.json --part schedule --companies 1000 --budgets 10
    python -m bench.fleet --out r.json --part queue --budgets 300 --lines 1000

`schedule`: moto in-process, N companies with the automatic re-import on and M synced, due budgets
each; times one run of the schedule's use case as its function runs it
(services.reimports.enqueue_due_reimports with the cyclic collector paused, on the app's own
DynamoDB, SQS and audit adapters) and counts its AWS calls by operation; checks every
due budget got exactly one job and one message.

`schedule-memory`: the same run on the in-memory adapters (the schedule's own code at full scale).

`schedule-server`: the same run against moto in server mode in a process of its own (the local
stack's DynamoDB settings), over HTTP as against AWS, so the schedule's threads overlap their
round trips with the emulator's work: `--threads 1` reads one company at a time and writes one
step at a time (the two still overlap).

`queue`: the whole local stack (devstack.stack.LocalStack). B budgets of L lines (every amount
differs from the ERP's), each re-import requested over HTTP one right after the other, then waits
for every job; reports jobs per minute and p50/p95 from request to success (the job's own
requested_at and finished_at), and fails if any job did not succeed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from bench.world import fake_aws_environment

OTHER_COMPANY_TEMPLATE = "demo"  # the demo company's catalog and ERP system, for every company


def _seed_fleet(ports: Any, companies: int, budgets: int, first: int = 0) -> None:
    """Companies with the automatic re-import on, each with `budgets` synced one-line budgets
    last synced two days ago (due for a daily re-import)."""
    from chalicelib.domain.model import AutoReimport, CostCatalog, ErpSettings, utc_now
    from devstack import demo_data
    from devstack.seed import project_budget

    template = demo_data.company(OTHER_COMPANY_TEMPLATE)
    catalog = CostCatalog(frozenset(template.cost_codes), frozenset(template.cost_types))
    synced = utc_now() - timedelta(days=2)
    daily = ErpSettings(auto_reimport=AutoReimport(enabled=True, every_hours=24))
    for c in range(first, first + companies):
        company_id = f"fleet{c:04d}"
        ports.directory.put_company(company_id, f"Fleet Company {c}")
        ports.directory.save_erp_settings(company_id, daily)
        for b in range(budgets):
            project = demo_data.large_project(f"P-{b + 1:04d}", 1, seed=b, company_id="demo")
            budget, lines = project_budget(template, project, catalog, synced)
            budget = budget.model_copy(update={"company_id": company_id})
            ports.budgets.create_budget(budget, lines)


def schedule(companies: int, budgets: int) -> dict[str, Any]:
    fake_aws_environment()
    from moto import mock_aws

    from chalicelib import wiring
    from chalicelib.adapters import aws
    from chalicelib.adapters.sqs import SqsJobQueue
    from chalicelib.services.reimports import enqueue_due_reimports
    from devstack.emulator import install_settings
    from tests import worlds

    # The local stack's AWS (devstack/emulator.py): atomic requests, journaled rollback, indexed
    # secondary keys, sends that do not recount the queue, item answers written as JSON.
    install_settings()
    with mock_aws():
        wiring.reset()
        world = worlds.stores("moto")
        queue_url, _, _ = worlds.moto_queues()
        ports = worlds.ports(world, queue=SqsJobQueue(queue_url))
        started = time.perf_counter()
        _seed_fleet(ports, companies, budgets)
        seeded_seconds = time.perf_counter() - started
        calls: Counter[str] = Counter()
        for client in (aws.dynamodb(), aws.sqs()):
            client.meta.events.register(
                "before-call", lambda model, **_: calls.update([model.name])
            )
        started = time.perf_counter()
        queued = _run_as_the_schedule_does(ports)
        seconds = time.perf_counter() - started
        run_calls = dict(sorted(calls.items()))  # the timed run's calls, not the check's below
        attributes = aws.sqs().get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        again = enqueue_due_reimports(ports)  # every budget now holds a job: nothing twice
    expected = companies * budgets
    per_budget = {(j.company_id, j.budget_id) for j in queued}
    return {
        "companies": companies, "budgets_per_company": budgets, "due": expected,
        "queued": len(queued), "distinct_budgets": len(per_budget),
        "messages_on_queue": int(attributes["ApproximateNumberOfMessages"]),
        "queued_by_second_run": len(again), "seconds": seconds,
        "seed_seconds": seeded_seconds, "calls": run_calls,
    }  # fmt: skip


def _run_as_the_schedule_does(ports: Any, **options: Any) -> list[Any]:
    """One run of the schedule's use case as its function runs it: with the cyclic collector
    paused (chalicelib/entrypoints/schedule.py)."""
    from chalicelib.entrypoints.gc_pause import gc_paused
    from chalicelib.services.reimports import enqueue_due_reimports

    with gc_paused():
        return enqueue_due_reimports(ports, **options)


def schedule_on_server(companies: int, budgets: int, threads: int) -> dict[str, Any]:
    from devstack.emulator import EmbeddedAws

    fake_aws_environment()
    aws = EmbeddedAws("127.0.0.1", 0).start()  # the local stack's emulator, in its own process
    try:
        os.environ["AWS_ENDPOINT_URL"] = aws.url
        return _schedule_against(companies, budgets, threads, emulator_pid=aws.pid)
    finally:
        aws.stop()


def _cpu_of(pid: int | None) -> float:
    """CPU seconds a process of this machine has used so far (Linux /proc), 0 without one."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _schedule_against(
    companies: int, budgets: int, threads: int, emulator_pid: int | None = None
) -> dict[str, Any]:
    """Seed the fleet on whatever AWS the environment names, then time one schedule run."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import wiring
    from chalicelib.adapters import aws
    from chalicelib.adapters.sqs import SqsJobQueue
    from chalicelib.services.reimports import enqueue_due_reimports
    from tests import worlds

    wiring.reset()
    world = worlds.stores("moto")
    queue_url, _, _ = worlds.moto_queues()
    ports = worlds.ports(world, queue=SqsJobQueue(queue_url))
    started = time.perf_counter()
    step = max(1, companies // 8)
    with ThreadPoolExecutor(max_workers=8) as pool:  # seeding is not what is timed
        list(pool.map(lambda first: _seed_fleet(ports, min(step, companies - first), budgets,
                                                first=first), range(0, companies, step)))  # fmt: skip
    seeded_seconds = time.perf_counter() - started
    calls: Counter[str] = Counter()
    for client in (aws.dynamodb(), aws.sqs()):
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    started, cpu_started = time.perf_counter(), time.process_time()
    emulator_started = _cpu_of(emulator_pid)
    queued = _run_as_the_schedule_does(ports, threads=threads)
    seconds = time.perf_counter() - started
    emulator_cpu_seconds = _cpu_of(emulator_pid) - emulator_started
    # This process is the schedule alone (moto answers from its own): its CPU is what the
    # schedule function itself spends (our code and botocore), the figure its memory size sets.
    cpu_seconds = time.process_time() - cpu_started
    run_calls = dict(sorted(calls.items()))  # the timed run's calls, not the check's below
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    again = enqueue_due_reimports(ports, threads=threads)
    per_budget = {(j.company_id, j.budget_id) for j in queued}
    return {
        "companies": companies, "budgets_per_company": budgets, "due": companies * budgets,
        "threads": threads, "queued": len(queued), "distinct_budgets": len(per_budget),
        "messages_on_queue": int(attributes["ApproximateNumberOfMessages"]),
        "queued_by_second_run": len(again), "seconds": seconds, "schedule_cpu_seconds": cpu_seconds,
        "emulator_cpu_seconds": emulator_cpu_seconds,
        "seed_seconds": seeded_seconds, "calls": run_calls,
    }  # fmt: skip


def schedule_in_memory(companies: int, budgets: int) -> dict[str, Any]:
    """The same run on the in-memory adapters: what the schedule's own code costs at this scale,
    without the emulator (whose index queries and transactions grow with the tables)."""
    fake_aws_environment()  # quiet logs, and nothing can reach a real account
    from tests import worlds

    world = worlds.stores("memory")
    queue = world.queue
    ports = worlds.ports(world)
    _seed_fleet(ports, companies, budgets)
    started = time.perf_counter()
    queued = _run_as_the_schedule_does(ports)
    seconds = time.perf_counter() - started
    return {"companies": companies, "budgets_per_company": budgets, "due": companies * budgets,
            "queued": len(queued), "messages": len(queue.sent), "send_batch_calls": len(queue.batches),
            "seconds": seconds}  # fmt: skip


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def queue(budgets: int, lines: int) -> dict[str, Any]:
    from bench.e2e import Api, seed_pair
    from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
    from devstack import demo_data
    from devstack.stack import LocalStack

    with LocalStack(port=0, aws_port=0, erp_port=0, schedule_interval=3600.0) as stack:
        api = Api(stack.api_url)
        api.sign_in("admin@demo.test", demo_data.DEMO_PASSWORD)
        started = time.perf_counter()
        seeded = [seed_pair(stack.erp_url, f"P-7{i:05d}", lines) for i in range(budgets)]
        seed_seconds = time.perf_counter() - started
        job_ids = []
        first_request = time.perf_counter()
        for budget in seeded:
            path = f"/companies/demo/erp/budgets/{budget.budget_id}/reimport"
            status, body = api.call("POST", path)
            if status != 202:
                raise RuntimeError(f"re-import refused: {status} {body}")
            job_ids.append(body["job_id"])
        jobs = DynamoJobStore()
        finished = []
        for job_id in job_ids:  # roughly in queue order: wait for each in turn
            while not (job := jobs.get("demo", job_id)).status.finished:
                time.sleep(0.5)
            finished.append(job)
        wall = time.perf_counter() - first_request
    waits = [(j.finished_at - j.requested_at).total_seconds() for j in finished]
    statuses = Counter(j.status.value for j in finished)
    return {
        "budgets": budgets, "lines": lines, "statuses": dict(statuses),
        "failed": budgets - statuses.get("succeeded", 0), "wall_seconds": wall,
        "jobs_per_minute": budgets / wall * 60, "p50_seconds": statistics.median(waits),
        "p95_seconds": _percentile(waits, 0.95), "seed_seconds": seed_seconds,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--part", choices=("schedule", "schedule-memory", "schedule-server", "queue"), required=True
    )
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--budgets", type=int, default=10)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="schedule-server: threads of each stage (reads, writes)",
    )
    args = parser.parse_args(argv)
    if args.part == "schedule":
        result = schedule(args.companies, args.budgets)
    elif args.part == "schedule-server":
        from chalicelib.services.reimports import SCHEDULE_THREADS

        threads = SCHEDULE_THREADS if args.threads is None else args.threads
        result = schedule_on_server(args.companies, args.budgets, threads)
    elif args.part == "schedule-memory":
        result = schedule_in_memory(args.companies, args.budgets)
    else:
        result = queue(args.budgets, args.lines)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
