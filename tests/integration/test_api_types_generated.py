"""The web app's API types (frontend/src/api.gen.ts) are what the generator makes from the
OpenAPI document now: a route or model change without `npm run api-types` fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"


def test_the_committed_api_types_match_the_openapi_document(tmp_path: Path) -> None:
    fresh = tmp_path / "api.gen.ts"
    subprocess.run(
        ["node", "scripts/api-types.mjs", str(fresh)],
        cwd=FRONTEND,
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        timeout=300,
    )
    committed = (FRONTEND / "src" / "api.gen.ts").read_text()
    assert fresh.read_text() == committed, (
        "frontend/src/api.gen.ts is stale: run `npm run api-types`"
    )
