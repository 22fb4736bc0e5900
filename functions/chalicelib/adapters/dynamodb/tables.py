"""What every DynamoDB store shares: its client, built on first use, and the names of its tables."""

from __future__ import annotations

from typing import Any

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.base import deserialize, key
from chalicelib.adapters.dynamodb.items import HEAD, BudgetHeaderItem, budget_pk


class DynamoTables:
    """Budgets and jobs are written together in transactions, so both stores know both tables."""

    def __init__(
        self,
        client: Any | None = None,
        budgets_table: str | None = None,
        jobs_table: str | None = None,
        directory_table: str | None = None,
    ) -> None:
        self._client = client
        self._budgets_table = budgets_table
        self._jobs_table = jobs_table
        self._directory_table = directory_table

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    @property
    def budgets_table(self) -> str:
        return self._budgets_table or aws.table_name(resources.BUDGETS)

    @property
    def jobs_table(self) -> str:
        return self._jobs_table or aws.table_name(resources.JOBS)

    @property
    def directory_table(self) -> str:
        return self._directory_table or aws.table_name(resources.DIRECTORY)

    def header(self, company_id: str, budget_id: str) -> BudgetHeaderItem | None:
        """A budget's header item, read consistently; None when there is no such budget."""
        answer = self.client.get_item(
            TableName=self.budgets_table,
            Key=key(budget_pk(company_id, budget_id), HEAD),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return BudgetHeaderItem.model_validate(deserialize(item)) if item else None
