"""The BudgetStore port on DynamoDB: versioned budgets whose lines are packed into chunk sets.

A budget is a header item (`BUDGET#<cid>#<bid>` / `HEAD`) naming the chunk set that holds its
current lines, plus the chunk items of that set (`SET#<set>#<n>`). A commit writes a whole new set
first, then switches the header to it in one transaction with the job's success, so a reader sees
the old version or the new one, never a mix. The previous set is kept (for the record and for
readers that started on it); older ones are deleted after a successful switch.
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import resources
from chalicelib.adapters.dynamodb.base import (
    batch_get,
    batch_write,
    cancellation_codes,
    decode_cursor,
    deserialize,
    encode_cursor,
    error_code,
    key,
    serialize,
    value,
)
from chalicelib.adapters.dynamodb.items import (
    HEAD,
    BudgetHeaderItem,
    ChunkIndex,
    ProjectPointerItem,
    budget_pk,
    budget_status_pk,
    change_row,
    changes_sk,
    chunk_sk,
    dump_index,
    index_of,
    job_pk,
    line_row,
    load_index,
    pack,
    pack_chunks,
    project_pk,
    row_line,
    to_iso,
    to_item,
    unpack,
)
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.adapters.lines import apply_edit, key_of
from chalicelib.domain.errors import (
    BudgetLocked,
    ConcurrentChange,
    InvalidRequest,
    JobInProgress,
    NotFound,
)
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ChangeRecord,
    Job,
    JobStatus,
    LineItem,
    Phase,
    Progress,
    Summary,
)
from chalicelib.domain.money import ZERO
from chalicelib.domain.ports import LineEdit, Page

# An edited chunk is rewritten in place; past this size it would risk DynamoDB's 400 KB item limit.
MAX_EDITED_CHUNK_BYTES = 390_000


def _not_found() -> NotFound:
    return NotFound("There is no such budget in this company.")


def _moved(what: str = "budget") -> ConcurrentChange:
    return ConcurrentChange(f"The {what} changed meanwhile; reload it and try again.")


class DynamoBudgetStore(DynamoTables):
    # --- headers ----------------------------------------------------------------------------

    def get(self, company_id: str, budget_id: str) -> Budget:
        head = self.header(company_id, budget_id)
        if head is None:
            raise _not_found()
        return head.to_budget()

    def get_by_project(self, company_id: str, project_id: str) -> Budget:
        item = self.read_item(self.budgets_table, project_pk(company_id, project_id), "PROJECT")
        if item is None:
            raise NotFound("There is no such project in this company.")
        pointer = ProjectPointerItem.model_validate(item)
        return self.get(company_id, pointer.budget_id)

    def list(
        self, company_id: str, status: BudgetStatus | None, limit: int, cursor: str | None
    ) -> Page[Budget]:
        """Ordered by project name; both status partitions are merged when no status is asked."""
        after = decode_cursor(cursor, ["after"])["after"] if cursor else None
        statuses = [status] if status is not None else list(BudgetStatus)
        found: builtins.list[BudgetHeaderItem] = []
        for each in statuses:
            found += self._query_status(company_id, each, after, limit + 1)
        found.sort(key=lambda head: head.gsi1sk)
        page = found[:limit]
        more = len(found) > limit
        next_cursor = encode_cursor({"after": page[-1].gsi1sk}) if more and page else None
        return Page([head.to_budget() for head in page], next_cursor)

    def _query_status(
        self, company_id: str, status: BudgetStatus, after: str | None, want: int
    ) -> builtins.list[BudgetHeaderItem]:
        condition = "gsi1pk = :p"
        values: dict[str, Any] = {":p": value(budget_status_pk(company_id, status))}
        if after is not None:
            condition += " AND gsi1sk > :a"
            values[":a"] = value(after)
        query: dict[str, Any] = {
            "TableName": self.budgets_table,
            "IndexName": resources.BUDGETS.indexes[0].name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": want,
        }
        found: builtins.list[BudgetHeaderItem] = []
        while len(found) < want:
            answer = self.client.query(**query)
            found += [BudgetHeaderItem.model_validate(deserialize(i)) for i in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found[:want]

    # --- lines ------------------------------------------------------------------------------

    def _layout(self, budget: Budget) -> tuple[BudgetHeaderItem, str, ChunkIndex]:
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        layout = head.layout_for(budget.version)
        if layout is None:
            raise _moved()
        return head, *layout

    def _read_chunks(
        self, budget: Budget, chunk_set: str, numbers: Sequence[int]
    ) -> builtins.list[builtins.list[builtins.list[Any]]]:
        """The rows of chunks `numbers` of a set, in order; ConcurrentChange if one is gone."""
        pk = budget_pk(budget.company_id, budget.budget_id)
        wanted = {chunk_sk(chunk_set, n): i for i, n in enumerate(numbers)}
        items = batch_get(self.client, self.budgets_table, [key(pk, sk) for sk in wanted])
        rows: builtins.list[list[list[Any]] | None] = [None] * len(numbers)
        for item in items:
            rows[wanted[item["sk"]]] = unpack(item["data"])
        if any(r is None for r in rows):
            # Only sets older than the kept previous one are deleted: the budget moved on twice.
            raise _moved()
        return rows  # type: ignore[return-value]

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        _, chunk_set, index = self._layout(budget)
        chunks = self._read_chunks(budget, chunk_set, range(len(index)))
        return [row_line(row) for rows in chunks for row in rows]

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        if offset < 0 or limit <= 0:
            return []
        _, chunk_set, index = self._layout(budget)
        numbers, start, position = [], None, 0
        for number, (_, count) in enumerate(index):
            if position + count > offset and position < offset + limit:
                numbers.append(number)
                if start is None:
                    start = offset - position
            position += count
        if not numbers or start is None:
            return []
        rows = [row for rows in self._read_chunks(budget, chunk_set, numbers) for row in rows]
        return [row_line(row) for row in rows[start : start + limit]]

    def write_chunks(self, budget: Budget, chunk_set: str, lines: Sequence[LineItem]) -> ChunkIndex:
        """Write `lines` (sorted here) as chunk set `chunk_set`; nothing points at it yet.

        The first step of a commit, public so tests can stop a commit right after it.
        """
        ordered = sorted(lines, key=lambda line: line.key)
        chunks = pack_chunks([line_row(line) for line in ordered])
        pk = budget_pk(budget.company_id, budget.budget_id)
        batch_write(
            self.client,
            self.budgets_table,
            [
                {
                    "PutRequest": {
                        "Item": serialize(
                            {
                                "pk": pk,
                                "sk": chunk_sk(chunk_set, n),
                                "count": c.count,
                                "data": c.data,
                            }  # fmt: skip
                        )
                    }
                }
                for n, c in enumerate(chunks)
            ],
        )
        return index_of(chunks)

    def write_changes(self, job: Job, changes: Sequence[ChangeRecord]) -> ChunkIndex:
        """Write a job's change records, packed like lines, as `CHANGES#<n>` items of the job."""
        ordered = sorted(changes, key=lambda change: change.key)
        chunks = pack_chunks([change_row(change) for change in ordered])
        pk = job_pk(job.company_id, job.job_id)
        batch_write(
            self.client,
            self.jobs_table,
            [
                {"PutRequest": {"Item": serialize({"pk": pk, "sk": changes_sk(n), "data": c.data})}}
                for n, c in enumerate(chunks)
            ],
        )
        return index_of(chunks)

    def _delete_set(self, budget: Budget, chunk_set: str | None, count: int) -> None:
        if not chunk_set or count <= 0:
            return
        pk = budget_pk(budget.company_id, budget.budget_id)
        # Best effort: an old set left behind only costs storage.
        with contextlib.suppress(Exception):
            batch_write(
                self.client,
                self.budgets_table,
                [{"DeleteRequest": {"Key": key(pk, chunk_sk(chunk_set, n))}} for n in range(count)],
            )

    # --- commit -----------------------------------------------------------------------------

    def commit(
        self,
        budget: Budget,
        lines: Sequence[LineItem],
        total: Decimal,
        job: Job,
        summary: Summary,
        changes: Sequence[ChangeRecord],
        message: str,
        finished_at: datetime,
    ) -> Job:
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        self._check_can_apply(head, budget, job)
        # The set is named after the job: a redelivery that crashed before the switch overwrites
        # its own orphan chunks instead of leaving new ones behind.
        chunk_set = job.job_id
        index = self.write_chunks(budget, chunk_set, lines)
        change_index = self.write_changes(job, changes)
        return self.switch(
            head, budget, job, chunk_set, index, lines, summary, changes, change_index, message,
            finished_at,
        )  # fmt: skip

    def _check_can_apply(self, head: BudgetHeaderItem, budget: Budget, job: Job) -> None:
        if head.locked:
            raise BudgetLocked(
                f"The budget for {head.project_name} was locked, so the ERP budget was not "
                "applied and nothing changed. Unlock the budget to re-import."
            )
        if head.version != budget.version or head.active_job_id != job.job_id:
            raise _moved()
        if head.chunk_set == job.job_id:
            raise ConcurrentChange("This job has already been applied to the budget.")

    def switch(
        self,
        head: BudgetHeaderItem,
        budget: Budget,
        job: Job,
        chunk_set: str,
        index: ChunkIndex,
        lines: Sequence[LineItem],
        summary: Summary,
        changes: Sequence[ChangeRecord],
        change_index: ChunkIndex,
        message: str,
        finished_at: datetime,
    ) -> Job:
        """The commit's one transaction: the header moves to the new set and the job succeeds."""
        total = sum((line.original_budget_amount for line in lines), ZERO)
        when = to_iso(finished_at)
        progress = Progress(phase=Phase.APPLYING, done=len(lines), total=len(lines))
        header_update = {
            "TableName": self.budgets_table,
            "Key": key(head.pk, HEAD),
            "UpdateExpression": (
                "SET version = version + :one, chunk_set = :set, chunk_index = :idx, "
                "#total = :total, line_count = :n, #status = :synced, gsi1pk = :gpk, "
                "last_synced_at = :when, last_applied_job_id = :job, previous_version = :pv, "
                "previous_chunk_set = :pset, previous_chunk_index = :pidx REMOVE active_job_id"
            ),
            "ConditionExpression": "version = :v AND locked = :false AND active_job_id = :job",
            "ExpressionAttributeNames": {"#total": "total", "#status": "status"},
            "ExpressionAttributeValues": {
                ":one": value(1),
                ":set": value(chunk_set),
                ":idx": value(dump_index(index)),
                ":total": value(f"{total:f}"),
                ":n": value(len(lines)),
                ":synced": value(BudgetStatus.SYNCED.value),
                ":gpk": value(budget_status_pk(head.company_id, BudgetStatus.SYNCED)),
                ":when": value(when),
                ":job": value(job.job_id),
                ":pv": value(head.version),
                ":pset": value(head.chunk_set),
                ":pidx": value(head.chunk_index),
                ":v": value(budget.version),
                ":false": value(False),
            },
        }
        job_update = {
            "TableName": self.jobs_table,
            "Key": key(job_pk(job.company_id, job.job_id), "META"),
            "UpdateExpression": (
                "SET #status = :succeeded, message = :m, summary = :s, change_count = :c, "
                "change_index = :ci, finished_at = :when, progress = :p"
            ),
            "ConditionExpression": "#status = :running",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":succeeded": value(JobStatus.SUCCEEDED.value),
                ":running": value(JobStatus.IN_PROGRESS.value),
                ":m": value(message),
                ":s": value(summary.model_dump_json()),
                ":c": value(len(changes)),
                ":ci": value(dump_index(change_index)),
                ":when": value(when),
                ":p": value(progress.model_dump_json()),
            },
        }
        try:
            self.client.transact_write_items(
                TransactItems=[{"Update": header_update}, {"Update": job_update}]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            codes = cancellation_codes(error)
            fresh = self.header(budget.company_id, budget.budget_id)
            if fresh is None:
                raise _not_found() from None
            if fresh.locked:
                self._check_can_apply(fresh, budget, job)  # raises BudgetLocked
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise ConcurrentChange(
                    "The job is no longer running; nothing was applied."
                ) from None
            raise _moved() from None
        # Keep the set just replaced; the one before it is no longer anyone's.
        if head.previous_chunk_set not in (None, head.chunk_set, chunk_set):
            self._delete_set(
                budget, head.previous_chunk_set, len(load_index(head.previous_chunk_index))
            )
        return job.model_copy(
            update={
                "status": JobStatus.SUCCEEDED,
                "message": message,
                "summary": summary,
                "change_count": len(changes),
                "finished_at": finished_at,
                "progress": progress,
            }
        )

    # --- edits and locks --------------------------------------------------------------------

    def edit_line(self, budget: Budget, line_item_id: str, edit: LineEdit) -> LineItem:
        wbs = key_of(line_item_id)
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        if head.locked:
            raise self._locked_for_edit(head)
        if head.version != budget.version:
            raise _moved()
        index = load_index(head.chunk_index)
        target = (wbs.sub_job, wbs.cost_code, wbs.cost_type)
        number = bisect.bisect_right([tuple(first) for first, _ in index], target) - 1
        if number < 0:
            raise NotFound("There is no such line item in this budget.")
        rows = self._read_chunks(budget, head.chunk_set, [number])[0]
        position = next((i for i, row in enumerate(rows) if tuple(row[:3]) == target), None)
        if position is None:
            raise NotFound("There is no such line item in this budget.")
        old = row_line(rows[position])
        edited = apply_edit(old, edit)
        rows[position] = line_row(edited)
        data = pack(rows)
        if len(data) > MAX_EDITED_CHUNK_BYTES:
            raise InvalidRequest("The edit makes this part of the budget too large to store.")
        total = Decimal(head.total) - old.original_budget_amount + edited.original_budget_amount
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.budgets_table,
                            "Item": serialize(
                                {
                                    "pk": head.pk,
                                    "sk": chunk_sk(head.chunk_set, number),
                                    "count": len(rows),
                                    "data": data,
                                }  # fmt: skip
                            ),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.budgets_table,
                            "Key": key(head.pk, HEAD),
                            "UpdateExpression": "SET version = version + :one, #total = :t",
                            "ConditionExpression": "version = :v AND locked = :false",
                            "ExpressionAttributeNames": {"#total": "total"},
                            "ExpressionAttributeValues": {
                                ":one": value(1),
                                ":t": value(f"{total:f}"),
                                ":v": value(budget.version),
                                ":false": value(False),
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            fresh = self.header(budget.company_id, budget.budget_id)
            if fresh is not None and fresh.locked:
                raise self._locked_for_edit(fresh) from None
            raise _moved() from None
        return edited

    @staticmethod
    def _locked_for_edit(head: BudgetHeaderItem) -> BudgetLocked:
        return BudgetLocked(
            f"The budget for {head.project_name} is locked. Unlock the budget to edit its lines."
        )

    def set_locked(self, budget: Budget, locked: bool) -> Budget:
        try:
            answer = self.client.update_item(
                TableName=self.budgets_table,
                Key=key(budget_pk(budget.company_id, budget.budget_id), HEAD),
                UpdateExpression="SET locked = :l",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":l": value(locked)},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise _not_found() from None
            raise
        return BudgetHeaderItem.model_validate(deserialize(answer["Attributes"])).to_budget()

    def unlink(self, budget: Budget) -> Budget:
        """Off the ERP Budgets lists: the status index key moves to a partition no list reads."""
        try:
            answer = self.client.update_item(
                TableName=self.budgets_table,
                Key=key(budget_pk(budget.company_id, budget.budget_id), HEAD),
                UpdateExpression="SET erp_job_id = :none, gsi1pk = :off",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(active_job_id)",
                ExpressionAttributeValues={
                    ":none": value(""),
                    ":off": value(f"COMPANY#{budget.company_id}#UNLINKED"),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            current = self.get(budget.company_id, budget.budget_id)
            raise JobInProgress(
                f"A job on the budget for {current.project_name} is queued or running; unlink "
                "the project when it has finished.",
                job_id=current.active_job_id or "",
            ) from None
        return BudgetHeaderItem.model_validate(deserialize(answer["Attributes"])).to_budget()

    # --- seeding (local stack, tests) -------------------------------------------------------

    def create_budget(self, budget: Budget, lines: Sequence[LineItem]) -> Budget:
        """Write a budget (header, project pointer, lines) as given; replaces one with its id.

        Totals and the line count are computed from `lines`.
        """
        stored = budget.model_copy(
            update={
                "total": sum((line.original_budget_amount for line in lines), ZERO),
                "line_count": len(lines),
            }
        )
        chunk_set = f"seed-{uuid.uuid4().hex[:12]}"
        index = self.write_chunks(stored, chunk_set, lines)
        head = BudgetHeaderItem.from_budget(stored, chunk_set, index)
        pointer = ProjectPointerItem(
            pk=project_pk(budget.company_id, budget.project_id), budget_id=budget.budget_id
        )
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.budgets_table, "Item": serialize(to_item(head))}},
                {"Put": {"TableName": self.budgets_table, "Item": serialize(to_item(pointer))}},
            ]
        )
        return head.to_budget()
