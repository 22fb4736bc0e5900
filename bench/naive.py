"""Measurement 2, THE NAIVE BASELINE (not product code): a re-import done the obvious way.

It reads the same ERP budget through the same connector, then writes one PutItem per line into the
budgets table, with no versioning, no packing, no all-or-nothing switch. Only here to give the
real worker's figures a yardstick; nothing in the app resembles it.
"""

from __future__ import annotations

import time
from typing import Any

from bench.world import COMPANY_ID, PROJECT_ID, World, generate_erp_budget
from chalicelib.adapters import aws
from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.config import settings
from chalicelib.domain.model import ErpCredentials, LineKind
from devstack import demo_data


def naive_reimport(world: World, erp_job_id: str = PROJECT_ID) -> int:
    """The baseline: fetch, then one PutItem per cost line. Answers the lines written."""
    source = AcumaticaSource(
        world.sandbox.url,
        "Demo",
        ErpCredentials.of(username=demo_data.SANDBOX_USERNAME, password=demo_data.SANDBOX_PASSWORD),
        allow_local_urls=True,  # the sandbox ERP on 127.0.0.1
    )
    client = aws.dynamodb()
    table = settings().budgets_table
    written = 0
    for line in source.fetch_budget(erp_job_id):
        if line.kind is not LineKind.COST:
            continue
        client.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"NAIVE#{COMPANY_ID}#{erp_job_id}"},
                "sk": {"S": line.key.line_item_id},
                "description": {"S": line.description},
                "original_budget_amount": {"S": str(line.amount)},
            },
        )
        written += 1
    return written


def measure(world: World, n_lines: int, erp_seed: int = 7) -> dict[str, Any]:
    """Time the baseline on an N-line ERP budget in an open world (the sandbox's P-9001)."""
    generate_erp_budget(world.sandbox.url, PROJECT_ID, n_lines, erp_seed)
    world.counter.reset()
    started = time.perf_counter()
    written = naive_reimport(world)
    seconds = time.perf_counter() - started
    if written != n_lines:
        raise RuntimeError(f"the baseline wrote {written} lines, not {n_lines}")
    return {"lines": n_lines, "seconds": seconds, "writes": world.counter.writes,
            "calls": world.counter.snapshot()}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    from bench.world import open_world

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with open_world() as world:
        measure(world, 50)  # warm-up: imports and first clients are not what is compared
        results = [measure(world, int(n)) for n in args.lines.split(",")]
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main()
