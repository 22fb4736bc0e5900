"""A newcomer's `make run`: clone this repository into a temporary folder, time `make run` from
nothing to a healthy stack (GET <api>/health answers 200), stop it, then time a second start.

    python -m bench.first_run                 # clones HEAD of this checkout (commit first)
    python -m bench.first_run --out r.json    # also keep the figures

It installs for real (pip and npm, through their ordinary caches), so it takes minutes and is not
part of `make bench`'s default set; docs/performance.md records its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
API_LINE = re.compile(r"API\s+(http://\S+)")
FIRST_LIMIT_SECONDS = 120.0
LATER_LIMIT_SECONDS = 15.0


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:  # noqa: S310 - local
            return bool(answer.status == 200)
    except OSError:
        return False


def timed_start(clone: Path, timeout: float) -> dict[str, Any]:
    """Start `make run` in the clone on free ports; seconds until /health answers, then stop it."""
    env = {**os.environ, "PORT": "0", "AWS_PORT": "0", "ERP_SANDBOX_PORT": "0",
           "PYTHON": sys.executable}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    log = clone / "make-run.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - make in our own clone
            ["make", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            api_url = None
            while time.monotonic() - started < timeout and process.poll() is None:
                if api_url is None:
                    found = API_LINE.search(log.read_text(errors="replace"))
                    api_url = found.group(1) if found else None
                if api_url and _healthy(api_url):
                    return {"seconds": round(time.monotonic() - started, 1), "healthy": True}
                time.sleep(0.2)
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            return {"seconds": round(time.monotonic() - started, 1), "healthy": False,
                    "tail": tail}  # fmt: skip
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--later-starts", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bb-first-run-") as scratch:
        clone = Path(scratch) / "budget-bridge"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)  # noqa: S603,S607
        first = timed_start(clone, timeout=600)
        later = [timed_start(clone, timeout=120) for _ in range(args.later_starts)]
    result = {"first": first, "later": later,
              "first_limit_seconds": FIRST_LIMIT_SECONDS,
              "later_limit_seconds": LATER_LIMIT_SECONDS}  # fmt: skip
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
