"""Shared test set-up: no test ever reaches real AWS, and no adapter outlives its test."""

from __future__ import annotations

import pytest


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
