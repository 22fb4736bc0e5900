"""The storage contract of tests/unit/test_memory_stores.py, run on the DynamoDB stores (moto)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from tests.unit.test_memory_stores import StoreContract


class TestDynamoStores(StoreContract):
    @pytest.fixture
    def stores(self, dynamodb_tables):
        return SimpleNamespace(
            budgets=DynamoBudgetStore(), jobs=DynamoJobStore(), directory=DynamoDirectory()
        )
