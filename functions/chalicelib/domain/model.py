"""The nouns of Budget Bridge: companies, permissions, budgets, line items, ERP lines and jobs.

Line-level types are slotted dataclasses because a budget can hold 50,000 of them; the rest are
pydantic models so they can cross every boundary (API, queue, tables) with the same validation.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from itertools import islice
from json.encoder import encode_basestring_ascii

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.domain.limits import quote

TARGET_NAME = "Budget Bridge"  # the default budget target's name, as shown in job messages
# A job's message before it ends: queued, then running from the moment a worker starts it (also
# again after waiting for another attempt, when the message said it was waiting and why).
QUEUED_MESSAGE = "Queued"
RUNNING_MESSAGE = "In progress"


def utc_now() -> datetime:
    """Now, to the microsecond: two jobs requested within one second still know which came first
    (`job_order_key`). Answers and most stored times show it to the second (`iso`)."""
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(moment: datetime | None) -> str | None:
    """`iso` with the microseconds: how a job's times are stored, so that they keep their order
    and their differences (the time to success) below the second."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def job_order_key(requested_at: datetime, job_id: str = "") -> str:
    """Where a job sorts among its company's (and its budget's) jobs: by when it was requested,
    to the microsecond, then by id; listed newest first (docs/api.md). Without `job_id`, the
    bound that every job requested from `requested_at` on sorts after.

    The second comes first, as `iso` writes it, then the microseconds and the id:
    `2026-11-26T10:45:00Z.250000#<job_id>`. Keys stored before the microseconds were added
    (`<second>#<job_id>`) so sort before every newer key of the same second ('#' < '.'), and jobs
    stored then keep their place in the lists."""
    moment = requested_at.astimezone(UTC)
    return f"{iso(moment)}.{moment.microsecond:06d}#{job_id}"


class Permission(IntEnum):
    """Per user, per company, per tool; ordered so that `>=` reads as 'at least'."""

    NONE = 0
    READ_ONLY = 1
    STANDARD = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Permission:
        return cls[value.upper()]


class MemberStatus(StrEnum):
    INVITED = "invited"  # has not yet used Budget Bridge in this company
    ACTIVE = "active"


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True)

    company_id: str
    company_name: str
    email: str
    erp_permission: Permission
    budget_permission: Permission
    status: MemberStatus = MemberStatus.ACTIVE

    def is_admin_of_either_tool(self) -> bool:
        return Permission.ADMIN in (self.erp_permission, self.budget_permission)


class BudgetStatus(StrEnum):
    READY_TO_IMPORT = "ready_to_import"
    SYNCED = "synced"


@dataclass(frozen=True, slots=True, order=True)
class WbsKey:
    """A line item's identity: (sub job, cost code, cost type)."""

    sub_job: str
    cost_code: str
    cost_type: str

    def label(self) -> str:
        # Quoted, not whole: ERP text can be any length, and a message must stay a sentence.
        sub_job = quote(self.sub_job) if self.sub_job else "(no sub job)"
        return f"{sub_job} / {quote(self.cost_code)} / {quote(self.cost_type)}"

    @property
    def line_item_id(self) -> str:
        """A stable, URL-safe id derived from the key, so a line keeps its id across versions."""
        # Exactly json.dumps([...], separators=(",", ":")), without building an encoder per call:
        # a budget page computes one id per line.
        parts = (self.sub_job, self.cost_code, self.cost_type)
        raw = "[" + ",".join(map(encode_basestring_ascii, parts)) + "]"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_line_item_id(cls, line_item_id: str) -> WbsKey:
        """Raises ValueError for an id that no key could have produced."""
        padded = line_item_id + "=" * (-len(line_item_id) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not (
            isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)
        ):
            raise ValueError("not a line item id")
        return cls(*parts)


@dataclass(slots=True)
class LineItem:
    """One line of a project budget. Only `original_budget_amount` is ever moved by the ERP."""

    key: WbsKey
    description: str
    original_budget_amount: Decimal
    uom: str | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    erp_refs: tuple[str, ...] = ()

    @property
    def line_item_id(self) -> str:
        return self.key.line_item_id


class LineKind(StrEnum):
    COST = "cost"
    REVENUE = "revenue"


@dataclass(frozen=True, slots=True)
class ErpLine:
    """One budget line as the ERP sent it, mapped to our names but not yet validated.

    `amount` is the raw value (a Decimal when the connector parsed a number, anything otherwise):
    the rules, not the connector, decide whether it is a valid amount.
    """

    line: int  # 1-based position in the ERP's answer, how a person finds the line again
    ref: str  # the ERP's own id of the line
    key: WbsKey
    kind: LineKind
    amount: object
    description: str = ""


@dataclass(frozen=True, slots=True)
class CostCatalog:
    """The cost codes and cost types a company knows."""

    cost_codes: frozenset[str]
    cost_types: frozenset[str]


class ChangeKind(StrEnum):
    UPDATED = "updated"
    ADDED = "added"
    ZEROED = "zeroed"


@dataclass(frozen=True, slots=True)
class LineChange:
    key: WbsKey
    kind: ChangeKind
    old_amount: Decimal | None  # None when the line was added
    new_amount: Decimal


class Summary(BaseModel):
    lines_updated: int = 0
    lines_added: int = 0
    lines_zeroed: int = 0
    lines_unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.lines_updated + self.lines_added + self.lines_zeroed


class LineError(BaseModel):
    line: int
    field: str
    message: str


class Budget(BaseModel):
    """A project budget's header: everything but its lines."""

    company_id: str
    budget_id: str
    project_id: str
    project_name: str
    erp_job_id: str
    erp_system: str
    status: BudgetStatus
    locked: bool = False
    version: int = 0  # moves on every change of the lines (re-import or edit)
    total: Decimal = Decimal("0.00")
    line_count: int = 0
    last_synced_at: datetime | None = None
    active_job_id: str | None = None
    # When the budget's last automatic re-import that ran failed: the schedule counts its interval
    # from this too, so one that keeps failing (a wrong password, bad ERP lines) is tried once an
    # interval, not at every run. A person's job, and one the queue refused, leave it as it was.
    last_failed_at: datetime | None = None
    # The project's id in the company's budget target when that is another system (Procore's
    # project id); None for budgets kept in Budget Bridge's own store.
    target_project_id: str | None = None
    # Whether that other system reported its budget locked the last time Budget Bridge read its
    # lock (a request, a job, the project's Budget tab): the lists show it without asking the
    # target once per row (docs/targets/procore.md, "The lock in the lists").
    target_locked: bool = False
    # The ERP's cost total as last fetched by any job (preview included); None before the first.
    current_erp_total: Decimal | None = None
    erp_total_as_of: datetime | None = None


class JobKind(StrEnum):
    IMPORT = "import"
    REIMPORT = "reimport"
    PREVIEW = "preview"  # plans an import or re-import and changes nothing
    RESTORE = "restore"  # puts back the amounts of an earlier version


class Totals(BaseModel):
    """What a preview, import or re-import saw: the ERP's cost total, the budget before and after.

    A finished job of those kinds always has them (docs/history.md, "Totals"): a failed one changed
    nothing, so its `new_total` is its `current_total`; `current_erp_total` is None when the job
    did not get a total from the ERP (it failed before the ERP answered, or an ERP amount is not a
    valid amount)."""

    current_erp_total: Decimal | None
    current_total: Decimal
    new_total: Decimal

    @classmethod
    def unchanged(cls, current_total: Decimal, erp_total: Decimal | None = None) -> Totals:
        """A job that changed nothing (it failed, or its apply would be refused)."""
        return cls(
            current_erp_total=erp_total, current_total=current_total, new_total=current_total
        )


class PreviewBasis(BaseModel):
    """What a preview planned on, so that applying it can prove nothing moved in between."""

    budget_version: int
    erp_digest: str  # sha256 of the ERP's per-key sums
    planned_kind: JobKind  # import or re-import, from the budget's status at the time
    # sha256 of the keys and amounts the target held when planned, for a target other than
    # Budget Bridge's own store (Procore), where people change amounts that no budget_version
    # counts. None (and absent from previews made before it was kept) skips that check.
    target_digest: str | None = None


class JobStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Phase(StrEnum):
    FETCHING = "fetching"
    VALIDATING = "validating"
    APPLYING = "applying"


class Progress(BaseModel):
    phase: Phase
    done: int = 0
    total: int = 0


class Job(BaseModel):
    job_id: str
    company_id: str
    budget_id: str
    kind: JobKind
    status: JobStatus = JobStatus.QUEUED
    requested_by: str  # an email, or "schedule"
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""
    progress: Progress | None = None
    summary: Summary | None = None
    # A failed job's first line errors (at most 100) and how many it has in all; the store pages
    # the rest (JobStore.errors).
    errors: list[LineError] = Field(default_factory=list)
    error_count: int = 0
    change_count: int = 0
    attempts: int = 0
    totals: Totals | None = None
    # Why a failed job failed, as a code a program can act on (None: see the message).
    error_code: str | None = None
    # The request allowed an ERP answer with no cost lines to zero a budget that has amounts.
    allow_empty: bool = False
    preview_job_id: str | None = None  # an import/re-import applying this preview
    basis: PreviewBasis | None = None  # a finished preview: what it planned on
    restore_version: int | None = None  # a restore: the version whose amounts come back


class VersionSource(StrEnum):
    IMPORT = "import"
    REIMPORT = "reimport"
    EDIT = "edit"
    RESTORE = "restore"


class BudgetVersion(BaseModel):
    """One entry of a budget's history: who changed its lines, when, how, and the result."""

    version: int
    at: datetime
    by: str  # an email, "schedule" or "seed"
    source: VersionSource
    job_id: str | None = None
    total: Decimal
    line_count: int
    summary: Summary
    status: BudgetStatus = BudgetStatus.SYNCED
    locked: bool = False


@dataclass(slots=True)
class ChangeRecord:
    """A change as stored with the job and shown to people."""

    line_item_id: str
    key: WbsKey
    kind: ChangeKind
    old_amount: Decimal | None
    new_amount: Decimal


class AutoReimport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    every_hours: int = Field(default=24, ge=1, le=24 * 7)


class ErpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_reimport: AutoReimport = Field(default_factory=AutoReimport)
    # When true, an import or re-import that meets a cost code or cost type the catalog lacks adds
    # it to the catalog instead of failing (docs/adoption.md).
    add_unknown_cost_codes: bool = False


class ConnectionStatus(StrEnum):
    UNTESTED = "untested"
    OK = "ok"
    FAILING = "failing"


class ErpConnection(BaseModel):
    """Where a company's ERP is and which secret holds its credentials (never the credentials).

    `settings` are the ERP's non-secret fields (for Acumatica `company` and `endpoint_version`);
    each connector documents its own in docs/erps/<erp>.md.
    """

    erp_system: str  # registry name, e.g. "acumatica"
    base_url: str
    settings: dict[str, str] = Field(default_factory=dict)
    credentials_secret_id: str
    status: ConnectionStatus = ConnectionStatus.UNTESTED
    last_tested_at: datetime | None = None
    last_error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_first_version(cls, data: object) -> object:
        """Connections stored by the first version named the ERP `system` and kept `tenant`."""
        if isinstance(data, dict) and "system" in data and "erp_system" not in data:
            data = dict(data)
            data["erp_system"] = data.pop("system")
            tenant = data.pop("tenant", None)
            if tenant is not None:
                data["settings"] = {**data.get("settings", {}), "company": tenant}
        return data

    def setting(self, name: str, default: str = "") -> str:
        return self.settings.get(name, default)

    @property
    def signs_in(self) -> bool:
        """Whether the connector needs the stored credentials (the spreadsheet import reads
        uploaded exports, not an ERP, so it has none to read)."""
        return bool(self.credentials_secret_id) and self.erp_system != "spreadsheet"


@dataclass(frozen=True, slots=True)
class ErpCredentials:
    """The secret fields of an ERP connection (passwords, client secrets, tokens), by name.

    Only the worker's connector and the secret store ever hold them; `repr` never shows a value.
    """

    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, **values: str) -> ErpCredentials:
        return cls(dict(values))

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def username(self) -> str:
        return self.get("username")

    @property
    def password(self) -> str:
        return self.get("password")

    def names(self) -> list[str]:
        return sorted(self.values)


@dataclass(frozen=True, slots=True)
class ErpProject:
    """One job/project as the ERP lists it (for linking it to a Budget Bridge project)."""

    erp_job_id: str
    name: str
    erp_status: str


@dataclass(frozen=True, slots=True)
class ProjectLink:
    """The project an ERP job is linked to, and the name the link gave it ("" for a link made
    before names were kept)."""

    project_id: str
    project_name: str


@dataclass(frozen=True, slots=True)
class ErpProjectPage:
    projects: list[ErpProject]
    has_more: bool

    @classmethod
    def window(cls, projects: Iterable[ErpProject], offset: int, limit: int) -> ErpProjectPage:
        """The page at `offset` (counted in projects) of every project in order, for an ERP whose
        own paging cannot count them: read no further than one project past the page, which
        says whether there are more."""
        seen = list(islice(projects, offset + limit + 1))
        return cls(projects=seen[offset : offset + limit], has_more=len(seen) > offset + limit)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A cost code or cost type as the ERP names it."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class ErpCatalog:
    cost_codes: list[CatalogEntry]
    cost_types: list[CatalogEntry]


class TargetKind(StrEnum):
    """Where a company's project budgets live: Budget Bridge's own store or Procore."""

    BUDGET_BRIDGE = "budget_bridge"
    PROCORE = "procore"

    @property
    def display_name(self) -> str:
        return TARGET_NAME if self is TargetKind.BUDGET_BRIDGE else "Procore"


class TargetConfig(BaseModel):
    """A company's budget target; for Procore, where it is and which secret holds its client.

    The client secret lives in the secret store only; this names the secret, never the value.
    """

    target: TargetKind = TargetKind.BUDGET_BRIDGE
    base_url: str | None = None
    procore_company_id: str | None = None
    credentials_secret_id: str | None = None

    @property
    def name(self) -> str:
        return self.target.display_name


@dataclass(slots=True)
class TargetLine:
    """A budget line as another system holds it: the line and that system's id for its WBS code."""

    line: LineItem
    ref: str


@dataclass(frozen=True, slots=True)
class TargetWrite:
    """One amount about to be written to another system, with the amount it replaces.

    Recorded before the write (the job's write-ahead record) so that a failed or crashed apply
    can put `old_amount` back; an added line's `old_amount` is 0, and it is `created`: a put-back
    removes it rather than leave a 0.00 line the budget did not have (docs/targets/procore.md).
    """

    ref: str
    key: WbsKey
    old_amount: Decimal
    new_amount: Decimal
    description: str = ""
    # A person's line edit: then exactly its fields are written, and no amount besides. A
    # re-import's or restore's writes carry none: they move amounts only, units stay.
    edit: LineFields | None = None
    created: bool = False

    def undo(self) -> TargetWrite:
        return TargetWrite(
            self.ref,
            self.key,
            self.new_amount,
            self.old_amount,
            self.description,
            None if self.edit is None else self.edit.undo(),
            self.created,
        )


# A field of a line edit written to another system: description, uom, quantity, unit_cost or
# original_budget_amount, with its value (None sets it to null).
FieldValue = tuple[str, str | Decimal | None]


@dataclass(frozen=True, slots=True)
class LineFields:
    """The fields a line edit sets in another system, and the values they replace there."""

    new: tuple[FieldValue, ...]
    old: tuple[FieldValue, ...]

    def undo(self) -> LineFields:
        return LineFields(self.old, self.new)


def catalog_codes(catalog: ErpCatalog) -> CostCatalog:
    return CostCatalog(
        frozenset(e.code for e in catalog.cost_codes), frozenset(e.code for e in catalog.cost_types)
    )


def merge_catalog(current: ErpCatalog, more: ErpCatalog) -> tuple[ErpCatalog, int, int]:
    """`current` plus the entries of `more` it lacks (never removes); and how many were added."""
    known_codes = {e.code for e in current.cost_codes}
    known_types = {e.code for e in current.cost_types}
    new_codes = _unique(e for e in more.cost_codes if e.code not in known_codes)
    new_types = _unique(e for e in more.cost_types if e.code not in known_types)
    merged = ErpCatalog(
        sorted([*current.cost_codes, *new_codes], key=lambda e: e.code),
        sorted([*current.cost_types, *new_types], key=lambda e: e.code),
    )
    return merged, len(new_codes), len(new_types)


def _unique(entries: Iterable[CatalogEntry]) -> list[CatalogEntry]:
    seen: dict[str, CatalogEntry] = {}
    for entry in entries:
        seen.setdefault(entry.code, entry)
    return list(seen.values())


class AuditEvent(BaseModel):
    """One entry of a company's audit log: who did what to what, and when. Never a secret."""

    company_id: str
    event_id: str
    at: datetime
    actor: str  # an email, or "schedule" / "operator"
    action: str  # e.g. "connection.saved"; docs/adoption.md lists them
    target: str
    details: dict[str, object] = Field(default_factory=dict)


class OutboxMessage(BaseModel):
    """An invitation as the local stack's outbox keeps it instead of sending an email."""

    to: str
    subject: str
    body: str
    temporary_password: str
    sent_at: datetime
