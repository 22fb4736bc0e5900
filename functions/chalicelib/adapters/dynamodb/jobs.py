"""The JobStore port on DynamoDB: jobs, their packed change records and line errors, and request
idempotency keys.

Enqueueing is one transaction across the Jobs and Budgets tables, so a budget names at most one
active job and a job exists only if its budget accepted it.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb.base import (
    batch_get,
    batch_write,
    cancellation_codes,
    decode_cursor,
    deserialize,
    encode_cursor,
    key,
    serialize,
    value,
)
from chalicelib.adapters.dynamodb.base import error_code as aws_error_code
from chalicelib.adapters.dynamodb.items import (
    ERRORS_IN_ITEM,
    HEAD,
    META,
    QUEUED_PK,
    ChunkIndex,
    IdempotencyItem,
    JobItem,
    budget_pk,
    changes_sk,
    company_pk,
    dump_index,
    errors_sk,
    finished_job_expiry,
    idempotency_pk,
    inline_errors,
    job_pk,
    load_index,
    pack_chunks,
    pack_error_chunks,
    pack_errors,
    row_change,
    row_error,
    row_write,
    to_item,
    unpack,
    write_row,
    writes_sk,
)
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.domain import admission
from chalicelib.domain.errors import (
    ConcurrentChange,
    InvalidRequest,
    NotFound,
)
from chalicelib.domain.model import (
    RUNNING_MESSAGE,
    Budget,
    ChangeRecord,
    Job,
    JobStatus,
    LineError,
    Phase,
    Progress,
    TargetWrite,
    Totals,
    iso,
    iso_precise,
    job_order_key,
    utc_now,
)
from chalicelib.domain.ports import MAX_ENQUEUED_TOGETHER, Page

IDEMPOTENCY_SECONDS = 24 * 3600
# abandoned() answers at most this many jobs per sweep; the next sweep takes the rest.
MAX_ABANDONED = 100
_TRANSACTION_ATTEMPTS = 3
WRITES = "WRITES"  # the marker item of a job's write-ahead record
WRITES_KEPT_SECONDS = 30 * 24 * 3600  # long after any redelivery could need it


def _job_not_found() -> NotFound:
    return NotFound("There is no such job in this company.")


class DynamoJobStore(DynamoTables):
    def _item(self, company_id: str, job_id: str) -> JobItem | None:
        item = self.read_item(self.jobs_table, job_pk(company_id, job_id), META)
        return JobItem.model_validate(item) if item else None

    # --- enqueue ----------------------------------------------------------------------------

    def enqueue(self, job: Job, budget: Budget, idempotency_key: str | None) -> Job:
        if not admission.holds_budget(job.kind):
            return self._record_preview(job, budget)
        items = self._job_and_claim(job, budget)
        if idempotency_key is not None:
            items.append({"Put": self._idempotency_put(budget, job, idempotency_key)})
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items)
                return job
            except ClientError as error:
                if aws_error_code(error) != "TransactionCanceledException":
                    raise
                codes = cancellation_codes(error)
            earlier = (
                None if idempotency_key is None else self.idempotent_job(budget, idempotency_key)
            )
            if earlier is not None:
                return earlier
            if "ConditionalCheckFailed" in codes:
                break
            if attempt + 1 < _TRANSACTION_ATTEMPTS:
                time.sleep(0.05 * (attempt + 1))
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise NotFound("There is no such budget in this company.")
        admission.check_can_take(head, job.kind)
        raise ConcurrentChange("The budget changed while the job was being queued; try again.")

    def enqueue_all(self, jobs: Sequence[tuple[Job, Budget]]) -> builtins.list[Job]:
        """Up to MAX_ENQUEUED_TOGETHER jobs in ONE transaction (each job and its claim): the
        schedule's calls fall from one per job to one per company (docs/performance.md, "Fleet").
        A refusal of any budget cancels the whole transaction, so nothing is half recorded."""
        if not jobs:
            return []
        if len(jobs) > MAX_ENQUEUED_TOGETHER or any(
            not admission.holds_budget(job.kind) for job, _ in jobs
        ):
            raise InvalidRequest(
                f"At most {MAX_ENQUEUED_TOGETHER} jobs that hold their budget go in one step."
            )
        items = [item for job, budget in jobs for item in self._job_and_claim(job, budget)]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if aws_error_code(error) != "TransactionCanceledException":
                raise
            raise ConcurrentChange(
                "A budget changed while the jobs were being queued; nothing was recorded."
            ) from None
        return [job for job, _ in jobs]

    def _job_and_claim(self, job: Job, budget: Budget) -> builtins.list[dict[str, Any]]:
        """The job, refused if its id exists, and its hold on the budget."""
        put = {
            "TableName": self.jobs_table,
            "Item": serialize(to_item(JobItem.from_job(job))),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        return [{"Put": put}, {"Update": self._claim(budget, job)}]

    def _claim(self, budget: Budget, job: Job) -> dict[str, Any]:
        """The budget's side of enqueueing: the conditions of `domain/admission.refusal`, checked
        atomically, and the hold on the budget."""
        condition = (
            "attribute_exists(pk) AND attribute_not_exists(active_job_id) AND locked = :false"
        )
        values = {":job": value(job.job_id), ":false": value(False)}
        names: dict[str, str] = {}
        if admission.needs_link(job.kind):
            condition += " AND erp_job_id <> :unlinked"
            values[":unlinked"] = value("")
        needed = admission.needed_status(job.kind)
        if needed is not None:
            condition += " AND #status = :needed"
            values[":needed"] = value(needed.value)
            names["#status"] = "status"
        claim: dict[str, Any] = {
            "TableName": self.budgets_table,
            "Key": key(budget_pk(budget.company_id, budget.budget_id), HEAD),
            "UpdateExpression": "SET active_job_id = :job",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            claim["ExpressionAttributeNames"] = names
        return claim

    def _idempotency_put(self, budget: Budget, job: Job, idempotency_key: str) -> dict[str, Any]:
        """The key's marker naming the job, for 24 hours; refused while a live marker exists."""
        now = int(time.time())
        marker = IdempotencyItem(
            pk=idempotency_pk(budget.company_id, budget.budget_id, idempotency_key),
            job_id=job.job_id,
            expires_at=now + IDEMPOTENCY_SECONDS,
        )
        return {
            "TableName": self.jobs_table,
            "Item": serialize(to_item(marker)),
            # TTL deletes lazily: an expired key still present counts as absent.
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": value(now)},
        }

    def _record_preview(self, job: Job, budget: Budget) -> Job:
        """A preview holds nothing: it is recorded on its own, and only for a budget that exists."""
        if self.header(budget.company_id, budget.budget_id) is None:
            raise NotFound("There is no such budget in this company.")
        try:
            self.client.put_item(
                TableName=self.jobs_table,
                Item=serialize(to_item(JobItem.from_job(job))),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise
            raise ConcurrentChange("A job with this id exists already; try again.") from None
        return job

    def release_idempotency_key(self, budget: Budget, idempotency_key: str, job_id: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.jobs_table,
                Key=key(
                    idempotency_pk(budget.company_id, budget.budget_id, idempotency_key), "KEY"
                ),
                ConditionExpression="job_id = :job",
                ExpressionAttributeValues={":job": value(job_id)},
            )
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise  # the marker names another job by now: it stays

    def idempotent_job(self, budget: Budget, idempotency_key: str) -> Job | None:
        stored = self.read_item(
            self.jobs_table,
            idempotency_pk(budget.company_id, budget.budget_id, idempotency_key),
            "KEY",
        )
        if stored is None:
            return None
        marker = IdempotencyItem.model_validate(stored)
        if marker.expires_at <= int(time.time()):
            return None
        item = self._item(budget.company_id, marker.job_id)
        return item.to_job() if item else None

    # --- reading ----------------------------------------------------------------------------

    def get(self, company_id: str, job_id: str) -> Job:
        item = self._item(company_id, job_id)
        if item is None:
            raise _job_not_found()
        return item.to_job()

    def list(
        self, company_id: str, budget_id: str | None, limit: int, cursor: str | None
    ) -> Page[Job]:
        if budget_id is None:
            index, gpk, gsk, partition = "by_company", "gsi1pk", "gsi1sk", company_pk(company_id)
        else:
            index, gpk, gsk = "by_budget", "gsi2pk", "gsi2sk"
            partition = budget_pk(company_id, budget_id)
        query: dict[str, Any] = {
            "TableName": self.jobs_table,
            "IndexName": index,
            "KeyConditionExpression": f"{gpk} = :p",
            "ExpressionAttributeValues": {":p": value(partition)},
            "ScanIndexForward": False,
            "Limit": max(1, limit),
        }
        if cursor:
            start = decode_cursor(cursor, ["pk", "sk", gpk, gsk])
            if start[gpk] != partition:
                raise InvalidRequest(
                    "The cursor is not valid: pass the next_cursor of a previous answer."
                )
            query["ExclusiveStartKey"] = {name: value(text) for name, text in start.items()}
        answer = self.client.query(**query)
        jobs = [JobItem.model_validate(deserialize(i)).to_job() for i in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        next_cursor = encode_cursor(deserialize(last)) if last else None
        return Page(jobs, next_cursor)

    def changes(self, job: Job, offset: int, limit: int) -> builtins.list[ChangeRecord]:
        if offset < 0 or limit <= 0:
            return []
        item = self._item(job.company_id, job.job_id)
        if item is None:
            raise _job_not_found()
        index = load_index(item.change_index)
        numbers, start, position = [], None, 0
        for number, (_, count) in enumerate(index):
            if position + count > offset and position < offset + limit:
                numbers.append(number)
                if start is None:
                    start = offset - position
            position += count
        if not numbers or start is None:
            return []
        pk = job_pk(job.company_id, job.job_id)
        found = {
            chunk["sk"]: unpack(chunk["data"])
            for chunk in batch_get(
                self.client, self.jobs_table, [key(pk, changes_sk(n)) for n in numbers]
            )
        }
        rows = [row for n in numbers for row in found.get(changes_sk(n), [])]
        return [row_change(row) for row in rows[start : start + limit]]

    def errors(self, job: Job, offset: int, limit: int) -> tuple[builtins.list[LineError], int]:
        item = self._item(job.company_id, job.job_id)
        if item is None:
            raise _job_not_found()
        inline = inline_errors(item.errors)
        total = len(inline) if item.error_count is None else item.error_count
        if offset < 0 or limit <= 0 or offset >= total:
            return [], total
        if item.error_index is None or offset + limit <= len(inline):
            # Every error is inline (few of them, or an item of the old layout), or the page is
            # within the first ERRORS_IN_ITEM: no chunk to read.
            page = inline[offset : offset + limit]
            return [LineError.model_validate(error) for error in page], total
        counts = [int(count) for count in json.loads(item.error_index)]
        numbers: builtins.list[int] = []
        start = position = 0
        for number, count in enumerate(counts):
            if position + count > offset and position < offset + limit:
                if not numbers:
                    start = offset - position
                numbers.append(number)
            position += count
        pk = job_pk(job.company_id, job.job_id)
        found = {
            chunk["sk"]: unpack(chunk["data"])
            for chunk in batch_get(
                self.client, self.jobs_table, [key(pk, errors_sk(n)) for n in numbers]
            )
        }
        rows = [row for n in numbers for row in found.get(errors_sk(n), [])]
        return [row_error(row) for row in rows[start : start + limit]], total

    # --- the write-ahead record of a job that writes to another system (Procore) ---------------

    def record_writes(self, job: Job, writes: Sequence[TargetWrite]) -> None:
        """Chunks first, then the marker naming how many: a record is complete or absent."""
        pk = job_pk(job.company_id, job.job_id)
        chunks = pack_chunks([write_row(w) for w in writes])
        expires = int(time.time()) + WRITES_KEPT_SECONDS
        batch_write(
            self.client,
            self.jobs_table,
            [
                {"PutRequest": {"Item": serialize(
                    {"pk": pk, "sk": writes_sk(n), "data": c.data, "expires_at": expires})}}
                for n, c in enumerate(chunks)
            ],
        )  # fmt: skip
        self.client.put_item(
            TableName=self.jobs_table,
            Item=serialize({"pk": pk, "sk": WRITES, "chunks": len(chunks), "expires_at": expires}),
        )

    def recorded_writes(self, job: Job) -> builtins.list[TargetWrite]:
        pk = job_pk(job.company_id, job.job_id)
        marker = self.read_item(self.jobs_table, pk, WRITES)
        if marker is None:
            return []
        numbers = range(int(marker["chunks"]))
        found = {
            chunk["sk"]: unpack(chunk["data"])
            for chunk in batch_get(
                self.client, self.jobs_table, [key(pk, writes_sk(n)) for n in numbers]
            )
        }
        return [row_write(row) for n in numbers for row in found.get(writes_sk(n), [])]

    def abandoned(self, older_than: datetime) -> builtins.list[Job]:
        """Queued jobs requested before `older_than`, oldest first, from the sparse index."""
        query: dict[str, Any] = {
            "TableName": self.jobs_table,
            "IndexName": "queued",
            "KeyConditionExpression": "queued_pk = :q AND queued_sk < :t",
            "ExpressionAttributeValues": {
                ":q": value(QUEUED_PK),
                ":t": value(job_order_key(older_than)),
            },
            "Limit": MAX_ABANDONED,
        }
        answer = self.client.query(**query)
        found = [JobItem.model_validate(deserialize(i)).to_job() for i in answer["Items"]]
        return [job for job in found if job.status is JobStatus.QUEUED][:MAX_ABANDONED]

    def unfinished(self, company_id: str, limit: int) -> builtins.list[Job]:
        """From the sparse `unfinished` index: only the company's queued and running jobs are in
        it, so this reads a few items whatever the company's history. The index is eventually
        consistent: a job that finished a moment ago may still show (its status then says so and
        it is left out), one queued a moment ago may not show yet."""
        answer = self.client.query(
            TableName=self.jobs_table,
            IndexName="unfinished",
            KeyConditionExpression="open_pk = :p",
            ExpressionAttributeValues={":p": value(company_pk(company_id))},
            ScanIndexForward=False,
            Limit=max(1, limit),
        )
        found = [JobItem.model_validate(deserialize(i)).to_job() for i in answer["Items"]]
        return [job for job in found if not job.status.finished][:limit]

    # --- moving a job along -----------------------------------------------------------------

    def start(self, company_id: str, job_id: str, now: datetime) -> Job:
        # One round trip whatever the job's state: a job that has finished comes back with the
        # refusal (ReturnValuesOnConditionCheckFailure) instead of being read first.
        progress = Progress(phase=Phase.FETCHING)
        try:
            answer = self.client.update_item(
                TableName=self.jobs_table,
                Key=key(job_pk(company_id, job_id), META),
                UpdateExpression=(
                    "SET #status = :running, started_at = if_not_exists(started_at, :now), "
                    "attempts = if_not_exists(attempts, :zero) + :one, progress = :p, "
                    "message = :m REMOVE queued_pk, queued_sk"
                ),
                ConditionExpression="#status IN (:queued, :running)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": value(JobStatus.IN_PROGRESS.value),
                    ":queued": value(JobStatus.QUEUED.value),
                    ":now": value(iso_precise(now)),
                    ":zero": value(0),
                    ":one": value(1),
                    ":p": value(progress.model_dump_json()),
                    ":m": value(RUNNING_MESSAGE),
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise
            as_it_was = error.response.get("Item")
            if not as_it_was:  # the condition failed on no item at all
                raise _job_not_found() from None
            return JobItem.model_validate(deserialize(as_it_was)).to_job()
        return JobItem.model_validate(deserialize(answer["Attributes"])).to_job()

    def report_progress(self, job: Job, progress: Progress) -> None:
        try:
            self.client.update_item(
                TableName=self.jobs_table,
                Key=key(job_pk(job.company_id, job.job_id), META),
                UpdateExpression="SET progress = :p",
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":p": value(progress.model_dump_json()),
                    ":running": value(JobStatus.IN_PROGRESS.value),
                },
            )
        except ClientError as error:
            # Progress of a job that finished meanwhile is of no interest to anyone.
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise

    def report_waiting(self, job: Job, message: str) -> None:
        """A running job waits for its next attempt: say so (and why) in its message."""
        try:
            self.client.update_item(
                TableName=self.jobs_table,
                Key=key(job_pk(job.company_id, job.job_id), META),
                UpdateExpression="SET message = :m",
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":m": value(message),
                    ":running": value(JobStatus.IN_PROGRESS.value),
                },
            )
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise

    def fail(
        self,
        job: Job,
        message: str,
        errors: Sequence[LineError],
        finished_at: datetime,
        error_code: str | None = None,
        totals: Totals | None = None,
        scheduled: bool = False,
    ) -> Job:
        error_index = None
        if len(errors) > ERRORS_IN_ITEM:
            current = self._item(job.company_id, job.job_id)
            if current is None:
                raise _job_not_found()
            if current.status.finished:
                return current.to_job()  # left as it was: its error chunks are not touched
            error_index = self._write_errors(job, errors, finished_at)
        job_update = fail_update(
            self.jobs_table, job, message, errors, finished_at, error_code, totals, error_index
        )
        release: dict[str, Any] = {
            "TableName": self.budgets_table,
            "Key": key(budget_pk(job.company_id, job.budget_id), HEAD),
            "UpdateExpression": "REMOVE active_job_id",
            "ConditionExpression": "active_job_id = :job",
            "ExpressionAttributeValues": {":job": value(job.job_id)},
        }
        if scheduled:  # the schedule counts its interval from it (services/reimports._due)
            release["UpdateExpression"] = "SET last_failed_at = :failed REMOVE active_job_id"
            release["ExpressionAttributeValues"][":failed"] = value(iso(finished_at))
        for _ in range(_TRANSACTION_ATTEMPTS):
            try:
                self.client.transact_write_items(
                    TransactItems=[{"Update": job_update}, {"Update": release}]
                )
                return self.get(job.company_id, job.job_id)
            except ClientError as error:
                if aws_error_code(error) != "TransactionCanceledException":
                    raise
                codes = cancellation_codes(error)
            if codes and codes[0] == "ConditionalCheckFailed":
                return self.get(job.company_id, job.job_id)  # finished already: left as it was
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                # The budget no longer names this job: just finish the job.
                try:
                    self.client.update_item(**job_update)
                except ClientError as error:
                    if aws_error_code(error) != "ConditionalCheckFailedException":
                        raise
                return self.get(job.company_id, job.job_id)
        raise ConcurrentChange("The job could not be finished; it will be retried.")

    def _write_errors(
        self, job: Job, errors: Sequence[LineError], finished_at: datetime
    ) -> builtins.list[int]:
        """Every line error as `ERRORS#<n>` items of the job, BEFORE the status changes: too many
        for the failing transaction (100 items, 4 MB), they cannot ride in it, so a reader never
        sees the job failed without them. Keyed by the job alone, so a retry after a stop between
        the two overwrites the same items; one that writes fewer chunks leaves the items past
        them unreferenced (the job's index names the chunks it has), to expire with the job."""
        chunks = pack_error_chunks(errors)
        pk = job_pk(job.company_id, job.job_id)
        expires = finished_job_expiry(finished_at)
        batch_write(
            self.client,
            self.jobs_table,
            [
                {"PutRequest": {"Item": serialize(
                    {"pk": pk, "sk": errors_sk(n), "data": c.data, "expires_at": expires})}}
                for n, c in enumerate(chunks)
            ],
        )  # fmt: skip
        return [chunk.count for chunk in chunks]

    def finish_preview(self, finished: Job, changes: Sequence[ChangeRecord]) -> Job:
        change_index = self.write_changes(finished, changes)
        try:
            self.client.update_item(**succeed_update(self.jobs_table, finished, change_index))
        except ClientError as error:
            if aws_error_code(error) != "ConditionalCheckFailedException":
                raise
        return self.get(finished.company_id, finished.job_id)


def fail_update(
    jobs_table: str,
    job: Job,
    message: str,
    errors: Sequence[LineError],
    finished_at: datetime,
    error_code: str | None,
    totals: Totals | None = None,
    error_index: Sequence[int] | None = None,
) -> dict[str, Any]:
    """A queued or running job's move to failed, with its line errors, error code and totals: the
    first ERRORS_IN_ITEM errors on the item, and the count of them all; `error_index` names the
    rows of each `ERRORS#` item written before (None: the item holds every error)."""
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":failed": value(JobStatus.FAILED.value),
        ":queued": value(JobStatus.QUEUED.value),
        ":running": value(JobStatus.IN_PROGRESS.value),
        ":when": value(iso_precise(finished_at)),
        ":expires": value(finished_job_expiry(finished_at)),
    }
    expression = "SET #status = :failed, message = :m, finished_at = :when, expires_at = :expires"
    if errors:
        expression += ", #errors = :e, error_count = :n"
        names["#errors"] = "errors"
        values[":e"] = value(pack_errors(errors[:ERRORS_IN_ITEM]))
        values[":n"] = value(len(errors))
        if error_index is not None:
            expression += ", error_index = :ei"
            values[":ei"] = value(json.dumps(list(error_index), separators=(",", ":")))
    if error_code is not None:
        expression += ", error_code = :code"
        values[":code"] = value(error_code)
    if totals is not None:
        expression += ", totals = :totals"
        values[":totals"] = value(totals.model_dump_json())
    values[":m"] = value(message)
    return {
        "TableName": jobs_table,
        "Key": key(job_pk(job.company_id, job.job_id), META),
        "UpdateExpression": expression + " REMOVE queued_pk, queued_sk, open_pk",
        "ConditionExpression": "#status IN (:queued, :running)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def succeed_update(jobs_table: str, finished: Job, change_index: ChunkIndex) -> dict[str, Any]:
    """A running job's move to succeeded, as `finished` holds it: an UpdateItem, or one item of
    the commit's transaction (adapters/dynamodb/budgets.py). Refused once the job has finished."""
    values = {
        ":succeeded": value(JobStatus.SUCCEEDED.value),
        ":running": value(JobStatus.IN_PROGRESS.value),
        ":m": value(finished.message),
        ":s": value(finished.summary.model_dump_json() if finished.summary else None),
        ":c": value(finished.change_count),
        ":ci": value(dump_index(change_index)),
        ":when": value(iso_precise(finished.finished_at)),
        ":p": value(finished.progress.model_dump_json() if finished.progress else None),
        ":totals": value(finished.totals.model_dump_json() if finished.totals else None),
        ":basis": value(finished.basis.model_dump_json() if finished.basis else None),
        ":expires": value(finished_job_expiry(finished.finished_at or utc_now())),
    }
    return {
        "TableName": jobs_table,
        "Key": key(job_pk(finished.company_id, finished.job_id), META),
        "UpdateExpression": (
            "SET #status = :succeeded, message = :m, summary = :s, change_count = :c, "
            "change_index = :ci, finished_at = :when, progress = :p, totals = :totals, "
            "basis = :basis, expires_at = :expires REMOVE queued_pk, queued_sk, open_pk"
        ),
        "ConditionExpression": "#status = :running",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
    }


__all__ = ["DynamoJobStore", "succeed_update"]
