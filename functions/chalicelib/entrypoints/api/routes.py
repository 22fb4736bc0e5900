"""The routes of the HTTP API (docs/api.md): each parses, calls one use case, maps the answer."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response

from chalicelib.config import settings as settings_config
from chalicelib.domain import limits
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.model import Job, JobKind, TargetKind
from chalicelib.domain.ports import NewPasswordChallenge
from chalicelib.entrypoints.api import csv_export, openapi
from chalicelib.entrypoints.api.adoption import adoption
from chalicelib.entrypoints.api.errors import reshape_framework_error
from chalicelib.entrypoints.api.framework import (
    Answer,
    ApiBlueprint,
    Call,
    Operation,
    job_location,
)
from chalicelib.entrypoints.api.schemas import (
    VERSION_LINES_BYTES,
    BudgetAsOf,
    BudgetHeader,
    BudgetList,
    BudgetListItem,
    BudgetListQuery,
    BudgetPageQuery,
    ChangeOut,
    ChangePage,
    ChangesQuery,
    CompanyAccess,
    ErpSettingsBody,
    ErpSettingsResponse,
    ErrorsQuery,
    ExportUploadBody,
    ExportUploadResponse,
    Health,
    HistoryList,
    HistoryQuery,
    JobList,
    JobListQuery,
    JobRequestBody,
    JobResponse,
    LineErrorOut,
    LineErrorPage,
    LineItemOut,
    LineItemPatch,
    MappingPreviewLine,
    MappingPreviewQuery,
    MappingPreviewResponse,
    MeResponse,
    PageQuery,
    ProjectBudget,
    ProjectList,
    ProjectListItem,
    SessionChallenge,
    SessionRequest,
    SessionResponse,
    SignInAnswer,
    SpreadsheetMapping,
    SpreadsheetMappingResponse,
    TargetBody,
    TargetResponse,
    VersionOut,
    jobs_that_fit,
    lines_that_fit,
)
from chalicelib.services import (
    budgets,
    exports,
    history,
    jobs,
    mapping_preview,
    reimports,
    settings,
    targets,
)

api = ApiBlueprint(__name__)

# The error statuses most company routes can answer, for the OpenAPI document.
_READ = (400, 401, 403, 404)
_DOWNLOAD = (*_READ, 406)
_WRITE = (400, 401, 403, 404, 409, 422)

COMPANY = "/companies/{company_id}"


@api.operation("GET", "/health", summary="Is the API up?", tag="Meta", answer=Health, auth=False)
def health(call: Call[Any, Any]) -> Health:
    return Health()


@api.operation(
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    tag="Meta",
    answer=None,
    auth=False,
)
def openapi_document(call: Call[Any, Any]) -> Answer:
    return Answer(body=openapi.document(operations()))


@api.operation(
    "POST",
    "/session",
    summary="Sign in with email and password",
    tag="Session",
    answer=SignInAnswer,
    auth=False,
    body=SessionRequest,
    errors=(400, 401, 422, 503),
    description="An account signed in with its temporary password answers `{challenge: "
    '"new_password_required", session}` instead: choose a password with '
    "POST /session/new-password.",
)
def sign_in(call: Call[SessionRequest, Any]) -> SessionResponse | SessionChallenge:
    session = call.ports.identity.sign_in(call.body.email, call.body.password)
    if isinstance(session, NewPasswordChallenge):
        return SessionChallenge(session=session.session)
    return SessionResponse(token=session.token, expires_in=session.expires_in)


@api.operation(
    "GET",
    "/me",
    summary="The caller and their companies",
    tag="Session",
    answer=MeResponse,
    errors=(401,),
)
def me(call: Call[Any, Any]) -> MeResponse:
    memberships = call.ports.directory.memberships(call.caller.email)
    companies = [
        CompanyAccess.of(m, call.ports.directory.target(m.company_id).target) for m in memberships
    ]
    return MeResponse(email=call.caller.email, companies=companies)


@api.operation(
    "GET",
    COMPANY + "/erp/budgets",
    summary="ERP Integrations: the company's budgets",
    tag="ERP Integrations",
    answer=BudgetList,
    query=BudgetListQuery,
    errors=_READ,
)
def list_erp_budgets(call: Call[Any, BudgetListQuery], company_id: str) -> BudgetList:
    q = call.query
    page = budgets.list_budgets(call.ports, call.caller, company_id, q.filter, q.limit, q.cursor)
    return BudgetList(
        budgets=[
            BudgetListItem.of(r.budget, r.can_reimport, r.can_import, r.target, r.locked_in_target)
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )


@api.operation(
    "GET",
    COMPANY + "/projects",
    summary="Budget: the company's project budgets, by project name",
    tag="Budget",
    answer=ProjectList,
    query=PageQuery,
    errors=_READ,
    description="Every project with a budget, Ready to Import and Synced alike (an unlinked "
    "project's budget is not listed), for anyone with Budget read-only or more, ERP access or "
    "not: where the Budget tool starts.",
)
def list_projects(call: Call[Any, PageQuery], company_id: str) -> ProjectList:
    q = call.query
    page = budgets.list_projects(call.ports, call.caller, company_id, q.limit, q.cursor)
    return ProjectList(
        projects=[ProjectListItem.of(r.budget, r.target, r.locked_in_target) for r in page.items],
        next_cursor=page.next_cursor,
    )


def _request(
    call: Call[JobRequestBody, Any], company_id: str, budget_id: str, kind: JobKind
) -> Answer:
    """202 with the queued job (or the one an earlier use of the Idempotency-Key queued)."""
    job = reimports.request_job(
        call.ports,
        call.caller,
        company_id,
        budget_id,
        kind,
        call.idempotency_key,
        call.body.preview_job_id,
        allow_empty=call.body.allow_empty,
    )
    return _queued(call, company_id, job)


def _queued(call: Call[Any, Any], company_id: str, job: Job) -> Answer:
    # A new job has no changes nor errors (no read); the job an earlier use of the Idempotency-Key
    # made may have finished by now and is answered as GET answers it.
    return Answer(
        body=_job_answer(job, jobs.job_details(call.ports, job)),
        headers={"Location": job_location(company_id, job.job_id)},
    )


def _job_answer(job: Job, details: jobs.JobDetails) -> JobResponse:
    return JobResponse.of(job, details.changes, details.errors, details.error_count)


@api.operation(
    "POST",
    COMPANY + "/erp/budgets/{budget_id}/import",
    summary="Import a Ready to Import budget",
    tag="ERP Integrations",
    answer=JobResponse,
    status=202,
    idempotency_key=True,
    body=JobRequestBody,
    body_required=False,
    errors=(*_WRITE, 503),
)
def import_budget(call: Call[JobRequestBody, Any], company_id: str, budget_id: str) -> Answer:
    return _request(call, company_id, budget_id, JobKind.IMPORT)


@api.operation(
    "POST",
    COMPANY + "/erp/budgets/{budget_id}/reimport",
    summary="Re-import a synced budget",
    tag="ERP Integrations",
    answer=JobResponse,
    status=202,
    idempotency_key=True,
    body=JobRequestBody,
    body_required=False,
    errors=(*_WRITE, 503),
    description="Queues a job that overrides the project budget's amounts with the ERP's. 409 "
    "`budget_locked`, `job_in_progress` (with the running `job_id`) or `not_synced` when it "
    "cannot; these come first, also with `preview_job_id`. With `preview_job_id` it applies "
    "exactly that preview or nothing: 409 `preview_stale` or `preview_expired`, 422 "
    "`preview_wrong_kind` for a preview of an import.",
)
def reimport_budget(call: Call[JobRequestBody, Any], company_id: str, budget_id: str) -> Answer:
    return _request(call, company_id, budget_id, JobKind.REIMPORT)


@api.operation(
    "POST",
    COMPANY + "/erp/budgets/{budget_id}/preview",
    summary="Preview an import or re-import: what it would change, changing nothing",
    tag="ERP Integrations",
    answer=JobResponse,
    status=202,
    body=JobRequestBody,
    body_required=False,
    errors=(*_WRITE, 503),
    description="Queues a job of kind `preview` that fetches, validates and plans as the import "
    "(ready to import) or re-import (synced) would, and changes nothing; the budget is not held. "
    "Its `summary`, `changes`, `errors` and `totals` are what the apply would do; when the apply "
    "would be refused (the budget locked, here or in Procore, or held by another job) the preview "
    "fails with that refusal's sentence and `error_code` (`budget_locked`, `job_in_progress`). "
    "Apply it with `preview_job_id` within an hour. With `allow_empty` it previews an ERP answer with no cost "
    "lines as the apply with `allow_empty` would; without it such a preview fails with "
    "`error_code` `erp_budget_empty`.",
)
def preview_budget(call: Call[JobRequestBody, Any], company_id: str, budget_id: str) -> Answer:
    if call.body.preview_job_id is not None:
        raise InvalidRequest("A preview cannot apply another preview: leave out preview_job_id.")
    job = reimports.request_preview(
        call.ports, call.caller, company_id, budget_id, allow_empty=call.body.allow_empty
    )
    return _queued(call, company_id, job)


@api.operation(
    "GET",
    COMPANY + "/erp/jobs",
    summary="The company's jobs, newest first",
    tag="ERP Integrations",
    answer=JobList,
    query=JobListQuery,
    errors=_READ,
)
def list_jobs(call: Call[Any, JobListQuery], company_id: str) -> JobList:
    q = call.query
    answers: dict[str, JobResponse] = {}

    def answer(job: Job, details: jobs.JobDetails) -> JobResponse:
        if job.job_id not in answers:
            answers[job.job_id] = _job_answer(job, details)
        return answers[job.job_id]

    page = jobs.list_jobs(
        call.ports, call.caller, company_id, q.budget_id, q.limit, q.cursor,
        lambda items: jobs_that_fit([answer(*item) for item in items]),
    )  # fmt: skip
    return JobList(jobs=[answer(*item) for item in page.items], next_cursor=page.next_cursor)


@api.operation(
    "GET",
    COMPANY + "/erp/jobs/{job_id}",
    summary="One job, with its first 100 changes and first 100 line errors",
    tag="ERP Integrations",
    answer=JobResponse,
    errors=_READ,
)
def get_job(call: Call[Any, Any], company_id: str, job_id: str) -> JobResponse:
    return _job_answer(*jobs.get_job(call.ports, call.caller, company_id, job_id))


@api.operation(
    "GET",
    COMPANY + "/erp/jobs/{job_id}/changes",
    summary="Page through a job's changes",
    tag="ERP Integrations",
    answer=ChangePage,
    query=ChangesQuery,
    errors=_READ,
)
def list_job_changes(call: Call[Any, ChangesQuery], company_id: str, job_id: str) -> ChangePage:
    q = call.query
    page = jobs.job_changes(call.ports, call.caller, company_id, job_id, q.limit, q.cursor)
    return ChangePage(
        changes=[ChangeOut.of(change) for change in page.items], next_cursor=page.next_cursor
    )


@api.operation(
    "GET",
    COMPANY + "/erp/jobs/{job_id}/errors",
    summary="Page through a failed job's line errors",
    tag="ERP Integrations",
    answer=LineErrorPage,
    query=ErrorsQuery,
    errors=_READ,
    description="Every line error of the job, in line order, from the first: the job answer "
    "carries the first 100 and `error_count`.",
)
def list_job_errors(call: Call[Any, ErrorsQuery], company_id: str, job_id: str) -> LineErrorPage:
    q = call.query
    page = jobs.job_errors(call.ports, call.caller, company_id, job_id, q.limit, q.cursor)
    return LineErrorPage(
        errors=[LineErrorOut(**error.model_dump()) for error in page.items],
        next_cursor=page.next_cursor,
    )


@api.operation(
    "GET",
    COMPANY + "/erp/jobs/{job_id}/changes.csv",
    summary="Download a job's changes as CSV",
    tag="ERP Integrations",
    answer=None,
    media_type="text/csv",
    errors=_DOWNLOAD,
    description="RFC 4180 with a header row (the fields of a change); amounts as plain decimals; "
    "a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`. "
    + csv_export.GZIP_NOTE,
)
def job_changes_csv(call: Call[Any, Any], company_id: str, job_id: str) -> Response:
    changes = jobs.all_changes(call.ports, call.caller, company_id, job_id)
    text = csv_export.changes_csv(ChangeOut.of(change) for change in changes)
    return csv_export.download(text, f"job-{job_id}-changes.csv", call.headers.get("accept", ""))


@api.operation(
    "GET",
    COMPANY + "/erp/settings",
    summary="The company's ERP settings",
    tag="ERP Integrations",
    answer=ErpSettingsResponse,
    errors=_READ,
)
def get_erp_settings(call: Call[Any, Any], company_id: str) -> ErpSettingsResponse:
    return ErpSettingsResponse.of(settings.get_erp_settings(call.ports, call.caller, company_id))


@api.operation(
    "PUT",
    COMPANY + "/erp/settings",
    summary="Change the company's ERP settings (ERP admin)",
    tag="ERP Integrations",
    answer=ErpSettingsResponse,
    body=ErpSettingsBody,
    errors=_WRITE,
)
def put_erp_settings(call: Call[ErpSettingsBody, Any], company_id: str) -> ErpSettingsResponse:
    saved = settings.update_erp_settings(call.ports, call.caller, company_id, call.body.to_domain)
    return ErpSettingsResponse.of(saved)


@api.operation(
    "GET",
    COMPANY + "/target",
    summary="Where the company's budgets live (never its secrets)",
    tag="ERP Integrations",
    answer=TargetResponse,
    errors=_READ,
)
def get_target(call: Call[Any, Any], company_id: str) -> TargetResponse:
    view = targets.get_target(call.ports, call.caller, company_id)
    return TargetResponse.of(view.config, view.credentials_set)


@api.operation(
    "PUT",
    COMPANY + "/target",
    summary="Choose where the company's budgets live: Budget Bridge or Procore (ERP admin)",
    tag="ERP Integrations",
    answer=TargetResponse,
    body=TargetBody,
    errors=_WRITE,
    description="`credentials` (a Procore service account's client id and secret) go to the "
    "secret store only and are never answered; left out, the stored ones are kept. 422 "
    "`invalid_target` naming what is wrong; 409 `job_in_progress` while a job of the company is "
    "queued or running and the save would change the target.",
)
def put_target(call: Call[TargetBody, Any], company_id: str) -> TargetResponse:
    body = call.body
    given = body.credentials
    choice = targets.TargetChoice(
        target=TargetKind(body.target),
        base_url=body.base_url,
        procore_company_id=body.procore_company_id,
        client_id=given.client_id if given else None,
        client_secret=given.client_secret if given else None,
    )
    view = targets.put_target(
        call.ports,
        call.caller,
        company_id,
        choice,
        allow_local=settings_config().erp_allow_local_urls,
    )
    return TargetResponse.of(view.config, view.credentials_set)


@api.operation(
    "GET",
    COMPANY + "/erp/mapping-preview",
    summary="The first 20 lines of an ERP job's budget as the connection maps them (ERP admin)",
    tag="ERP Integrations",
    answer=MappingPreviewResponse,
    query=MappingPreviewQuery,
    errors=(*_READ, 502, 503),
    description="Reads the ERP now with the saved connection and its mapping settings; changes "
    "nothing. Revenue lines are shown as such: a re-import leaves them out.",
)
def get_mapping_preview(
    call: Call[Any, MappingPreviewQuery], company_id: str
) -> MappingPreviewResponse:
    preview = mapping_preview.preview_mapping(
        call.ports, call.caller, company_id, call.query.erp_job_id
    )
    return MappingPreviewResponse(
        erp_job_id=preview.erp_job_id,
        erp_system=preview.erp_system,
        total_lines=preview.total_lines,
        lines=[MappingPreviewLine.of(line) for line in preview.lines],
    )


@api.operation(
    "POST",
    COMPANY + "/erp/budgets/{budget_id}/exports",
    summary="Upload a budget export for the spreadsheet import (ERP admin)",
    tag="ERP Integrations",
    answer=ExportUploadResponse,
    body=ExportUploadBody,
    status=201,
    errors=_WRITE,
    description="Answers a presigned upload (at most 10 MB, .csv or .xlsx); the next re-import "
    "reads the job's latest upload. 409 `not_spreadsheet` when the company's budgets come "
    "from an ERP's API.",
)
def start_export_upload(
    call: Call[ExportUploadBody, Any], company_id: str, budget_id: str
) -> ExportUploadResponse:
    form = exports.start_upload(call.ports, call.caller, company_id, budget_id,
                                call.body.file_name, call.body.size)  # fmt: skip
    return ExportUploadResponse(url=form.url, fields=dict(form.fields), key=form.key,
                                max_bytes=form.max_bytes)  # fmt: skip


@api.operation(
    "GET",
    COMPANY + "/erp/spreadsheet/mapping",
    summary="The spreadsheet import's column mapping",
    tag="ERP Integrations",
    answer=SpreadsheetMappingResponse,
    errors=(*_READ, 409),
)
def get_spreadsheet_mapping(call: Call[Any, Any], company_id: str) -> SpreadsheetMappingResponse:
    return SpreadsheetMappingResponse(**exports.get_mapping(call.ports, call.caller, company_id))


@api.operation(
    "PUT",
    COMPANY + "/erp/spreadsheet/mapping",
    summary="Map the budget export's columns once for the company (ERP admin)",
    tag="ERP Integrations",
    answer=SpreadsheetMappingResponse,
    body=SpreadsheetMapping,
    errors=_WRITE,
)
def put_spreadsheet_mapping(
    call: Call[SpreadsheetMapping, Any], company_id: str
) -> SpreadsheetMappingResponse:
    saved = exports.put_mapping(call.ports, call.caller, company_id, call.body.model_dump())
    return SpreadsheetMappingResponse(**saved)


PROJECT_BUDGET = COMPANY + "/projects/{project_id}/budget"


@api.operation(
    "GET",
    PROJECT_BUDGET,
    summary="A project's budget: totals and one page of line items",
    tag="Budget",
    answer=ProjectBudget,
    query=BudgetPageQuery,
    errors=(*_READ, 410),
    description="`next_cursor` pages the version the first page showed; once that version is "
    "no longer kept the answer is 410 `version_gone`: read again from the first page.",
)
def get_project_budget(
    call: Call[Any, BudgetPageQuery], company_id: str, project_id: str
) -> ProjectBudget:
    q = call.query
    page = budgets.read_budget(
        call.ports, call.caller, company_id, project_id, q.limit, q.cursor, lines_that_fit
    )
    return ProjectBudget.page(page.budget, page.lines, page.next_cursor, page.locked_in_target)


@api.operation(
    "PATCH",
    PROJECT_BUDGET + "/line_items/{line_item_id}",
    summary="Edit one line item",
    tag="Budget",
    answer=LineItemOut,
    body=LineItemPatch,
    errors=(*_WRITE, 502, 503),
    description="Fields left out keep their value; `uom`, `quantity` and `unit_cost` may be set "
    "to null. 409 `budget_locked` when the budget is locked. A budget kept in Procore is edited "
    "there first (docs/targets/procore.md): 409 `budget_locked` when Procore's lock is set, 502 "
    "`target_rejected` or 503 `target_unavailable` when Procore refuses or does not answer; then "
    "nothing is changed.",
)
def edit_line_item(
    call: Call[LineItemPatch, Any], company_id: str, project_id: str, line_item_id: str
) -> LineItemOut:
    line = budgets.edit_line(
        call.ports, call.caller, company_id, project_id, line_item_id, call.body.to_edit()
    )
    return LineItemOut.of(line)


@api.operation(
    "POST",
    PROJECT_BUDGET + "/lock",
    summary="Lock the budget (Budget admin)",
    tag="Budget",
    answer=BudgetHeader,
    errors=_WRITE,
)
def lock_budget(call: Call[Any, Any], company_id: str, project_id: str) -> BudgetHeader:
    state = budgets.set_locked(call.ports, call.caller, company_id, project_id, True)
    return BudgetHeader.of(state.budget, state.locked_in_target)


@api.operation(
    "DELETE",
    PROJECT_BUDGET + "/lock",
    summary="Unlock the budget (Budget admin)",
    tag="Budget",
    answer=BudgetHeader,
    errors=_WRITE,
)
def unlock_budget(call: Call[Any, Any], company_id: str, project_id: str) -> BudgetHeader:
    state = budgets.set_locked(call.ports, call.caller, company_id, project_id, False)
    return BudgetHeader.of(state.budget, state.locked_in_target)


@api.operation(
    "GET",
    COMPANY + "/projects/{project_id}/budget.csv",
    summary="Download the current budget as CSV",
    tag="Budget",
    answer=None,
    media_type="text/csv",
    errors=_DOWNLOAD,
    description="RFC 4180 with a header row (the fields of a line item); amounts as plain "
    "decimals; a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed "
    "with `'`. " + csv_export.GZIP_NOTE,
)
def budget_csv(call: Call[Any, Any], company_id: str, project_id: str) -> Response:
    page = budgets.all_lines(call.ports, call.caller, company_id, project_id)
    text = csv_export.budget_csv(LineItemOut.of(line) for line in page.lines)
    return csv_export.download(
        text, f"budget-{page.budget.project_name}.csv", call.headers.get("accept", "")
    )


@api.operation(
    "GET",
    PROJECT_BUDGET + "/history",
    summary="The budget's versions, newest first",
    tag="Budget",
    answer=HistoryList,
    query=HistoryQuery,
    errors=_READ,
    description="Every change of the budget's lines (import, re-import, edit, restore) made a "
    "version; versions are kept at least 365 days and at least the last 100 per budget.",
)
def budget_history(call: Call[Any, HistoryQuery], company_id: str, project_id: str) -> HistoryList:
    q = call.query
    page = history.list_history(call.ports, call.caller, company_id, project_id, q.limit, q.cursor)
    return HistoryList(
        versions=[VersionOut.of(v) for v in page.items], next_cursor=page.next_cursor
    )


def _version_number(text: str) -> int:
    if not limits.ascii_digits(text) or len(text) > 9:
        raise NotFound("This budget has no such version.")
    return int(text)


@api.operation(
    "GET",
    PROJECT_BUDGET + "/history/{version}",
    summary="The budget as it was at one version, with that version's changes",
    tag="Budget",
    answer=BudgetAsOf,
    query=BudgetPageQuery,
    errors=_READ,
)
def budget_version(
    call: Call[Any, BudgetPageQuery], company_id: str, project_id: str, version: str
) -> BudgetAsOf:
    q = call.query
    view = history.read_version(
        call.ports,
        call.caller,
        company_id,
        project_id,
        _version_number(version),
        (q.limit, q.cursor),
        lambda lines: lines_that_fit(lines, VERSION_LINES_BYTES),
    )
    return BudgetAsOf.as_of(
        view.budget, view.record, (view.lines, view.next_cursor), (view.changes, view.change_count)
    )


@api.operation(
    "POST",
    PROJECT_BUDGET + "/history/{version}/restore",
    summary="Restore the amounts of an earlier version (Budget admin)",
    tag="Budget",
    answer=JobResponse,
    status=202,
    idempotency_key=True,
    errors=(*_WRITE, 503),
    description="Queues a job of kind `restore`: every line's amount returns to its amount at "
    "that version, lines added since go to 0, units and descriptions stay. 409 `budget_locked` "
    "or `job_in_progress` when it cannot; the same `Idempotency-Key` again answers the restore "
    "it queued.",
)
def restore_version(call: Call[Any, Any], company_id: str, project_id: str, version: str) -> Answer:
    job = history.request_restore(
        call.ports, call.caller, company_id, project_id, _version_number(version),
        call.idempotency_key,
    )  # fmt: skip
    return _queued(call, company_id, job)


def _uniform_errors(event: Any, get_response: Any) -> Response:
    return reshape_framework_error(get_response(event))


def operations() -> list[Operation]:
    """Every route the API declares, from all its blueprints (the OpenAPI document, the gateway)."""
    return [*api.operations, *adoption.operations]


def register(app: Chalice) -> None:
    app.register_blueprint(api.blueprint)
    app.register_blueprint(adoption.blueprint)
    app.register_middleware(_uniform_errors, "http")
