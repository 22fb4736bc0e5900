"""The items Budget Bridge stores in DynamoDB, their keys, and their mapping to domain models.

Budget lines, job changes and a failed job's line errors are stored PACKED: rows serialised as a
compact JSON array of arrays (amounts as strings), zlib-compressed, cut into chunks well under the
400 KB item limit, so a 50,000-line budget is a handful of items read and written in a few batch
calls.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib import resources
from chalicelib.domain.errors import TooLargeToStore
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    BudgetVersion,
    ChangeKind,
    ChangeRecord,
    ErpConnection,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineItem,
    PreviewBasis,
    Progress,
    Summary,
    TargetWrite,
    Totals,
    VersionSource,
    WbsKey,
    iso,
    iso_precise,
    job_order_key,
)

# A chunk is cut when its uncompressed rows pass RAW_CHUNK_BYTES, and split again if it still
# compresses to more than MAX_CHUNK_BYTES: ~100 KB of head room under the 400 KB item limit is left
# for the key attributes and for edits that lengthen a line in place.
RAW_CHUNK_BYTES = 512_000
MAX_CHUNK_BYTES = 300_000
# A chunk also holds at most one API page of rows (the default `limit`), so reading a page fetches
# and decodes one or two small chunks instead of a ~4,400-row one (docs/performance.md).
MAX_CHUNK_ROWS = 1_000

HEAD = "HEAD"
META = "META"
SEED_AUTHOR = "seed"  # the author of a budget's first version when it was written as given


# --- keys -----------------------------------------------------------------------------------


def budget_pk(company_id: str, budget_id: str) -> str:
    return f"BUDGET#{company_id}#{budget_id}"


def project_pk(company_id: str, project_id: str) -> str:
    return f"PROJECT#{company_id}#{project_id}"


def chunk_sk(chunk_set: str, number: int) -> str:
    return f"SET#{chunk_set}#{number:05d}"


def budget_status_pk(company_id: str, status: BudgetStatus | str) -> str:
    return f"COMPANY#{company_id}#STATUS#{BudgetStatus(status).value}"


def budget_unlinked_pk(company_id: str) -> str:
    """The status index's partition of unlinked projects' budgets, which no ERP Budgets list
    reads."""
    return f"COMPANY#{company_id}#UNLINKED"


def budget_sort_key(project_name: str, budget_id: str) -> str:
    return f"{project_name.lower()}#{budget_id}"


def job_pk(company_id: str, job_id: str) -> str:
    return f"JOB#{company_id}#{job_id}"


def version_sk(version: int) -> str:
    return f"{VERSION_PREFIX}{version:010d}"


VERSION_PREFIX = "VERSION#"


def changes_sk(number: int) -> str:
    return f"CHANGES#{number:05d}"


def errors_sk(number: int) -> str:
    """A failed job's line errors, packed: every one of them, in line order."""
    return f"ERRORS#{number:05d}"


def idempotency_pk(company_id: str, budget_id: str, idempotency_key: str) -> str:
    return f"IDEMKEY#{company_id}#{budget_id}#{idempotency_key}"


def company_pk(company_id: str) -> str:
    return f"COMPANY#{company_id}"


def member_sk(email: str) -> str:
    return f"MEMBER#{email.lower()}"


# --- time -----------------------------------------------------------------------------------


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- packing --------------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def line_row(line: LineItem) -> list[Any]:
    k = line.key
    return [
        k.sub_job,
        k.cost_code,
        k.cost_type,
        line.description,
        _dec(line.original_budget_amount),
        line.uom,
        _dec(line.quantity),
        _dec(line.unit_cost),
        list(line.erp_refs),
    ]


def row_line(row: list[Any]) -> LineItem:
    sub_job, code, ctype, description, amount, uom, quantity, unit_cost, refs = row
    # Positional, and the optional numbers tested inline: once per stored line of every read.
    return LineItem(
        WbsKey(sub_job, code, ctype),
        description,
        Decimal(amount),
        uom,
        None if quantity is None else Decimal(quantity),
        None if unit_cost is None else Decimal(unit_cost),
        tuple(refs),
    )


def change_row(change: ChangeRecord) -> list[Any]:
    k = change.key
    return [k.sub_job, k.cost_code, k.cost_type, change.kind.value, _dec(change.old_amount),
            _dec(change.new_amount)]  # fmt: skip


def row_change(row: list[Any]) -> ChangeRecord:
    sub_job, code, ctype, kind, old, new = row
    key = WbsKey(sub_job, code, ctype)
    return ChangeRecord(key.line_item_id, key, ChangeKind(kind), _undec(old), Decimal(new))


def pack(rows: Sequence[list[Any]]) -> bytes:
    return zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 6)


def unpack(data: bytes) -> list[list[Any]]:
    return json.loads(zlib.decompress(data))


class PackedChunk(BaseModel):
    first: list[str]  # the first row's WBS key, to find a line without reading every chunk
    count: int
    data: bytes


def pack_chunks(rows: Sequence[list[Any]]) -> list[PackedChunk]:
    """Cut sorted rows into compressed chunks of at most MAX_CHUNK_BYTES each."""
    groups: list[list[list[Any]]] = []
    current: list[list[Any]] = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(row, separators=(",", ":")))
        if current and (size + row_size > RAW_CHUNK_BYTES or len(current) >= MAX_CHUNK_ROWS):
            groups.append(current)
            current, size = [], 0
        current.append(row)
        size += row_size + 1
    if current:
        groups.append(current)
    chunks: list[PackedChunk] = []
    for group in groups:
        chunks.extend(_fit(group))
    return chunks


def _fit(group: list[list[Any]]) -> list[PackedChunk]:
    data = pack(group)
    if len(group) == 1 and len(data) > MAX_CHUNK_BYTES:
        # The text limits (domain/limits.py) make this unreachable for a valid line; the guard
        # keeps any future field from turning into a write DynamoDB refuses mid-commit.
        raise TooLargeToStore("One line of this budget is too large to store; nothing was changed.")
    if len(data) <= MAX_CHUNK_BYTES or len(group) == 1:
        return [PackedChunk(first=[str(v) for v in group[0][:3]], count=len(group), data=data)]
    half = len(group) // 2
    return _fit(group[:half]) + _fit(group[half:])


# A chunk index: per chunk, [first key as [sub_job, cost_code, cost_type], row count].
ChunkIndex = list[tuple[list[str], int]]


def index_of(chunks: Sequence[PackedChunk]) -> ChunkIndex:
    return [(chunk.first, chunk.count) for chunk in chunks]


def dump_index(index: ChunkIndex) -> str:
    return json.dumps([[first, count] for first, count in index], separators=(",", ":"))


def load_index(text: str | None) -> ChunkIndex:
    return [(list(first), int(count)) for first, count in json.loads(text or "[]")]


# --- items ----------------------------------------------------------------------------------


class BudgetHeaderItem(BaseModel):
    """`BUDGET#<cid>#<bid>` / `HEAD`: the budget's fields and where its current lines are."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = HEAD
    gsi1pk: str
    gsi1sk: str
    company_id: str
    budget_id: str
    project_id: str
    project_name: str
    erp_job_id: str
    erp_system: str
    status: BudgetStatus
    locked: bool = False
    version: int = 0
    total: str = "0.00"
    line_count: int = 0
    last_synced_at: str | None = None
    active_job_id: str | None = None
    last_failed_at: str | None = None
    target_project_id: str | None = None
    target_locked: bool = False
    last_applied_job_id: str | None = None
    current_erp_total: str | None = None
    erp_total_as_of: str | None = None
    chunk_set: str = ""
    chunk_index: str = "[]"
    # An edit rewrites one chunk into a set of its own (copy on write, so the version before it
    # stays readable): JSON list of the set holding each chunk; absent when all are `chunk_set`.
    chunk_sets: str | None = None

    @classmethod
    def from_budget(cls, budget: Budget, chunk_set: str, index: ChunkIndex) -> BudgetHeaderItem:
        return cls(
            pk=budget_pk(budget.company_id, budget.budget_id),
            gsi1pk=budget_status_pk(budget.company_id, budget.status),
            gsi1sk=budget_sort_key(budget.project_name, budget.budget_id),
            company_id=budget.company_id,
            budget_id=budget.budget_id,
            project_id=budget.project_id,
            project_name=budget.project_name,
            erp_job_id=budget.erp_job_id,
            erp_system=budget.erp_system,
            status=budget.status,
            locked=budget.locked,
            version=budget.version,
            total=_dec(budget.total) or "0.00",
            line_count=budget.line_count,
            last_synced_at=iso(budget.last_synced_at),
            active_job_id=budget.active_job_id,
            last_failed_at=iso(budget.last_failed_at),
            target_project_id=budget.target_project_id,
            target_locked=budget.target_locked,
            chunk_set=chunk_set,
            chunk_index=dump_index(index),
        )

    def to_budget(self) -> Budget:
        return Budget(
            company_id=self.company_id,
            budget_id=self.budget_id,
            project_id=self.project_id,
            project_name=self.project_name,
            erp_job_id=self.erp_job_id,
            erp_system=self.erp_system,
            status=self.status,
            locked=self.locked,
            version=self.version,
            total=Decimal(self.total),
            line_count=self.line_count,
            last_synced_at=from_iso(self.last_synced_at),
            active_job_id=self.active_job_id,
            last_failed_at=from_iso(self.last_failed_at),
            target_project_id=self.target_project_id,
            target_locked=self.target_locked,
            current_erp_total=None
            if self.current_erp_total is None
            else Decimal(self.current_erp_total),
            erp_total_as_of=from_iso(self.erp_total_as_of),
        )

    def sets(self) -> list[str]:
        return sets_of(self.chunk_set, self.chunk_index, self.chunk_sets)


def sets_of(chunk_set: str, chunk_index: str | None, chunk_sets: str | None) -> list[str]:
    """The set holding each chunk of a version, in chunk order."""
    if chunk_sets:
        return [str(name) for name in json.loads(chunk_sets)]
    return [chunk_set] * len(load_index(chunk_index))


class VersionItem(BaseModel):
    """`BUDGET#<cid>#<bid>` / `VERSION#<n>`: one version of the history and where its lines are.

    Written in the same transaction that makes the version current. It has no `expires_at` while
    it is one of the budget's last 100 versions; when it falls out of them it (and the chunks no
    later version shares) get one a year after it was made, and DynamoDB's TTL deletes them.
    """

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str
    version: int
    at: str
    by: str
    source: VersionSource
    job_id: str | None = None
    total: str
    line_count: int
    summary: str  # JSON
    status: BudgetStatus
    locked: bool = False
    # Where the version's lines are (left out of history pages, which do not read lines).
    chunk_set: str = ""
    chunk_index: str = "[]"
    chunk_sets: str | None = None
    expires_at: int | None = None

    def sets(self) -> list[str]:
        return sets_of(self.chunk_set, self.chunk_index, self.chunk_sets)

    def to_version(self) -> BudgetVersion:
        return BudgetVersion(
            version=self.version,
            at=from_iso(self.at) or datetime.now(UTC),
            by=self.by,
            source=self.source,
            job_id=self.job_id,
            total=Decimal(self.total),
            line_count=self.line_count,
            summary=Summary.model_validate_json(self.summary),
            status=self.status,
            locked=self.locked,
        )


class ProjectPointerItem(BaseModel):
    """`PROJECT#<cid>#<project_id>` / `PROJECT`: which budget is the project's."""

    pk: str
    sk: str = "PROJECT"
    budget_id: str


class JobItem(BaseModel):
    """`JOB#<cid>#<job_id>` / `META`, listed through by_company and by_budget, both sorted by
    `job_order_key`; its times carry microseconds (`iso_precise`). Items written before either
    (`<second>#<job_id>` keys, times to the second) still read and list in their place."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = META
    gsi1pk: str
    gsi1sk: str
    gsi2pk: str
    gsi2sk: str
    job_id: str
    company_id: str
    budget_id: str
    kind: JobKind
    status: JobStatus
    requested_by: str
    requested_at: str
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""
    progress: str | None = None  # JSON
    summary: str | None = None  # JSON
    # The first ERRORS_IN_ITEM line errors, zlib-compressed JSON (an item written before the errors
    # were chunked holds every error it kept here, up to 10,000, and no `error_count`).
    errors: bytes | None = None
    error_count: int | None = None  # every line error of the job
    error_index: str | None = None  # JSON row count of each ERRORS# item; absent: all are inline
    change_count: int = 0
    change_index: str | None = None  # JSON chunk index of the CHANGES# items
    attempts: int = 0
    totals: str | None = None  # JSON
    error_code: str | None = None
    allow_empty: bool = False
    preview_job_id: str | None = None
    basis: str | None = None  # JSON, a finished preview's PreviewBasis
    restore_version: int | None = None
    # Present only while the job is queued: the sparse `queued` index the sweep reads.
    queued_pk: str | None = None
    queued_sk: str | None = None
    # Present only while the job is queued or running: the sparse `unfinished` index, by company.
    open_pk: str | None = None
    expires_at: int | None = None  # set when the job finishes (the table's TTL)

    @classmethod
    def from_job(cls, job: Job) -> JobItem:
        sort = job_order_key(job.requested_at, job.job_id)
        queued = job.status is JobStatus.QUEUED
        return cls(
            queued_pk=QUEUED_PK if queued else None,
            queued_sk=sort if queued else None,
            open_pk=None if job.status.finished else company_pk(job.company_id),
            allow_empty=job.allow_empty,
            pk=job_pk(job.company_id, job.job_id),
            gsi1pk=company_pk(job.company_id),
            gsi1sk=sort,
            gsi2pk=budget_pk(job.company_id, job.budget_id),
            gsi2sk=sort,
            job_id=job.job_id,
            company_id=job.company_id,
            budget_id=job.budget_id,
            kind=job.kind,
            status=job.status,
            requested_by=job.requested_by,
            requested_at=iso_precise(job.requested_at) or "",
            started_at=iso_precise(job.started_at),
            finished_at=iso_precise(job.finished_at),
            message=job.message,
            progress=job.progress.model_dump_json() if job.progress else None,
            summary=job.summary.model_dump_json() if job.summary else None,
            errors=pack_errors(job.errors[:ERRORS_IN_ITEM]) if job.errors else None,
            change_count=job.change_count,
            attempts=job.attempts,
            totals=job.totals.model_dump_json() if job.totals else None,
            error_code=job.error_code,
            preview_job_id=job.preview_job_id,
            basis=job.basis.model_dump_json() if job.basis else None,
            restore_version=job.restore_version,
        )

    def _error_count(self) -> int:
        """Every line error; an item written before the count was kept holds them all inline."""
        if self.error_count is not None:
            return self.error_count
        return len(inline_errors(self.errors))

    def to_job(self) -> Job:
        return Job(
            job_id=self.job_id,
            company_id=self.company_id,
            budget_id=self.budget_id,
            kind=self.kind,
            status=self.status,
            requested_by=self.requested_by,
            requested_at=from_iso(self.requested_at) or datetime.now(UTC),
            started_at=from_iso(self.started_at),
            finished_at=from_iso(self.finished_at),
            message=self.message,
            progress=Progress.model_validate_json(self.progress) if self.progress else None,
            summary=Summary.model_validate_json(self.summary) if self.summary else None,
            errors=unpack_errors(self.errors, ERRORS_IN_ITEM) if self.errors else [],
            error_count=self._error_count(),
            change_count=self.change_count,
            attempts=self.attempts,
            totals=Totals.model_validate_json(self.totals) if self.totals else None,
            error_code=self.error_code,
            allow_empty=self.allow_empty,
            preview_job_id=self.preview_job_id,
            basis=PreviewBasis.model_validate_json(self.basis) if self.basis else None,
            restore_version=self.restore_version,
        )


QUEUED_PK = "QUEUED"


def finished_job_expiry(finished_at: datetime) -> int:
    """When a finished job's items expire (epoch seconds, the TTL attribute's form)."""
    return int(finished_at.timestamp()) + resources.FINISHED_JOB_RETENTION_DAYS * 24 * 3600


# A failed job keeps EVERY line error (docs/domain-rules.md, rule 3): when there are more than
# ERRORS_IN_ITEM, all of them in `ERRORS#<n>` chunk items packed as changes are. The job item carries
# the first ERRORS_IN_ITEM besides, so a job answer (which lists the first 100) and the jobs list
# read no chunk, and the job item stays a few KB whatever the count.
ERRORS_IN_ITEM = 100


def error_row(error: LineError) -> list[Any]:
    return [error.line, error.field, error.message]


def row_error(row: list[Any]) -> LineError:
    line, field, message = row
    return LineError(line=line, field=field, message=message)


def pack_errors(errors: Sequence[LineError]) -> bytes:
    """The job item's inline errors, compressed, in the layout items have always had."""
    return zlib.compress(json.dumps([e.model_dump() for e in errors]).encode(), 6)


def inline_errors(data: bytes | None) -> list[dict[str, Any]]:
    return json.loads(zlib.decompress(data)) if data else []


def unpack_errors(data: bytes, limit: int | None = None) -> list[LineError]:
    """The inline errors, the first `limit` of them (an old item may hold 10,000)."""
    return [LineError.model_validate(e) for e in inline_errors(data)[:limit]]


def pack_error_chunks(errors: Sequence[LineError]) -> list[PackedChunk]:
    """Every error, in the order given (line order), cut as change chunks are cut."""
    return pack_chunks([error_row(error) for error in errors])


class IdempotencyItem(BaseModel):
    """`IDEMKEY#<cid>#<bid>#<key>` / `KEY`: the job a request key created, for 24 hours."""

    pk: str
    sk: str = "KEY"
    job_id: str
    expires_at: int


class CompanyItem(BaseModel):
    """`COMPANY#<cid>` / `META`: the company and where its ERP is."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = META
    company_id: str
    name: str
    erp: str | None = None  # ErpConnection JSON

    def connection(self) -> ErpConnection | None:
        return ErpConnection.model_validate_json(self.erp) if self.erp else None


class MemberItem(BaseModel):
    """`COMPANY#<cid>` / `MEMBER#<email>`, listed per user through by_member."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str
    gsi1pk: str
    gsi1sk: str
    company_id: str
    email: str
    erp_permission: str
    budget_permission: str
    status: str = "active"


class CatalogItem(BaseModel):
    """`COMPANY#<cid>` / `CATALOG`: the cost codes and cost types the company knows."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = "CATALOG"
    cost_codes: list[str]
    cost_types: list[str]
    # code -> description; items written before descriptions were kept have none
    code_descriptions: dict[str, str] = {}
    type_descriptions: dict[str, str] = {}


class LinkItem(BaseModel):
    """`COMPANY#<cid>` / `LINK#<erp_job_id>`: which project an ERP job feeds."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str
    erp_job_id: str
    project_id: str
    project_name: str = ""  # as named when linked; links made before it was kept have none


def link_sk(erp_job_id: str) -> str:
    return f"LINK#{erp_job_id}"


class AuditItem(BaseModel):
    """`AUDIT#<cid>` / `<at>#<event_id>`: one audit entry, newest last in the partition."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str
    event: str  # AuditEvent JSON
    expires_at: int


class SettingsItem(BaseModel):
    """`COMPANY#<cid>` / `SETTINGS`: ErpSettings JSON, with the flag the schedule looks for."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = "SETTINGS"
    company_id: str
    settings: str
    auto_reimport: bool = False


TARGET = "TARGET"


class TargetItem(BaseModel):
    """`COMPANY#<cid>` / `TARGET`: TargetConfig JSON (it names the secret, never holds it)."""

    model_config = ConfigDict(extra="ignore")

    pk: str
    sk: str = TARGET
    target: str


def writes_sk(number: int) -> str:
    """A job's write-ahead record for another system, in packed chunks."""
    return f"WRITES#{number:05d}"


def write_row(write: TargetWrite) -> list[Any]:
    key = write.key
    return [key.sub_job, key.cost_code, key.cost_type, write.ref, str(write.old_amount),
            str(write.new_amount), write.description, write.created]  # fmt: skip


def row_write(row: list[Any]) -> TargetWrite:
    return TargetWrite(
        ref=row[3],
        key=WbsKey(row[0], row[1], row[2]),
        old_amount=Decimal(row[4]),
        new_amount=Decimal(row[5]),
        description=row[6],
        created=len(row) > 7 and row[7] is True,  # a record written before `created` had none
    )


def to_item(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="python", exclude_none=True)
