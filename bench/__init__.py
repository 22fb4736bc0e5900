"""Benchmarks of the re-import (`python -m bench.run`); figures and findings in docs/performance.md.

The app's package lives in `functions/` (Chalice's layout), so the bench puts it on the path the
way pytest's `pythonpath` setting does for the tests.
"""

import sys
from pathlib import Path

_FUNCTIONS = str(Path(__file__).resolve().parent.parent / "functions")
if _FUNCTIONS not in sys.path:
    sys.path.insert(0, _FUNCTIONS)
