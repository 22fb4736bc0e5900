"""The BudgetStore port on DynamoDB: versioned budgets whose lines are packed into chunks.

A budget is a header item (`BUDGET#<cid>#<bid>` / `HEAD`) naming the chunks that hold its current
lines (`SET#<set>#<n>`: chunk `n` of set `<set>`), plus one history item per version
(`VERSION#<n>`) naming that version's chunks. Chunks are never changed once written (copy on
write): a commit or an edit writes new items only for the chunks whose lines it changes and names
the current version's items for the others, then in one transaction switches the header, records
the version (and, for a commit, finishes the job), so a reader sees the old version or the new
one, never a mix. Every kept version stays readable; versions out of the kept history, and the
chunks no later version names, expire by DynamoDB TTL (docs/history.md).
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import resources
from chalicelib.adapters.bounded import BoundedMemo
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
    SEED_AUTHOR,
    VERSION_PREFIX,
    BudgetHeaderItem,
    ChunkIndex,
    PackedChunk,
    ProjectPointerItem,
    VersionItem,
    budget_pk,
    budget_status_pk,
    budget_unlinked_pk,
    chunk_sk,
    dump_index,
    from_iso,
    index_of,
    line_row,
    load_index,
    pack,
    pack_chunks,
    project_pk,
    row_line,
    to_item,
    unpack,
    version_sk,
)
from chalicelib.adapters.dynamodb.jobs import succeed_update
from chalicelib.adapters.dynamodb.tables import DynamoTables
from chalicelib.adapters.lines import apply_edit, check_total, key_of, version_gone
from chalicelib.domain import admission
from chalicelib.domain.errors import (
    BudgetLocked,
    ConcurrentChange,
    InvalidRequest,
    JobInProgress,
    NotFound,
)
from chalicelib.domain.history import edit_summary
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    BudgetVersion,
    Job,
    LineItem,
    Summary,
    VersionSource,
    WbsKey,
    iso,
    utc_now,
)
from chalicelib.domain.money import ZERO
from chalicelib.domain.ports import LineEdit, Page
from chalicelib.domain.reimport import Plan, key_order, line_order
from chalicelib.observability import logger

# An edited chunk is rewritten in place; past this size it would risk DynamoDB's 400 KB item limit.
MAX_EDITED_CHUNK_BYTES = 390_000


def _not_found() -> NotFound:
    return NotFound("There is no such budget in this company.")


def _moved(what: str = "budget") -> ConcurrentChange:
    return ConcurrentChange(f"The {what} changed meanwhile; reload it and try again.")


def _version_gone() -> NotFound:
    return NotFound("This budget has no such version, or it is no longer kept.")


# History retention: every version is kept at least a year and each budget's last 100 always.
KEPT_VERSIONS = 100
KEEP_AT_LEAST = timedelta(days=365)


def _edit_version(
    head: BudgetHeaderItem, by: str, total: Decimal, summary: Summary, sets: list[str]
) -> VersionItem:
    """The history item of an edit: the header's chunks, one of them replaced by its copy."""
    return VersionItem(
        pk=head.pk,
        sk=version_sk(head.version + 1),
        version=head.version + 1,
        at=iso(utc_now()) or "",
        by=by,
        source=VersionSource.EDIT,
        total=f"{total:f}",
        line_count=head.line_count,
        summary=summary.model_dump_json(),
        status=head.status,
        locked=False,
        chunk_set=head.chunk_set,
        chunk_index=head.chunk_index,
        chunk_sets=json.dumps(sets, separators=(",", ":")),
    )


# A commit's rewritten chunks and change records ride in its switch transaction when they are
# this few and small (one TransactWriteItems instead of a BatchWriteItem more each); larger ones
# are written just before it. Together they stay well under a transaction's 4 MB and 100 items,
# and under a job's figure in docs/performance.md (a transaction bills twice per KB written).
CHUNKS_IN_SWITCH = 2
CHUNK_BYTES_IN_SWITCH = 800_000
CHANGES_IN_SWITCH = 4
CHANGE_BYTES_IN_SWITCH = 200_000


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a version's lines are: its chunk index, and the set of each chunk (`sets`), or
    None when every chunk is in `chunk_set`."""

    chunk_set: str
    index: ChunkIndex
    sets: builtins.list[str] | None = None
    # Chunk items not written yet: they are put by the switch transaction itself.
    puts: builtins.list[dict[str, Any]] = field(default_factory=list)


def _dump_sets(sets: Sequence[str]) -> str:
    return json.dumps(list(sets), separators=(",", ":"))


def _size(puts: Sequence[dict[str, Any]]) -> int:
    return sum(len(p["data"]["B"]) for p in puts)


def _copy_on_write(
    head: BudgetHeaderItem, plan: Plan, chunk_set: str
) -> tuple[_Layout, builtins.list[tuple[int, PackedChunk]]] | None:
    """The next version's layout when only the chunks holding a touched key are rewritten (each
    keeps its place and key range), with those chunks; None when the whole set must be written.

    Safe because the plan was made from the lines of `head.version`, and the switch only
    succeeds while the header is still at that version.
    """
    index = load_index(head.chunk_index)
    if plan.touched is None or not index:
        return None
    firsts = [tuple(first) for first, _ in index]

    def place(wbs: WbsKey) -> int:
        return max(0, bisect.bisect_right(firsts, key_order(wbs)) - 1)

    # The plan's lines are in key order, so each chunk's lines are one slice of them, found by
    # a bisection per chunk rather than one per line (the same places `place` gives).
    keys = [line_order(line) for line in plan.lines]
    starts = [0, *(bisect.bisect_left(keys, first) for first in firsts[1:]), len(keys)]
    groups = [plan.lines[starts[n] : starts[n + 1]] for n in range(len(index))]
    dirty = {place(wbs) for wbs in plan.touched}
    if any(len(groups[n]) != count for n, (_, count) in enumerate(index) if n not in dirty):
        return None  # lines moved without being touched: not the version the plan read
    sets, new_index = head.sets(), builtins.list(index)
    written: builtins.list[tuple[int, PackedChunk]] = []
    for n in sorted(dirty):
        rows = [line_row(line) for line in groups[n]]
        data = pack(rows)
        if not rows or len(data) > MAX_EDITED_CHUNK_BYTES:
            return None
        chunk = PackedChunk(first=[str(v) for v in rows[0][:3]], count=len(rows), data=data)
        sets[n], new_index[n] = chunk_set, (chunk.first, chunk.count)
        written.append((n, chunk))
    return _Layout(chunk_set, new_index, sets), written


def _commit_version(head: BudgetHeaderItem, job: Job, plan: Plan, layout: _Layout) -> VersionItem:
    """The history item of a commit: the job's kind is the version's source."""
    return VersionItem(
        pk=head.pk,
        sk=version_sk(head.version + 1),
        version=head.version + 1,
        at=iso(job.finished_at) or "",
        by=job.requested_by,
        source=VersionSource(job.kind.value),
        job_id=job.job_id,
        total=f"{plan.total:f}",
        line_count=len(plan.lines),
        summary=(job.summary or plan.summary).model_dump_json(),
        status=BudgetStatus.SYNCED,
        chunk_set=layout.chunk_set,
        chunk_index=dump_index(layout.index),
        chunk_sets=None if layout.sets is None else _dump_sets(layout.sets),
    )


def _listed_as_synced(head: BudgetHeaderItem) -> str:
    """The status index key of a budget a commit leaves synced: an unlinked project's budget (a
    restore may run on it) stays off the ERP Budgets lists. `unlink` cannot move it meanwhile:
    it waits for no job to hold the budget, and the commit's switch requires its job's hold."""
    if head.gsi1pk == budget_unlinked_pk(head.company_id):
        return head.gsi1pk
    return budget_status_pk(head.company_id, BudgetStatus.SYNCED)


class _RememberedLayouts:
    """Where the lines are, and the header they came from, for the Budget objects this store
    answered last.

    Reading a page right after `get` then needs no second read of the header, nor does the commit
    of a plan made from that object's lines. Only the very object `get` answered matches (a copy
    or a Budget built elsewhere reads the header again), and a version's chunks never change once
    written, so a remembered layout cannot be stale; a header can, which the commit's switch
    condition decides (version, lock and the job's hold, atomically).
    """

    SIZE = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: OrderedDict[
            int, tuple[Budget, BudgetHeaderItem, builtins.list[str], ChunkIndex]
        ] = OrderedDict()

    def remember(self, budget: Budget, head: BudgetHeaderItem) -> None:
        layout = (budget, head, head.sets(), load_index(head.chunk_index))
        with self._lock:
            self._by_id[id(budget)] = layout  # holding the budget keeps its id unique
            while len(self._by_id) > self.SIZE:
                self._by_id.popitem(last=False)

    def _found(
        self, budget: Budget
    ) -> tuple[Budget, BudgetHeaderItem, builtins.list[str], ChunkIndex] | None:
        with self._lock:
            found = self._by_id.get(id(budget))
        return found if found is not None and found[0] is budget else None

    def recall(self, budget: Budget) -> tuple[builtins.list[str], ChunkIndex] | None:
        found = self._found(budget)
        return None if found is None else (list(found[2]), found[3])

    def recall_head(self, budget: Budget) -> BudgetHeaderItem | None:
        found = self._found(budget)
        return None if found is None else found[1]


class _RememberedChunks:
    """The lines of chunk items this store read last, by item key.

    A chunk item is written once and never changed (a new version writes its changed chunks under
    new keys, docs/history.md), so lines read before are the lines a read now would get: a warm
    worker reading the current lines after a few lines changed reads and decodes only the changed
    chunks (docs/performance.md, measurement 4). The lines are kept as built, not as rows: a line
    item is a value nothing changes once built (the domain builds a new one for every change), so
    every reader may share them. Only chunks read through a version's header are kept, never
    chunks being written: a redelivered job rewrites its own uncommitted chunks under the same
    keys. Bounded by lines; a caller gets its own list.
    """

    MAX_LINES = 20_000

    def __init__(self) -> None:
        self._chunks: BoundedMemo[tuple[str, str], tuple[LineItem, ...]] = BoundedMemo(
            self.MAX_LINES, len
        )

    def recall(self, pk: str, sk: str) -> builtins.list[LineItem] | None:
        lines = self._chunks.get((pk, sk))
        return None if lines is None else builtins.list(lines)

    def remember(self, pk: str, sk: str, lines: Sequence[LineItem]) -> None:
        self._chunks.put((pk, sk), tuple(lines))

    def clear(self) -> None:
        self._chunks.clear()


class DynamoBudgetStore(DynamoTables):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._layouts = _RememberedLayouts()
        self._chunks = _RememberedChunks()

    def forget_chunks(self) -> None:
        """Drop the remembered chunks, as a worker that has read nothing yet: for benchmarks that
        compare two kinds of job under the same conditions (bench/history.py)."""
        self._chunks.clear()

    # --- headers ----------------------------------------------------------------------------

    def get(self, company_id: str, budget_id: str) -> Budget:
        head = self.header(company_id, budget_id)
        if head is None:
            raise _not_found()
        budget = head.to_budget()
        self._layouts.remember(budget, head)
        return budget

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
            found += self._query_partition(budget_status_pk(company_id, each), after, limit + 1)
        return self._page(found, limit)

    def list_unlinked(self, company_id: str, limit: int, cursor: str | None) -> Page[Budget]:
        """The partition `unlink` moves a budget's status index key to."""
        after = decode_cursor(cursor, ["after"])["after"] if cursor else None
        found = self._query_partition(budget_unlinked_pk(company_id), after, limit + 1)
        return self._page(found, limit)

    @staticmethod
    def _page(found: builtins.list[BudgetHeaderItem], limit: int) -> Page[Budget]:
        found.sort(key=lambda head: head.gsi1sk)
        page = found[:limit]
        more = len(found) > limit
        next_cursor = encode_cursor({"after": page[-1].gsi1sk}) if more and page else None
        return Page([head.to_budget() for head in page], next_cursor)

    def _query_partition(
        self, partition: str, after: str | None, want: int
    ) -> builtins.list[BudgetHeaderItem]:
        condition = "gsi1pk = :p"
        values: dict[str, Any] = {":p": value(partition)}
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

    def _layout(self, budget: Budget) -> tuple[builtins.list[str], ChunkIndex]:
        """The set of each chunk and the chunk index of `budget.version`: the current version's
        from the header, an earlier one's from its history item."""
        remembered = self._layouts.recall(budget)
        if remembered is not None:
            return remembered
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        if budget.version == head.version:
            return head.sets(), load_index(head.chunk_index)
        if budget.version > head.version:
            raise _moved()
        kept = self._version_item(budget, budget.version)
        if kept is None:
            raise _version_gone()
        return kept.sets(), load_index(kept.chunk_index)

    def _read_chunks(
        self, budget: Budget, sets: Sequence[str], numbers: Sequence[int]
    ) -> builtins.list[builtins.list[LineItem]]:
        """The lines of chunks `numbers` of a version, in order; NotFound if one is gone."""
        pk = budget_pk(budget.company_id, budget.budget_id)
        wanted = {chunk_sk(sets[n], n): i for i, n in enumerate(numbers)}
        chunks: builtins.list[builtins.list[LineItem] | None] = [None] * len(numbers)
        for sk, i in wanted.items():
            chunks[i] = self._chunks.recall(pk, sk)
        unread = [key(pk, sk) for sk, i in wanted.items() if chunks[i] is None]
        for item in batch_get(self.client, self.budgets_table, unread) if unread else []:
            lines = [row_line(row) for row in unpack(item["data"])]
            self._chunks.remember(pk, item["sk"], lines)
            chunks[wanted[item["sk"]]] = lines
        if any(c is None for c in chunks):
            # Only chunks of versions out of the kept history expire.
            raise _version_gone()
        return chunks  # type: ignore[return-value]

    def at_version(self, budget: Budget, version: int) -> Budget:
        """The header as it was at any kept version of the history (its record holds the total
        and line count); a version out of the history is gone."""
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        if version == head.version:
            return head.to_budget()
        kept = self._version_item(budget, version) if version < head.version else None
        # TTL deletes lazily: a record past its expiry is already out of the history.
        if kept is None or (kept.expires_at or 2**63) <= utc_now().timestamp():
            raise version_gone()
        return head.to_budget().model_copy(
            update={"version": version, "total": Decimal(kept.total), "line_count": kept.line_count}
        )

    def read_lines(self, budget: Budget) -> builtins.list[LineItem]:
        sets, index = self._layout(budget)
        chunks = self._read_chunks(budget, sets, range(len(index)))
        return [line for lines in chunks for line in lines]

    def read_page(self, budget: Budget, offset: int, limit: int) -> builtins.list[LineItem]:
        if offset < 0 or limit <= 0:
            return []
        sets, index = self._layout(budget)
        numbers, start, position = [], None, 0
        for number, (_, count) in enumerate(index):
            if position + count > offset and position < offset + limit:
                numbers.append(number)
                if start is None:
                    start = offset - position
            position += count
        if not numbers or start is None:
            return []
        lines = [line for lines in self._read_chunks(budget, sets, numbers) for line in lines]
        return lines[start : start + limit]

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

    # --- commit -----------------------------------------------------------------------------

    def commit(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        # The header `budget` was read from, when this store answered it: the plan's lines came
        # from that very version, and the switch below refuses a header that moved since.
        head = self._layouts.recall_head(budget) or self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        self._check_can_apply(head, budget, finished)
        layout = self.write_lines(head, budget, plan, finished.job_id)
        change_puts, change_index = self.change_puts(finished, plan.records())
        if len(change_puts) > CHANGES_IN_SWITCH or _size(change_puts) > CHANGE_BYTES_IN_SWITCH:
            batch_write(
                self.client, self.jobs_table, [{"PutRequest": {"Item": p}} for p in change_puts]
            )
            change_puts = []
        record = _commit_version(head, finished, plan, layout)
        self._switch(
            budget,
            finished,
            [
                {"Update": self._header_switch(head, budget, finished, plan, layout)},
                {"Update": succeed_update(self.jobs_table, finished, change_index)},
                {"Put": {"TableName": self.budgets_table, "Item": serialize(to_item(record))}},
                *({"Put": {"TableName": self.budgets_table, "Item": p}} for p in layout.puts),
                *({"Put": {"TableName": self.jobs_table, "Item": p}} for p in change_puts),
            ],
        )
        try:
            self._expire_beyond_kept(budget, record.version, finished.finished_at or utc_now())
        except Exception:
            # Housekeeping after the commit: the job has succeeded and a caller must not take a
            # failure here for a failed commit (a Procore job would put its amounts back). The
            # version that fell out of the kept ones just keeps no expiry: kept longer, never
            # less (docs/history.md, "How versions are stored").
            logger().warning("old version not marked to expire", extra={"job_id": finished.job_id})
        return finished

    def write_lines(
        self, head: BudgetHeaderItem, budget: Budget, plan: Plan, chunk_set: str
    ) -> _Layout:
        """Write the chunks of the plan's version that differ from the current one's; nothing
        points at them yet. The set is named after the job: a redelivery that crashed before the
        switch overwrites its own orphan chunks instead of leaving new ones behind.

        Copy on write: a chunk holding no line the plan touched is the current version's chunk
        item, shared (docs/history.md, "How versions are stored"); when the plan does not say
        what it touched, or a rewritten chunk would grow too large, the whole set is written.
        """
        cow = _copy_on_write(head, plan, chunk_set)
        if cow is None:
            return _Layout(chunk_set, self.write_chunks(budget, chunk_set, plan.lines))
        layout, written = cow
        pk = budget_pk(budget.company_id, budget.budget_id)
        puts = [
            serialize({"pk": pk, "sk": chunk_sk(chunk_set, n), "count": c.count, "data": c.data})
            for n, c in written
        ]
        if len(puts) <= CHUNKS_IN_SWITCH and _size(puts) <= CHUNK_BYTES_IN_SWITCH:
            return replace(layout, puts=puts)  # they ride in the switch: no orphan if it fails
        batch_write(self.client, self.budgets_table, [{"PutRequest": {"Item": p}} for p in puts])
        return layout

    def _check_can_apply(self, head: BudgetHeaderItem, budget: Budget, job: Job) -> None:
        if head.locked:
            raise admission.locked_while_applying(head.project_name, job.kind)
        if head.version != budget.version or head.active_job_id != job.job_id:
            raise _moved()
        if head.last_applied_job_id == job.job_id:
            raise ConcurrentChange("This job has already been applied to the budget.")

    def _header_switch(
        self, head: BudgetHeaderItem, budget: Budget, job: Job, plan: Plan, layout: _Layout
    ) -> dict[str, Any]:
        """The header moves to the new version, if it is still where the plan left it."""
        values = {
            ":one": value(1),
            ":set": value(layout.chunk_set),
            ":idx": value(dump_index(layout.index)),
            ":total": value(f"{plan.total:f}"),
            ":n": value(len(plan.lines)),
            ":synced": value(BudgetStatus.SYNCED.value),
            ":gpk": value(_listed_as_synced(head)),
            ":when": value(iso(job.finished_at)),
            ":job": value(job.job_id),
            ":v": value(budget.version),
            ":false": value(False),
        }
        expression = (
            "SET version = version + :one, chunk_set = :set, chunk_index = :idx, "
            "#total = :total, line_count = :n, #status = :synced, gsi1pk = :gpk, "
            "last_synced_at = :when, last_applied_job_id = :job"
        )
        if admission.fetches_erp(job.kind):
            # The ERP total this job planned on, for the Budgets list, rides in the switch.
            expression += ", current_erp_total = :erp, erp_total_as_of = :when"
            values[":erp"] = value(f"{plan.erp_total:f}")
        if layout.sets is not None:
            expression += ", chunk_sets = :sets REMOVE active_job_id"
            values[":sets"] = value(_dump_sets(layout.sets))
        else:
            expression += " REMOVE active_job_id, chunk_sets"
        return {
            "TableName": self.budgets_table,
            "Key": key(head.pk, HEAD),
            "UpdateExpression": expression,
            "ConditionExpression": "version = :v AND locked = :false AND active_job_id = :job",
            "ExpressionAttributeNames": {"#total": "total", "#status": "status"},
            "ExpressionAttributeValues": values,
        }

    def _switch(self, budget: Budget, job: Job, items: builtins.list[dict[str, Any]]) -> None:
        """The commit's one transaction (header, job, version); a refusal says why.

        A failure that leaves unknown whether the transaction was applied (its answer lost to a
        timeout or a dropped connection) is settled by reading the header: when it names this job
        as the last applied, the commit happened, and the caller must not undo what it wrote
        elsewhere (a Procore job puts its amounts back on a failed commit)."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                if self._applied(budget, job):
                    return
                raise
            codes = cancellation_codes(error)
            fresh = self.header(budget.company_id, budget.budget_id)
            if fresh is None:
                raise _not_found() from None
            if fresh.locked:
                raise admission.locked_while_applying(fresh.project_name, job.kind) from None
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise ConcurrentChange(
                    "The job is no longer running; nothing was applied."
                ) from None
            raise _moved() from None
        except (BotoCoreError, OSError):
            if self._applied(budget, job):
                return
            raise

    def _applied(self, budget: Budget, job: Job) -> bool:
        try:
            head = self.header(budget.company_id, budget.budget_id)
        except Exception:
            return False  # still unknown: the caller sees the commit's own failure
        return head is not None and head.last_applied_job_id == job.job_id

    # --- history ----------------------------------------------------------------------------

    def _version_item(self, budget: Budget, version: int) -> VersionItem | None:
        pk = budget_pk(budget.company_id, budget.budget_id)
        item = self.read_item(self.budgets_table, pk, version_sk(version))
        return VersionItem.model_validate(item) if item else None

    def version(self, budget: Budget, version: int) -> BudgetVersion:
        kept = self._version_item(budget, version)
        if kept is None:
            raise _version_gone()
        return kept.to_version()

    def history(self, budget: Budget, limit: int, cursor: str | None) -> Page[BudgetVersion]:
        pk = budget_pk(budget.company_id, budget.budget_id)
        query: dict[str, Any] = {
            "TableName": self.budgets_table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :v)",
            "ExpressionAttributeValues": {":p": value(pk), ":v": value(VERSION_PREFIX)},
            # The chunk layout is not needed for a list; leaving it out keeps the page small.
            "ProjectionExpression": "pk, sk, version, #at, #by, #source, job_id, #total, "
            "line_count, summary, #status, locked",
            "ExpressionAttributeNames": {
                "#at": "at",
                "#by": "by",
                "#source": "source",
                "#total": "total",
                "#status": "status",
            },  # fmt: skip
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            start = decode_cursor(cursor, ["sk"])["sk"]
            if not start.startswith(VERSION_PREFIX):
                raise InvalidRequest(
                    "The cursor is not valid: pass the next_cursor of a previous answer."
                )
            query["ExclusiveStartKey"] = key(pk, start)
        answer = self.client.query(**query)
        found = [VersionItem.model_validate(deserialize(i)).to_version() for i in answer["Items"]]
        last = answer.get("LastEvaluatedKey")
        more = last is not None and len(found) == limit
        return Page(
            found, encode_cursor({"sk": deserialize(last)["sk"]}) if more and last else None
        )

    def _expire_beyond_kept(self, budget: Budget, newest: int, now: datetime) -> None:
        """The version that just fell out of the last KEPT_VERSIONS, and the chunks no later
        version shares, expire a year after that version was made (or now, if that is later);
        DynamoDB's TTL deletes them, so no sweeper runs. A few calls per commit, never per line.
        """
        old = newest - KEPT_VERSIONS
        if old < 0:
            return
        pk = budget_pk(budget.company_id, budget.budget_id)
        found = batch_get(
            self.client,
            self.budgets_table,
            [key(pk, version_sk(old)), key(pk, version_sk(old + 1))],
        )
        items = {i["sk"]: VersionItem.model_validate(i) for i in found}
        gone, kept = items.get(version_sk(old)), items.get(version_sk(old + 1))
        if gone is None or gone.expires_at is not None:
            return
        made = from_iso(gone.at) or now
        expires = int(max(made + KEEP_AT_LEAST, now).timestamp())
        still_used = set() if kept is None else set(enumerate(kept.sets()))
        chunks = [
            chunk_sk(name, n) for n, name in enumerate(gone.sets()) if (n, name) not in still_used
        ]
        for sk in [version_sk(old), *chunks]:
            with contextlib.suppress(ClientError):  # an item already gone needs no expiry
                self.client.update_item(
                    TableName=self.budgets_table,
                    Key=key(pk, sk),
                    UpdateExpression="SET expires_at = :e",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":e": value(expires)},
                )

    def record_erp_total(self, budget: Budget, total: Decimal, at: datetime) -> None:
        self._set_list_fields(
            budget,
            "SET current_erp_total = :t, erp_total_as_of = :at",
            {":t": value(f"{total:f}"), ":at": value(iso(at))},
        )

    def record_target_lock(self, budget: Budget, locked: bool) -> None:
        self._set_list_fields(budget, "SET target_locked = :l", {":l": value(locked)})

    def _set_list_fields(self, budget: Budget, update: str, values: dict[str, Any]) -> None:
        """Fields the Budgets list shows, beside the budget's version: no condition but that the
        budget still exists (one deleted meanwhile has no list row to update)."""
        with contextlib.suppress(ClientError):
            self.client.update_item(
                TableName=self.budgets_table,
                Key=key(budget_pk(budget.company_id, budget.budget_id), HEAD),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
            )

    # --- edits and locks --------------------------------------------------------------------

    def edit_line(
        self, budget: Budget, line_item_id: str, edit: LineEdit, by: str = ""
    ) -> LineItem:
        """The edited chunk is written into a set of its own (copy on write), so the version
        before the edit stays whole in the history; one transaction switches the header to it
        and records the new version."""
        wbs = key_of(line_item_id)
        head = self.header(budget.company_id, budget.budget_id)
        if head is None:
            raise _not_found()
        if head.locked:
            raise self._locked_for_edit(head)
        if head.version != budget.version:
            raise _moved()
        index = load_index(head.chunk_index)
        sets = head.sets()
        target = key_order(wbs)
        number = bisect.bisect_right([tuple(first) for first, _ in index], target) - 1
        if number < 0:
            raise NotFound("There is no such line item in this budget.")
        lines = self._read_chunks(budget, sets, [number])[0]
        position = next((i for i, line in enumerate(lines) if key_order(line.key) == target), None)
        if position is None:
            raise NotFound("There is no such line item in this budget.")
        old = lines[position]
        edited = apply_edit(old, edit)
        rows = [line_row(line) for line in lines]
        rows[position] = line_row(edited)
        data = pack(rows)
        if len(data) > MAX_EDITED_CHUNK_BYTES:
            raise InvalidRequest("The edit makes this part of the budget too large to store.")
        total = Decimal(head.total) - old.original_budget_amount + edited.original_budget_amount
        check_total(total)
        sets[number] = f"edit-{uuid.uuid4().hex}"
        record = _edit_version(head, by, total, edit_summary(old, edited, head.line_count), sets)
        chunk = {
            "pk": head.pk,
            "sk": chunk_sk(sets[number], number),
            "count": len(rows),
            "data": data,
        }
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.budgets_table, "Item": serialize(chunk)}},
                    {"Update": self._edit_header_update(head, budget, total, record)},
                    {"Put": {"TableName": self.budgets_table, "Item": serialize(to_item(record))}},
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            fresh = self.header(budget.company_id, budget.budget_id)
            if fresh is not None and fresh.locked:
                raise self._locked_for_edit(fresh) from None
            raise _moved() from None
        self._expire_beyond_kept(budget, record.version, utc_now())
        return edited

    def _edit_header_update(
        self, head: BudgetHeaderItem, budget: Budget, total: Decimal, record: VersionItem
    ) -> dict[str, Any]:
        return {
            "TableName": self.budgets_table,
            "Key": key(head.pk, HEAD),
            "UpdateExpression": "SET version = version + :one, #total = :t, chunk_sets = :sets",
            "ConditionExpression": "version = :v AND locked = :false",
            "ExpressionAttributeNames": {"#total": "total"},
            "ExpressionAttributeValues": {
                ":one": value(1),
                ":t": value(f"{total:f}"),
                ":sets": value(record.chunk_sets),
                ":v": value(budget.version),
                ":false": value(False),
            },
        }

    @staticmethod
    def _locked_for_edit(head: BudgetHeaderItem) -> BudgetLocked:
        return admission.locked_refusal(head.project_name, "edit its lines")

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
                    ":off": value(budget_unlinked_pk(budget.company_id)),
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

        Totals and the line count are computed from `lines`. Lines written as given are the
        budget's first version in its history (by "seed"); an empty budget has no version yet.
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
        first = VersionItem(
            pk=head.pk,
            sk=version_sk(stored.version),
            version=stored.version,
            at=iso(stored.last_synced_at or utc_now()) or "",
            by=SEED_AUTHOR,
            source=VersionSource.IMPORT,
            total=head.total,
            line_count=head.line_count,
            summary=Summary(lines_added=len(lines)).model_dump_json(),
            status=stored.status,
            locked=stored.locked,
            chunk_set=chunk_set,
            chunk_index=head.chunk_index,
        )
        puts = [head, pointer, first] if lines else [head, pointer]
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.budgets_table, "Item": serialize(to_item(item))}}
                for item in puts
            ]
        )
        return head.to_budget()
