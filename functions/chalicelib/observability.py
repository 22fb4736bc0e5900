"""Powertools Logger and Metrics, built on first use so importing the app reads nothing."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics

SERVICE = "budget-bridge"
NAMESPACE = "BudgetBridge"


@lru_cache(maxsize=1)
def logger() -> Logger:
    return Logger(service=SERVICE)


@lru_cache(maxsize=1)
def metrics() -> Metrics:
    return Metrics(namespace=NAMESPACE, service=SERVICE)
