"""Shared test set-up: the folder chooses a test's tier, no test ever reaches real AWS, and no
adapter outlives its test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# Each folder under tests/ is one tier (the markers in pyproject.toml, the Makefile's test-<tier>
# targets); a test file never marks its own tier.
TIERS = ("unit", "integration", "e2e", "browser", "infrastructure", "fault")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: blocked by a None entry in sys.modules
        return False


# `pytest -m unit` imports every test module before it deselects; the CDK tests need the infra
# extras (`make install-infra`), so without them that folder is not collected at all.
collect_ignore = [] if _importable("aws_cdk") else ["infrastructure"]


def tier_of(path: Path) -> str | None:
    """The tier a test file belongs to: the first folder under tests/."""
    try:
        first = path.resolve().relative_to(HERE).parts[0]
    except (ValueError, IndexError):
        return None
    return first if first in TIERS else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item.path)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a fixed region, so a missed mock fails instead of calling AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "BudgetBridge")
    monkeypatch.setenv("POWERTOOLS_DEV", "false")
    # As on the local stack: the connectors' tests call sandbox ERPs on http://127.0.0.1:<port>.
    # Tests of the URL rules choose the setting themselves.
    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "true")

    from chalicelib import wiring

    wiring.reset()
    yield
    wiring.reset()
