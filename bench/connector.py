"""Measurement 5: the Acumatica connector paging an N-line budget out of the in-process sandbox ERP.

Each page size is timed as the median of a few full fetches (sign-in, pages, sign-out); the sandbox
runs in a thread of the same process, so its serialisation shares the two cores with the client.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.world import PROJECT_ID, generate_erp_budget
from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.adapters.erp.common.remembered import forget_pages
from chalicelib.config import reset_settings
from chalicelib.domain.model import ErpCredentials
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp

PAGE_SIZES = (500, 1_000, 5_000)


def measure(n_lines: int = 10_000, page_sizes: tuple[int, ...] = PAGE_SIZES,
            repeats: int = 3) -> list[dict[str, Any]]:  # fmt: skip
    credentials = ErpCredentials.of(
        username=demo_data.SANDBOX_USERNAME, password=demo_data.SANDBOX_PASSWORD
    )
    results = []
    # As on the local stack: the URL guard lets the sandbox's http://127.0.0.1:<port> through.
    os.environ["ERP_ALLOW_LOCAL_URLS"] = "true"
    reset_settings()
    with SandboxErp() as sandbox:
        generate_erp_budget(sandbox.url, PROJECT_ID, n_lines, seed=1)
        for page_size in page_sizes:
            source = AcumaticaSource(
                sandbox.url, "Demo", credentials, page_size=page_size, allow_local_urls=True
            )
            times, pages = [], 0
            for _ in range(repeats):
                pages = 0

                def count(_: int) -> None:
                    nonlocal pages
                    pages += 1

                forget_pages()  # a cold read: every page fetched, parsed and mapped
                started = time.perf_counter()
                lines = source.fetch_budget(PROJECT_ID, on_page=count)
                times.append(time.perf_counter() - started)
                if len(lines) != n_lines:
                    raise RuntimeError(f"read {len(lines)} lines, not {n_lines}")
            results.append(
                {"lines": n_lines, "page_size": page_size, "pages": pages,
                 "seconds": statistics.median(times), "runs_seconds": times}
            )  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(measure(args.lines), out)


if __name__ == "__main__":
    main()
