"""What every DynamoDB store shares: its client, built on first use, and the names of its tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.base import batch_write, deserialize, key, serialize
from chalicelib.adapters.dynamodb.items import (
    HEAD,
    BudgetHeaderItem,
    ChunkIndex,
    budget_pk,
    change_row,
    changes_sk,
    finished_job_expiry,
    index_of,
    job_pk,
    pack_chunks,
)
from chalicelib.config import settings
from chalicelib.domain.model import ChangeRecord, Job, utc_now


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
        return self._budgets_table or settings().budgets_table

    @property
    def jobs_table(self) -> str:
        return self._jobs_table or settings().jobs_table

    @property
    def directory_table(self) -> str:
        return self._directory_table or settings().directory_table

    def read_item(self, table: str, pk: str, sk: str) -> dict[str, Any] | None:
        """One item, read consistently and deserialized; None when there is none."""
        answer = self.client.get_item(TableName=table, Key=key(pk, sk), ConsistentRead=True)
        item = answer.get("Item")
        return deserialize(item) if item else None

    def header(self, company_id: str, budget_id: str) -> BudgetHeaderItem | None:
        """A budget's header item; None when there is no such budget."""
        item = self.read_item(self.budgets_table, budget_pk(company_id, budget_id), HEAD)
        return BudgetHeaderItem.model_validate(item) if item else None

    def write_changes(self, job: Job, changes: Sequence[ChangeRecord]) -> ChunkIndex:
        """Write a job's change records, packed like lines, as `CHANGES#<n>` items of the job."""
        puts, index = self.change_puts(job, changes)
        batch_write(self.client, self.jobs_table, [{"PutRequest": {"Item": p}} for p in puts])
        return index

    def change_puts(
        self, job: Job, changes: Sequence[ChangeRecord]
    ) -> tuple[list[dict[str, Any]], ChunkIndex]:
        """A job's change records as the serialised items to put, and their index."""
        ordered = sorted(changes, key=lambda change: change.key)
        chunks = pack_chunks([change_row(change) for change in ordered])
        pk = job_pk(job.company_id, job.job_id)
        # They expire with their job (which expires once finished; this is written just before).
        expires = finished_job_expiry(utc_now())
        puts = [
            serialize({"pk": pk, "sk": changes_sk(n), "data": c.data, "expires_at": expires})
            for n, c in enumerate(chunks)
        ]
        return puts, index_of(chunks)
