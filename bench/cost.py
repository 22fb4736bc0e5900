"""What one re-import of N lines costs on AWS, from what the worker does on moto:

    python -m bench.cost --lines 1000,10000,100000 --out r.json

For each size it seeds an N-line budget that differs from the ERP in every amount, requests the
re-import as the API does (one SQS SendMessage) and runs the real worker on it, counting every AWS
call by service and operation, and every DynamoDB item's size, through botocore's hooks on the
app's own clients. Capacity units follow DynamoDB's on-demand rules: a write unit per started KB of
each item written (twice inside a transaction), a read unit per started 4 KB read strongly
consistent (twice inside a transaction); a BatchWriteItem or BatchGetItem is billed per item.
docs/performance.md ("Cost") turns these into dollars.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from collections import Counter
from typing import Any

from bench.world import open_world


def _item_size(value: Any) -> int:
    """DynamoDB's item size, closely: attribute names plus their values' lengths (binary as is)."""
    if isinstance(value, dict):
        return sum(len(str(k).encode()) + _item_size(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return sum(_item_size(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return len(value)
    return len(str(value).encode())


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


class CostMeter:
    """Calls per service and operation, and DynamoDB read and write units, from botocore hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.write_units = 0
        self.read_units = 0.0

    def attach(self, client: Any, service: str) -> None:
        client.meta.events.register(f"before-parameter-build.{service}", self._before)
        if service == "dynamodb":
            client.meta.events.register(f"after-call.{service}", self._after)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
        if model.service_model.service_name != "dynamodb":
            return
        if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.write_units += _units(
                _item_size(params.get("Item") or params.get("Key", {})), 1024
            )
        elif model.name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    body = request.get("PutRequest", {}).get("Item") or request.get(
                        "DeleteRequest", {}
                    ).get("Key", {})
                    self.write_units += _units(_item_size(body), 1024)
        elif model.name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                op = next(iter(entry.values()))
                self.write_units += 2 * _units(
                    _item_size(op.get("Item") or op.get("Key", {})), 1024
                )

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "GetItem" and "Item" in parsed:
            self.read_units += _units(_item_size(parsed["Item"]), 4096)
        elif model.name in ("Query", "Scan"):
            size = sum(_item_size(item) for item in parsed.get("Items", []))
            self.read_units += _units(size, 4096)
        elif model.name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.read_units += sum(_units(_item_size(item), 4096) for item in items)


# us-east-1 list prices (arm64 Lambda, as every product function runs; DynamoDB on demand; SQS
# standard) when this was written; docs/performance.md ("Cost") says where they come from.
PRICES = {
    "lambda_gb_second": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "secrets_call": 0.05 / 1e4,
}
WORKER_MEMORY_GB = 1.0  # chalice.json: reimport_worker lambda_memory_size 1024
API_MEMORY_GB = 0.5
API_SECONDS = 0.1  # one POST .../reimport on a warm API function, rounded up
# Per job, beside what the worker's clients counted: the API's job record (a transaction of two
# small items) and audit entry, and the event source mapping's DeleteMessage.
REQUEST_WRITE_UNITS = 2 * 2 + 1
EXTRA_SQS_REQUESTS = 1


def dollars(result: dict[str, Any]) -> dict[str, float]:
    """One re-import's AWS bill by item, from a `measure` result."""
    calls = result["calls"]
    sqs = sum(n for op, n in calls.items() if op.startswith("sqs.")) + EXTRA_SQS_REQUESTS
    secrets = sum(n for op, n in calls.items() if op.startswith("secretsmanager."))
    gb_seconds = result["worker_seconds"] * WORKER_MEMORY_GB + API_SECONDS * API_MEMORY_GB
    bill = {
        "lambda": gb_seconds * PRICES["lambda_gb_second"] + 2 * PRICES["lambda_request"],
        "dynamodb_writes": (result["dynamodb_write_units"] + REQUEST_WRITE_UNITS)
        * PRICES["dynamodb_write_unit"],
        "dynamodb_reads": result["dynamodb_read_units"] * PRICES["dynamodb_read_unit"],
        "sqs": sqs * PRICES["sqs_request"],
        "secrets_manager": secrets * PRICES["secrets_call"],
    }
    return {**bill, "total": sum(bill.values()), "gb_seconds": gb_seconds,
            "sqs_requests": sqs, "secrets_calls": secrets}  # fmt: skip


def measure(n_lines: int) -> dict[str, Any]:
    from bench.worker import run_once, warm_up
    from chalicelib.adapters import aws

    with open_world() as world:
        warm_up(world)
        world.seed_budget(n_lines)
        meter = CostMeter()
        meter.attach(aws.dynamodb(), "dynamodb")
        meter.attach(aws.sqs(), "sqs")
        meter.attach(aws.secretsmanager(), "secretsmanager")
        started = time.perf_counter()
        run = run_once(world)
        seconds = time.perf_counter() - started
    return {
        "lines": n_lines, "worker_seconds": run["seconds"], "seconds_with_request": seconds,
        "calls": dict(sorted(meter.calls.items())), "dynamodb_write_units": meter.write_units,
        "dynamodb_read_units": meter.read_units,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", default="1000,10000")
    args = parser.parse_args(argv)
    results = [measure(int(n)) for n in args.lines.split(",")]
    for result in results:
        result["dollars"] = dollars(result)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main()
