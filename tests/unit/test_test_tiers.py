"""The folder chooses each test's tier, and one tier collects without another tier's extras."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import TIERS, tier_of

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent

# A tier mark written in a file would put it in a second tier beside its folder's.
TIER_MARK = re.compile(r"pytest\.mark\.(" + "|".join(TIERS) + r")\b")


def test_every_test_file_belongs_to_exactly_one_tier():
    files = sorted(TESTS.rglob("test_*.py"))
    assert files
    outside = [str(f.relative_to(ROOT)) for f in files if tier_of(f) is None]
    assert outside == [], "test files outside a tier folder"
    marked = [str(f.relative_to(ROOT)) for f in files if TIER_MARK.search(f.read_text())]
    assert marked == [], "test files that mark a tier themselves"


def test_the_unit_tier_collects_without_the_cdk_installed():
    # aws_cdk made unimportable, as on a machine without the infra extras.
    shim = (
        "import sys; sys.modules['aws_cdk'] = None; import pytest; "
        "raise SystemExit(pytest.main(['-m', 'unit', '--collect-only', '-q', '-p', 'no:cacheprovider']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", shim], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids
    assert all(i.startswith("tests/unit/") for i in ids), [
        i for i in ids if not i.startswith("tests/unit/")
    ][:5]
