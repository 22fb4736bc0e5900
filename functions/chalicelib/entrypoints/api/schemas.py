"""The API's wire shapes: pydantic models for every request, query and answer (docs/api.md).

Requests are strict and forbid unknown fields, so a typo is an error rather than a silent no-op.
Money travels as a string with two decimals and timestamps as ISO 8601 UTC with a `Z`; the
OpenAPI document is generated from these same models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal, DecimalException
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    WithJsonSchema,
    model_validator,
)

from chalicelib.adapters.erp.spreadsheet import MAX_BYTES as EXPORT_MAX_BYTES
from chalicelib.domain import limits
from chalicelib.domain.model import (
    AuditEvent,
    Budget,
    BudgetStatus,
    BudgetVersion,
    CatalogEntry,
    ChangeKind,
    ChangeRecord,
    ErpCatalog,
    ErpConnection,
    ErpLine,
    ErpSettings,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineItem,
    Membership,
    OutboxMessage,
    Phase,
    TargetConfig,
    TargetKind,
    Totals,
    VersionSource,
    WbsKey,
    iso,
)
from chalicelib.domain.money import (
    MONEY_DIGITS,
    TOTAL_DIGITS,
    InvalidAmount,
    format_amount,
    parse_amount,
)
from chalicelib.domain.ports import LineEdit

MAX_BODY_BYTES = 64 * 1024
MAX_CURSOR_LENGTH = 2048
MONEY_PATTERN = rf"^-?\d{{1,{MONEY_DIGITS}}}(\.\d{{1,2}})?$"
TOTAL_PATTERN = rf"^-?\d{{1,{TOTAL_DIGITS}}}(\.\d{{1,2}})?$"
MAX_DECIMAL_PLACES = limits.MAX_DECIMAL_PLACES


# What a request's money and decimals may look like: the forms the OpenAPI document publishes,
# ASCII digits only. Python's Decimal() would also take " 12.5", "+12.5", "1_000", "1e3", ".5" and
# other scripts' digits, which the document promises no client and no person means.
_MONEY_TEXT = re.compile(MONEY_PATTERN, re.ASCII)
_DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_DECIMAL_TEXT = re.compile(_DECIMAL_PATTERN, re.ASCII)


def _money(raw: object) -> Decimal:
    if not isinstance(raw, str):
        raise ValueError('it must be a string with at most 2 decimals, such as "1250.00"')
    try:
        value = parse_amount(raw)  # its reasons first: too many places, beyond the limit, ...
    except InvalidAmount as why:
        raise ValueError(str(why)) from None
    if not _MONEY_TEXT.fullmatch(raw):
        raise ValueError(
            f"'{raw[:40]}' is not written as an amount: use digits 0-9, at most 2 decimals and "
            'no spaces, such as "1250.00" or "-80.5"'
        )
    return value


def _decimal(raw: object) -> Decimal:
    if not isinstance(raw, str):
        raise ValueError('it must be a decimal number written as a string, such as "12.5"')
    try:
        value = Decimal(raw.strip())
    except DecimalException:  # malformed, or an exponent past what Decimal can hold
        raise ValueError(f"'{raw[:40]}' is not a number") from None
    # copy_abs is exact and uses no context: abs() rounds in the thread's context and raised
    # decimal.Overflow, a 500, for "1e1000000" (docs/api.md: a bad value is a 422 naming it).
    if not value.is_finite() or value.copy_abs() >= limits.MAX_DECIMAL_ABS:
        raise ValueError("it must be a finite number below 1,000,000,000,000")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise ValueError(f"{value} has more than {MAX_DECIMAL_PLACES} decimal places")
    if not _DECIMAL_TEXT.fullmatch(raw):
        raise ValueError(
            f"'{raw[:40]}' is not written as a number: use digits 0-9, a point for decimals "
            'and no spaces, such as "12.5"'
        )
    return value


def _name(raw: object) -> object:
    """A name a person types for others to read (a project's): nothing in it that no one can see
    or that reorders what is shown (domain/limits.py, UNSEEN), but the joiners writing needs."""
    if isinstance(raw, str):
        unseen = limits.unseen_in(raw, allowed=limits.JOINERS)
        if unseen is not None:
            raise ValueError(f"it cannot contain {unseen}")
    return raw


NameText = Annotated[str, BeforeValidator(_name)]


MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1250.00"]}),
]
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL_PATTERN, "examples": ["12.5"]}),
]
Money = Annotated[str, Field(pattern=MONEY_PATTERN, examples=["1250.00"])]
# A whole budget's total: wider than one line's amount (domain/money.py decides both).
Total = Annotated[str, Field(pattern=TOTAL_PATTERN, examples=["125000.00"])]
Timestamp = Annotated[
    str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-11-26T10:45:00Z"])
]
PermissionLabel = Literal["none", "read_only", "standard", "admin"]


class Request(BaseModel):
    """A JSON body: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query string parameters: always strings on the wire, so types are coerced, not strict."""

    model_config = ConfigDict(extra="forbid")


# ---- requests ---------------------------------------------------------------------------------


class SessionRequest(Request):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


_CLEARABLE = ("uom", "quantity", "unit_cost")


class LineItemPatch(Request):
    """The fields of one line a person may change; a field left out keeps its value."""

    description: str | None = Field(default=None, max_length=limits.MAX_DESCRIPTION)
    uom: str | None = Field(default=None, max_length=limits.MAX_UOM)
    quantity: DecimalIn | None = None
    unit_cost: DecimalIn | None = None
    original_budget_amount: MoneyIn | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> LineItemPatch:
        if not self.model_fields_set:
            raise ValueError(
                "give at least one of description, uom, quantity, unit_cost, original_budget_amount"
            )
        for name in ("description", "original_budget_amount"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"The field '{name}' cannot be null")
        return self

    def to_edit(self) -> LineEdit:
        given = self.model_fields_set
        return LineEdit(
            description=self.description,
            uom=self.uom,
            quantity=self.quantity,
            unit_cost=self.unit_cost,
            original_budget_amount=self.original_budget_amount,
            clear=frozenset(f for f in _CLEARABLE if f in given and getattr(self, f) is None),
        )


class JobRequestBody(Request):
    """The optional body of an import, re-import or preview request."""

    preview_job_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Apply exactly what this preview showed, or nothing. The budget's own refusal "
        "(`not_synced`, `already_imported`, `budget_locked`, `job_in_progress`) comes first; then "
        "400 `invalid_request` for an id that names no successful preview of this budget, "
        "422 `preview_wrong_kind` for a preview that planned the other apply (an import's preview "
        "sent to re-import, or the reverse), 409 `preview_expired` after an hour, 409 "
        "`preview_stale` when the budget changed since; a job that fails with `error_code` "
        "`preview_stale` when the ERP's lines changed since. Not for a preview.",
    )
    allow_empty: bool = Field(
        default=False,
        description="Apply an ERP answer with no cost lines even though it sets every line to 0; "
        "without it such a job fails with `error_code` `erp_budget_empty`.",
    )


class AutoReimportBody(Request):
    enabled: bool
    every_hours: int = Field(default=24, ge=1, le=24 * 7)


class ErpSettingsBody(Request):
    """`add_unknown_cost_codes` left out keeps its value."""

    auto_reimport: AutoReimportBody
    add_unknown_cost_codes: bool | None = None

    def to_domain(self, current: ErpSettings) -> ErpSettings:
        merged = current.model_dump()
        merged["auto_reimport"] = self.auto_reimport.model_dump()
        if self.add_unknown_cost_codes is not None:
            merged["add_unknown_cost_codes"] = self.add_unknown_cost_codes
        return ErpSettings.model_validate(merged)


FieldValues = Annotated[dict[str, str], Field(max_length=50)]


class ErpConnectionBody(Request):
    """`credentials` go to the secret store only; leave them out to keep the stored ones."""

    erp_system: str = Field(min_length=1, max_length=64, examples=["acumatica"])
    base_url: str = Field(
        default="",
        max_length=2048,
        examples=["https://erp.example.com"],
        description="Required for every ERP but `spreadsheet` (uploaded exports: no address, "
        "no credentials).",
    )
    settings: FieldValues = Field(default_factory=dict, examples=[{"company": "Fresh"}])
    credentials: FieldValues | None = Field(
        default=None, examples=[{"username": "admin", "password": "..."}]
    )


class LinkBody(Request):
    project_name: NameText | None = Field(default=None, max_length=limits.MAX_PROJECT_NAME)
    procore_project_id: str | None = Field(
        default=None,
        max_length=20,
        description="The Procore project, for a company whose budgets live in Procore; 422 "
        "`invalid_target_project` when it does not answer.",
    )


class CatalogEntryBody(Request):
    code: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=200)


class CatalogBody(Request):
    cost_codes: list[CatalogEntryBody] = Field(max_length=5000)
    cost_types: list[CatalogEntryBody] = Field(max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> CatalogBody:
        for name, entries in (("cost_codes", self.cost_codes), ("cost_types", self.cost_types)):
            codes = [e.code for e in entries]
            if len(set(codes)) != len(codes):
                raise ValueError(f"The field '{name}' lists a code more than once")
        return self

    def to_domain(self) -> ErpCatalog:
        return ErpCatalog(
            [CatalogEntry(e.code, e.description) for e in self.cost_codes],
            [CatalogEntry(e.code, e.description) for e in self.cost_types],
        )


class MemberBody(Request):
    email: str = Field(min_length=3, max_length=254)
    erp_permission: PermissionLabel
    budget_permission: PermissionLabel


class MemberPatch(Request):
    erp_permission: PermissionLabel | None = None
    budget_permission: PermissionLabel | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> MemberPatch:
        if self.erp_permission is None and self.budget_permission is None:
            raise ValueError("give erp_permission, budget_permission or both")
        return self


class NewPasswordRequest(Request):
    email: str = Field(min_length=1, max_length=254)
    session: str = Field(min_length=1, max_length=4096)
    new_password: str = Field(min_length=1, max_length=256)


# The largest declared size weighed at all. Up to it the service answers a file over the 10 MB
# limit of budget exports with its own sentence (docs/erps/spreadsheet.md); beyond it no file is
# meant (far past what S3 holds in one object) and the size is refused here, naming the limit,
# before any arithmetic on a number of hundreds of digits.
EXPORT_SIZE_CEILING = 1024 * 1024 * EXPORT_MAX_BYTES


def _declared_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value > EXPORT_SIZE_CEILING:
        raise ValueError(
            f"budget exports may be at most 10 MB ({EXPORT_MAX_BYTES} bytes); this size is "
            "far larger"
        )
    return value


class ExportUploadBody(Request):
    file_name: str = Field(min_length=5, max_length=200)
    size: Annotated[int, Field(ge=1, le=EXPORT_SIZE_CEILING), BeforeValidator(_declared_size)]


ColumnName = Annotated[str, Field(max_length=100)]


class SpreadsheetMapping(Request):
    """The export's column names, per Budget Bridge field ("" where the export has none)."""

    sub_job_column: ColumnName = ""
    cost_code_column: ColumnName
    cost_type_column: ColumnName
    amount_column: ColumnName
    kind_column: ColumnName = ""
    description_column: ColumnName = ""


# ---- query strings ----------------------------------------------------------------------------

Cursor = Annotated[str | None, Field(default=None, min_length=1, max_length=MAX_CURSOR_LENGTH)]


class BudgetListQuery(Query):
    filter: BudgetStatus | None = None
    limit: int = Field(default=100, ge=1, le=500)
    cursor: Cursor = None


class JobListQuery(Query):
    budget_id: str | None = Field(default=None, min_length=1, max_length=200)
    limit: int = Field(default=25, ge=1, le=100)
    cursor: Cursor = None


class ChangesQuery(Query):
    limit: int = Field(default=100, ge=1, le=1000)
    cursor: Cursor = None


class ErrorsQuery(ChangesQuery):
    """A job's line errors page as its changes do."""


class MappingPreviewQuery(Query):
    erp_job_id: str = Field(min_length=1, max_length=200)


class PageQuery(Query):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Cursor = None


class HistoryQuery(Query):
    limit: int = Field(default=25, ge=1, le=100)
    cursor: Cursor = None


class BudgetPageQuery(Query):
    limit: int = Field(default=1000, ge=1, le=5000)  # a Lambda answer must stay under 6 MB
    cursor: Cursor = None


# ---- answers ----------------------------------------------------------------------------------


class Reply(BaseModel):
    """An answer whose fields have defaults: every field is still on the wire (null when unset), so
    the document marks each one required and generated clients need not guess."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Health(Reply):
    status: Literal["ok"] = "ok"


class SessionResponse(BaseModel):
    token: str = Field(description="A JWT to send as `Authorization: Bearer <token>`.")
    expires_in: int = Field(description="Seconds until the token expires.")


class CompanyAccess(BaseModel):
    company_id: str
    name: str
    erp_permission: PermissionLabel
    budget_permission: PermissionLabel
    target: TargetKind = Field(description="Where the company's budgets live.")
    target_name: str = Field(
        description='The target as people read it: "Budget Bridge", "Procore".'
    )

    @classmethod
    def of(
        cls, membership: Membership, target: TargetKind = TargetKind.BUDGET_BRIDGE
    ) -> CompanyAccess:
        return cls(
            company_id=membership.company_id,
            name=membership.company_name,
            erp_permission=membership.erp_permission.label,  # type: ignore[arg-type]
            budget_permission=membership.budget_permission.label,  # type: ignore[arg-type]
            target=target,
            target_name=target.display_name,
        )


class MeResponse(BaseModel):
    email: str
    companies: list[CompanyAccess]


LOCKED = "Locked in Budget Bridge, or in the budget's target (then `locked_in_target`)."
LOCKED_IN_TARGET = (
    "Locked in the budget's target (Procore) as Budget Bridge last read it (a request, a job, "
    "or opening the budget); only unlocking it there lifts it."
)


class BudgetListItem(BaseModel):
    budget_id: str
    project_id: str
    project_name: str
    erp_job_id: str
    erp_system: str
    status: BudgetStatus
    locked: bool = Field(description=LOCKED)
    locked_in_target: bool = Field(description=LOCKED_IN_TARGET)
    current_procore_total: Total = Field(description="The project budget's current total.")
    last_synced_at: Timestamp | None
    can_reimport: bool = Field(description="The caller may re-import this budget right now.")
    can_import: bool = Field(description="The caller may import this budget right now.")
    active_job_id: str | None = Field(description="The queued or running job holding the budget.")
    line_count: int
    target: TargetKind = Field(description="Where this budget lives.")
    target_name: str = Field(description='"Budget Bridge" or "Procore", for messages and columns.')
    procore_project_id: str | None = Field(description="The Procore project, when it lives there.")
    current_erp_total: Total | None = Field(
        description="The ERP's cost total as last fetched by any job; null before the first."
    )
    erp_total_as_of: Timestamp | None = Field(description="When that ERP total was fetched.")

    @classmethod
    def of(
        cls,
        budget: Budget,
        can_reimport: bool,
        can_import: bool,
        target: TargetKind = TargetKind.BUDGET_BRIDGE,
        locked_in_target: bool = False,
    ) -> BudgetListItem:
        return cls(
            target=target,
            target_name=target.display_name,
            procore_project_id=budget.target_project_id if target is TargetKind.PROCORE else None,
            budget_id=budget.budget_id,
            project_id=budget.project_id,
            project_name=budget.project_name,
            erp_job_id=budget.erp_job_id,
            erp_system=budget.erp_system,
            status=budget.status,
            locked=budget.locked or locked_in_target,
            locked_in_target=locked_in_target,
            current_procore_total=format_amount(budget.total),
            last_synced_at=iso(budget.last_synced_at),
            can_reimport=can_reimport,
            can_import=can_import,
            active_job_id=budget.active_job_id,
            line_count=budget.line_count,
            current_erp_total=_money_or_none(budget.current_erp_total),
            erp_total_as_of=iso(budget.erp_total_as_of),
        )


class BudgetList(BaseModel):
    budgets: list[BudgetListItem]
    next_cursor: str | None


class ProjectListItem(BaseModel):
    project_id: str
    project_name: str
    budget_id: str
    status: BudgetStatus
    locked: bool = Field(description=LOCKED)
    locked_in_target: bool = Field(description=LOCKED_IN_TARGET)
    total: Total = Field(description="The project budget's current total.")
    line_count: int
    target_name: str = Field(description='"Budget Bridge" or "Procore": where the budget lives.')

    @classmethod
    def of(cls, budget: Budget, target: TargetKind, locked_in_target: bool) -> ProjectListItem:
        return cls(
            project_id=budget.project_id,
            project_name=budget.project_name,
            budget_id=budget.budget_id,
            status=budget.status,
            locked=budget.locked or locked_in_target,
            locked_in_target=locked_in_target,
            total=format_amount(budget.total),
            line_count=budget.line_count,
            target_name=target.display_name,
        )


class ProjectList(BaseModel):
    projects: list[ProjectListItem]
    next_cursor: str | None


class ProgressOut(BaseModel):
    phase: Phase
    done: int
    total: int


class SummaryOut(BaseModel):
    lines_updated: int
    lines_added: int
    lines_zeroed: int
    lines_unchanged: int


class TotalsOut(BaseModel):
    current_erp_total: Total | None = Field(
        description="The ERP's cost lines summed; null when the job did not get a total from the "
        "ERP (it failed before the ERP answered, or an ERP line's amount is not a valid amount)."
    )
    current_total: Total = Field(description="The budget's total before the job.")
    new_total: Total = Field(
        description="The budget's total after the job (or the preview's); a failed job changed "
        "nothing, so it equals `current_total`."
    )

    @classmethod
    def of(cls, totals: Totals | None) -> TotalsOut | None:
        if totals is None:
            return None
        return cls(
            current_erp_total=_money_or_none(totals.current_erp_total),
            current_total=format_amount(totals.current_total),
            new_total=format_amount(totals.new_total),
        )


class LineErrorOut(BaseModel):
    line: int = Field(description="The line's 1-based position in the ERP's answer.")
    field: str
    message: str


class ChangeOut(BaseModel):
    line_item_id: str
    sub_job: str
    cost_code: str
    cost_type: str
    kind: ChangeKind
    old_amount: Money | None = Field(description="null when the line was added.")
    new_amount: Money

    @classmethod
    def of(cls, change: ChangeRecord) -> ChangeOut:
        return cls(
            line_item_id=change.line_item_id,
            sub_job=change.key.sub_job,
            cost_code=change.key.cost_code,
            cost_type=change.key.cost_type,
            kind=change.kind,
            old_amount=None if change.old_amount is None else format_amount(change.old_amount),
            new_amount=format_amount(change.new_amount),
        )


class JobResponse(Reply):
    job_id: str
    budget_id: str
    kind: JobKind
    status: JobStatus
    progress: ProgressOut | None
    message: str
    error_code: str | None = Field(
        default=None,
        description="Why a failed job failed, for programs: `erp_budget_empty`, "
        "`budget_total_too_large`, `preview_stale`, `target_rejected` (the budget's target, "
        "Procore, refused it: `errors` are the lines it refused), `budget_locked` (locked "
        "between the request and the run, or, for a preview, locked now); for a preview whose "
        "apply would be refused, also `job_in_progress` or `not_linked`; or null.",
    )
    summary: SummaryOut | None
    changes: list[ChangeOut] = Field(description="The first 100 changes; page the rest.")
    change_count: int = Field(description="How many lines this job changed in all.")
    errors: list[LineErrorOut] = Field(
        description="The first 100 line errors, in line order; page the rest."
    )
    error_count: int = Field(description="How many line errors this job has in all.")
    requested_by: str = Field(description='An email, or "schedule".')
    requested_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    totals: TotalsOut | None = Field(
        description="Preview, import and re-import, once finished (succeeded or failed): the "
        "ERP's total, the budget before and after. null while queued or running, and for a "
        "restore."
    )
    preview_job_id: str | None = Field(description="The preview this job applies, if any.")
    restore_version: int | None = Field(description="A restore: the version it brings back.")

    @classmethod
    def of(
        cls,
        job: Job,
        changes: Sequence[ChangeRecord] = (),
        errors: Sequence[LineError] = (),
        error_count: int = 0,
    ) -> JobResponse:
        """`changes` and `errors`: the first 100 of each (services/jobs.job_details)."""
        return cls(
            job_id=job.job_id,
            budget_id=job.budget_id,
            kind=job.kind,
            status=job.status,
            progress=None if job.progress is None else ProgressOut(**job.progress.model_dump()),
            message=job.message,
            error_code=job.error_code,
            summary=None if job.summary is None else SummaryOut(**job.summary.model_dump()),
            changes=[ChangeOut.of(change) for change in changes],
            change_count=job.change_count,
            errors=[LineErrorOut(**error.model_dump()) for error in errors],
            error_count=error_count,
            requested_by=job.requested_by,
            requested_at=iso(job.requested_at) or "",
            started_at=iso(job.started_at),
            finished_at=iso(job.finished_at),
            totals=TotalsOut.of(job.totals),
            preview_job_id=job.preview_job_id,
            restore_version=job.restore_version,
        )


class JobList(BaseModel):
    jobs: list[JobResponse]
    next_cursor: str | None


class ChangePage(BaseModel):
    changes: list[ChangeOut]
    next_cursor: str | None


class LineErrorPage(BaseModel):
    errors: list[LineErrorOut]
    next_cursor: str | None


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _money_or_none(value: Decimal | None) -> str | None:
    return None if value is None else format_amount(value)


# A Lambda answer is at most 6 MB (the reason a page holds at most 5,000 lines), counted as
# the JSON Lambda returns, where the body is a JSON string: non-ASCII text travels as \uXXXX and
# every quote is escaped. Long ERP text passes that well under 5,000 lines, so a page of lines
# stops before its lines pass ANSWER_BYTES and hands back a cursor to the rest, and a version's
# changes stop at VERSION_CHANGES_BYTES (its change_count still counts them all); the header and
# the JSON around them fit in what is left (docs/api.md, "Pages").
ANSWER_BYTES = 5_000_000
VERSION_LINES_BYTES = 3_000_000
VERSION_CHANGES_BYTES = 1_500_000
# Upper bounds of one item on that wire: a character of text at most 12 bytes (a character beyond
# the BMP as two \u escapes), of the line's id (base64 of the key's ASCII-escaped JSON) at most
# 16 per key character; the rest is field names, amounts and quantities.
_TEXT_BYTES = 12
_ID_BYTES = 16
_OVERHEAD_BYTES = 600


_Item = TypeVar("_Item")


def _key_chars(key: WbsKey) -> int:
    return len(key.sub_job) + len(key.cost_code) + len(key.cost_type)


def _line_bytes_bound(line: LineItem) -> int:
    keys = _key_chars(line.key)
    text = keys + len(line.description) + len(line.uom or "")
    return _TEXT_BYTES * text + _ID_BYTES * keys + _OVERHEAD_BYTES


def _change_bytes_bound(change: ChangeRecord) -> int:
    keys = _key_chars(change.key)
    return (_TEXT_BYTES + _ID_BYTES) * keys + _OVERHEAD_BYTES


def _wire_bytes(item: BaseModel) -> int:
    """One item's bytes in Lambda's answer (its JSON escaped as part of the body string), with a
    comma."""
    return len(encode_basestring_ascii(item.model_dump_json())) - 1


def _count_that_fit(
    items: Sequence[_Item],
    room: int,
    bound: Callable[[_Item], int],
    out: Callable[[_Item], BaseModel],
) -> int:
    """How many of `items`, from the first, fit in `room` bytes (always at least one). Measured
    item by item only when the bound says they might not all fit: ordinary pages of short text
    pay one sum, not a second serialization."""
    if sum(map(bound, items)) <= room:
        return len(items)
    used = 0
    for count, item in enumerate(items):
        used += _wire_bytes(out(item))
        if used > room:
            return max(count, 1)
    return len(items)


def _job_bytes_bound(answer: JobResponse) -> int:
    """A job answer's bytes at most: its own fields, and its (at most 100) changes and errors."""
    text = len(answer.message) + len(answer.requested_by)
    text += sum(len(error.field) + len(error.message) for error in answer.errors)
    keys = sum(len(c.sub_job) + len(c.cost_code) + len(c.cost_type) for c in answer.changes)
    items = 2 + len(answer.changes) + len(answer.errors)
    return _TEXT_BYTES * text + (_TEXT_BYTES + _ID_BYTES) * keys + _OVERHEAD_BYTES * items


def jobs_that_fit(answers: Sequence[JobResponse], room: int = ANSWER_BYTES) -> int:
    """A page of jobs carries each one's first 100 changes: with long keys (a sub job of 100
    characters beyond the BMP) 25 of them pass Lambda's 6 MB, so the page stops short."""
    return _count_that_fit(answers, room, _job_bytes_bound, lambda answer: answer)


def lines_that_fit(lines: Sequence[LineItem], room: int = ANSWER_BYTES) -> int:
    return _count_that_fit(lines, room, _line_bytes_bound, LineItemOut.of)


def changes_that_fit(changes: Sequence[ChangeRecord], room: int = VERSION_CHANGES_BYTES) -> int:
    return _count_that_fit(changes, room, _change_bytes_bound, ChangeOut.of)


class LineItemOut(BaseModel):
    line_item_id: str
    sub_job: str
    cost_code: str
    cost_type: str
    description: str
    original_budget_amount: Money
    uom: str | None
    quantity: str | None
    unit_cost: str | None

    @classmethod
    def of(cls, line: LineItem) -> LineItemOut:
        return cls(
            line_item_id=line.line_item_id,
            sub_job=line.key.sub_job,
            cost_code=line.key.cost_code,
            cost_type=line.key.cost_type,
            description=line.description,
            original_budget_amount=format_amount(line.original_budget_amount),
            uom=line.uom,
            quantity=_decimal_text(line.quantity),
            unit_cost=_decimal_text(line.unit_cost),
        )


class BudgetHeader(BaseModel):
    """A project budget without its lines: what lock and unlock answer."""

    budget_id: str
    project_id: str
    project_name: str
    locked: bool = Field(description=LOCKED)
    locked_in_target: bool = Field(description=LOCKED_IN_TARGET)
    status: BudgetStatus
    version: int
    total: Total = Field(description="The whole budget's total.")
    line_count: int = Field(description="The whole budget's number of lines.")

    @classmethod
    def fields_of(cls, budget: Budget, locked_in_target: bool = False) -> dict[str, Any]:
        return {
            "budget_id": budget.budget_id,
            "project_id": budget.project_id,
            "project_name": budget.project_name,
            "locked": budget.locked or locked_in_target,
            "locked_in_target": locked_in_target,
            "status": budget.status,
            "version": budget.version,
            "total": format_amount(budget.total),
            "line_count": budget.line_count,
        }

    @classmethod
    def of(cls, budget: Budget, locked_in_target: bool = False) -> BudgetHeader:
        return cls(**cls.fields_of(budget, locked_in_target))


class ProjectBudget(BudgetHeader):
    line_items: list[LineItemOut] = Field(description="One page of lines, sorted by WBS key.")
    next_cursor: str | None

    @classmethod
    def page(
        cls,
        budget: Budget,
        lines: list[LineItem],
        next_cursor: str | None,
        locked_in_target: bool = False,
    ) -> ProjectBudget:
        return cls(
            **cls.fields_of(budget, locked_in_target),
            line_items=[LineItemOut.of(line) for line in lines],
            next_cursor=next_cursor,
        )


class VersionOut(BaseModel):
    version: int
    at: Timestamp
    by: str = Field(description='Who made the change: an email, "schedule" or "seed".')
    source: VersionSource
    job_id: str | None = Field(description="The job that made it; null for a line edit.")
    total: Total
    line_count: int
    summary: SummaryOut

    @classmethod
    def of(cls, record: BudgetVersion) -> VersionOut:
        return cls(
            version=record.version,
            at=iso(record.at) or "",
            by=record.by,
            source=record.source,
            job_id=record.job_id,
            total=format_amount(record.total),
            line_count=record.line_count,
            summary=SummaryOut(**record.summary.model_dump()),
        )


class HistoryList(BaseModel):
    versions: list[VersionOut] = Field(description="Newest first.")
    next_cursor: str | None


class BudgetAsOf(ProjectBudget):
    """The budget as it was at one version, with what that version changed."""

    at: Timestamp
    by: str
    source: VersionSource
    job_id: str | None
    changes: list[ChangeOut] = Field(
        description="Amount changes against the version before: at most 1,000, fewer when "
        "their text is long (an answer stays under 6 MB); `change_count` counts them all."
    )
    change_count: int

    @classmethod
    def as_of(
        cls,
        budget: Budget,
        record: BudgetVersion,
        page: tuple[list[LineItem], str | None],
        changes: tuple[list[ChangeRecord], int],
    ) -> BudgetAsOf:
        lines, next_cursor = page
        return cls(
            **cls.fields_of(budget),
            line_items=[LineItemOut.of(line) for line in lines],
            next_cursor=next_cursor,
            at=iso(record.at) or "",
            by=record.by,
            source=record.source,
            job_id=record.job_id,
            changes=[ChangeOut.of(c) for c in changes[0][: changes_that_fit(changes[0])]],
            change_count=changes[1],
        )


class AutoReimportOut(BaseModel):
    enabled: bool
    every_hours: int


class ErpSettingsResponse(BaseModel):
    auto_reimport: AutoReimportOut
    add_unknown_cost_codes: bool

    @classmethod
    def of(cls, settings: ErpSettings) -> ErpSettingsResponse:
        return cls(
            auto_reimport=AutoReimportOut(**settings.auto_reimport.model_dump()),
            add_unknown_cost_codes=settings.add_unknown_cost_codes,
        )


class SessionChallenge(Reply):
    challenge: Literal["new_password_required"] = "new_password_required"
    session: str = Field(description="Send it back to POST /session/new-password.")


class SignInAnswer(RootModel[SessionResponse | SessionChallenge]):
    """A token, or (for an account still on its temporary password) the challenge to choose one."""


class ErpConnectionOut(BaseModel):
    """Never the credentials: only whether they are set, and which of their fields."""

    erp_system: str
    base_url: str
    settings: dict[str, str]
    credentials_set: bool
    credentials_fields: list[str] | None = Field(
        description="The names of the secret fields stored (required and optional ones), never "
        "their values, in the order the ERP declares them; [] without credentials; null when "
        "the secret store could not be read just now (then only `credentials_set` is known)."
    )
    status: Literal["untested", "ok", "failing"]
    last_tested_at: Timestamp | None
    last_error: str | None

    @classmethod
    def of(
        cls, connection: ErpConnection, credentials_fields: Sequence[str] | None
    ) -> ErpConnectionOut:
        return cls(
            erp_system=connection.erp_system,
            base_url=connection.base_url,
            settings=dict(connection.settings),
            credentials_set=bool(connection.credentials_secret_id),
            credentials_fields=None if credentials_fields is None else list(credentials_fields),
            status=connection.status.value,
            last_tested_at=iso(connection.last_tested_at),
            last_error=connection.last_error,
        )


class ErpConnectionResponse(BaseModel):
    connection: ErpConnectionOut | None


class ConnectionTestResponse(Reply):
    ok: bool
    code: Literal["erp_auth_failed", "erp_unreachable", "erp_rejected"] | None = None
    message: str
    projects_visible: int | None = None


class ErpProjectOut(BaseModel):
    erp_job_id: str
    name: str
    erp_status: str
    project_id: str | None
    project_name: str | None = Field(
        default=None,
        description="The linked project's name, which the link may have given it instead of "
        "the ERP's; null when not linked (or linked before names were kept).",
    )


class ErpProjectList(BaseModel):
    projects: list[ErpProjectOut]
    next_cursor: str | None


class LinkResponse(Reply):
    project_id: str
    project_name: str
    budget_id: str
    status: BudgetStatus
    procore_project_id: str | None = None


class CatalogEntryOut(BaseModel):
    code: str
    description: str


class CatalogResponse(BaseModel):
    cost_codes: list[CatalogEntryOut]
    cost_types: list[CatalogEntryOut]

    @classmethod
    def of(cls, catalog: ErpCatalog) -> CatalogResponse:
        return cls(
            cost_codes=[CatalogEntryOut(code=e.code, description=e.description)
                        for e in catalog.cost_codes],
            cost_types=[CatalogEntryOut(code=e.code, description=e.description)
                        for e in catalog.cost_types],
        )  # fmt: skip


class SyncResponse(BaseModel):
    added_cost_codes: int
    added_cost_types: int


class MemberOut(BaseModel):
    email: str
    erp_permission: PermissionLabel
    budget_permission: PermissionLabel
    status: Literal["invited", "active"]

    @classmethod
    def of(cls, member: Membership) -> MemberOut:
        return cls(
            email=member.email,
            erp_permission=member.erp_permission.label,  # type: ignore[arg-type]
            budget_permission=member.budget_permission.label,  # type: ignore[arg-type]
            status=member.status.value,
        )


class MemberList(BaseModel):
    members: list[MemberOut]


class AuditEventOut(BaseModel):
    at: Timestamp
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            at=iso(event.at) or "",
            actor=event.actor,
            action=event.action,
            target=event.target,
            details=event.details,
        )


class AuditList(BaseModel):
    events: list[AuditEventOut]
    next_cursor: str | None


class OutboxMessageOut(BaseModel):
    to: str
    subject: str
    body: str
    temporary_password: str
    sent_at: Timestamp

    @classmethod
    def of(cls, message: OutboxMessage) -> OutboxMessageOut:
        return cls(
            to=message.to,
            subject=message.subject,
            body=message.body,
            temporary_password=message.temporary_password,
            sent_at=iso(message.sent_at) or "",
        )


class TargetCredentialsBody(Request):
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)


class TargetBody(Request):
    """Where the company's budgets live: Budget Bridge's own store, or Procore."""

    target: Literal["budget_bridge", "procore"]
    base_url: str | None = Field(default=None, max_length=500)
    procore_company_id: str | None = Field(default=None, max_length=20)
    credentials: TargetCredentialsBody | None = Field(
        default=None,
        description="A Developer Managed Service Account's client credentials; left out, the "
        "stored ones are kept. Never answered.",
    )

    @model_validator(mode="after")
    def _procore_needs_where(self) -> TargetBody:
        if self.target == TargetKind.PROCORE.value:
            for name in ("base_url", "procore_company_id"):
                if not getattr(self, name):
                    raise ValueError(f"The field '{name}' is required for the Procore target")
        return self


class TargetResponse(BaseModel):
    target: TargetKind
    target_name: str
    base_url: str | None
    procore_company_id: str | None
    credentials_set: bool

    @classmethod
    def of(cls, config: TargetConfig, credentials_set: bool) -> TargetResponse:
        return cls(
            target=config.target,
            target_name=config.name,
            base_url=config.base_url,
            procore_company_id=config.procore_company_id,
            credentials_set=credentials_set,
        )


class Outbox(RootModel[list[OutboxMessageOut]]):
    """The local stack's invitations, newest first."""


class SpreadsheetMappingResponse(BaseModel):
    sub_job_column: str
    cost_code_column: str
    cost_type_column: str
    amount_column: str
    kind_column: str
    description_column: str


class ExportUploadResponse(BaseModel):
    """Where the browser POSTs the file: `url` with `fields` as form fields, the file last."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["budget_locked"])
    message: str = Field(description="A sentence for a person.")
    job_id: str | None = Field(default=None, description="job_in_progress: the running job.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class MappingPreviewLine(BaseModel):
    line: int = Field(description="The line's position in the ERP's answer, from 1.")
    sub_job: str
    cost_code: str
    cost_type: str
    kind: Literal["cost", "revenue"] = Field(description="Revenue lines are left out of a budget.")
    amount: str = Field(
        description="Periods summed, to the cent; as the ERP sent it when it is not a valid amount."
    )
    description: str

    @classmethod
    def of(cls, line: ErpLine) -> MappingPreviewLine:
        # Money to the cent like every other answer; an amount the rules would refuse (3 places,
        # not a number) is shown as the ERP sent it, so the admin sees what is wrong with it.
        try:
            amount = format_amount(parse_amount(line.amount))
        except InvalidAmount:
            amount = str(line.amount)
        return cls(line=line.line, sub_job=line.key.sub_job, cost_code=line.key.cost_code,
                   cost_type=line.key.cost_type, kind=line.kind.value, amount=amount,
                   description=line.description)  # fmt: skip


class MappingPreviewResponse(BaseModel):
    erp_job_id: str
    erp_system: str
    total_lines: int = Field(description="Every line the ERP holds for the job.")
    lines: list[MappingPreviewLine] = Field(description="The first 20 lines, as mapped.")
