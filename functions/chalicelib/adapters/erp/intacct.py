"""The Sage Intacct connector: REST `/ia/api/v1`, OAuth2 client credentials, the query service.

A job's budget is the `original` workflow lines of the project's primary, posted estimate
(`construction/project-estimate` and `construction/project-estimate-line`), read page by page
through `services/core/query` until `ia::meta.next` is null. Task → cost code, cost type → cost
type; the sub job comes from the setting `sub_job_from`: `none` (the default), `child_project`
(the job's child projects' estimates are read too, each line's sub job is its child project) or
`task` (a line's sub job is its task's parent task). Lines of the revenue accumulation type are
revenue. docs/erps/intacct.md has the connection fields and limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.signin import OAuth2SignIn
from chalicelib.domain.erp_fields import INTACCT_SUB_JOB_FROM, required
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import (
    CatalogEntry,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    LineKind,
)


class _IaMeta(BaseModel):
    next: int | str | None = None  # the next page's start; null on the last page


class _IaPage(BaseModel):
    """The query service's envelope; the records stay as sent (amounts exact)."""

    result: list[dict[str, Any]] = Field(alias="ia::result")
    meta: _IaMeta = Field(alias="ia::meta")


API = "/ia/api/v1"
QUERY = f"{API}/services/core/query"
TOKEN = f"{API}/oauth2/token"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 4000  # the most the query service answers a page
REVENUE_ACCUMULATION_TYPE = "Revenue"
_PROJECT_FIELDS = ["id", "name", "status", "parent.id"]
_LINE_FIELDS = ["key", "projectEstimate.key", "task.id", "costType.id", "amount", "workflowType",
                "memo", "accumulationType.id"]  # fmt: skip


class IntacctSource:
    system = "intacct"

    def __init__(
        self,
        base_url: str,
        credentials: ErpCredentials,
        *,
        settings: dict[str, str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._credentials = credentials
        self._settings = settings or {}
        self._page_size = page_size
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> IntacctSource:
        return cls(
            connection.base_url, credentials, settings=dict(connection.settings),
            limits=deployment.limits(),
        )  # fmt: skip

    def _client(self) -> ErpHttp:
        client_id = self._credentials.get("client_id")
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": self._credentials.get("client_secret"),
        }
        if self._credentials.get("username"):  # a user to act as, when the ERP asks for one
            form["username"] = self._credentials.get("username")
        return ErpHttp(
            self._base_url, OAuth2SignIn(TOKEN, form, "the client"),
            limits=self._limits, secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        client = self._client()
        layout = self._sub_job_from()
        projects = [erp_job_id]
        if layout == "child_project":
            projects += self._child_projects(client, erp_job_id)
        estimates = self._primary_estimates(client, erp_job_id, projects)
        parents = self._task_parents(client, erp_job_id) if layout == "task" else {}
        filters = [_one_of("projectEstimate.key", list(estimates)),
                   {"$eq": {"workflowType": "original"}}]  # fmt: skip
        rows = self._query(client, "construction/project-estimate-line", _LINE_FIELDS, filters,
                           on_page)  # fmt: skip
        revenue = self._settings.get("revenue_accumulation_type") or REVENUE_ACCUMULATION_TYPE

        def native_of(row: dict[str, Any], number: int) -> mapping.NativeLine | None:
            if mapping.text(row, "workflowType") not in (None, "original"):
                return None  # the query filtered these out; an ERP that did not is not trusted
            task = mapping.text(row, "task.id")
            if layout == "child_project":
                sub_job = _sub_job_of_estimate(row, number, estimates)
            else:
                sub_job = parents.get(task or "", "")
            is_revenue = mapping.text(row, "accumulationType.id") == revenue
            return mapping.NativeLine(
                ref=mapping.text(row, "key") or f"line-{number}",
                sub_job=sub_job,
                cost_code=task,
                cost_type=mapping.text(row, "costType.id"),
                kind=LineKind.REVENUE if is_revenue else LineKind.COST,
                amount=row.get("amount"),
                description=str(row.get("memo") or ""),
            )

        return mapping.collect(rows, native_of)

    def _sub_job_from(self) -> str:
        layout = required(self.system).choice("sub_job_from", self._settings)
        if layout is None:
            raise ErpRejected(
                f"The Sage Intacct connection's setting sub_job_from is "
                f"'{self._settings.get('sub_job_from', '')[:40]}', which is not one of "
                f"{', '.join(INTACCT_SUB_JOB_FROM)}: fix it on the connection page."
            )
        return layout

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        """`offset` counts jobs, as services/erp_projects.py advances it. With child projects as
        sub jobs a child project is part of its parent's budget, not a job to link on its own
        (docs/erps/intacct.md). Left out here, not by the query, they would shift Sage Intacct's
        offsets from the jobs', so the projects are then read from the first record, page after
        page, until one job more than asked (there are more) or `ia::meta.next` is null (Sage
        Intacct's "no more"; a shorter page is not)."""
        client = self._client()
        if self._sub_job_from() != "child_project":  # every project is a job: Intacct's paging
            rows, more = self._page(client, "projects/project", _PROJECT_FIELDS, [], offset, limit)
            return ErpProjectPage(
                projects=[_project(row) for row in rows if mapping.text(row, "id")],
                has_more=more,
            )
        # One page when it can hold them all.
        size = min(MAX_PAGE_SIZE, max(self._page_size, offset + limit + 1))
        pages = read_pages(
            lambda start: self._page(client, "projects/project", _PROJECT_FIELDS, [], start, size)
        )
        jobs = (
            _project(row)
            for row in pages
            if mapping.text(row, "id") and not mapping.text(row, "parent.id")
        )
        return ErpProjectPage.window(jobs, offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        tasks = list(self._query(client, "projects/task", ["id", "name", "parent.id"], []))
        if self._sub_job_from() == "task":  # a task that is another's parent is a sub job
            parents = {mapping.text(row, "parent.id") for row in tasks}
            tasks = [row for row in tasks if mapping.text(row, "id") not in parents]
        types = self._query(client, "construction/cost-type", ["id", "name"], [])
        return ErpCatalog(cost_codes=_entries(tasks), cost_types=_entries(types))

    # -- the query service --------------------------------------------------------------------

    def _primary_estimates(
        self, client: ErpHttp, erp_job_id: str, projects: list[str]
    ) -> dict[str, str]:
        """{estimate key: the sub job of its lines} of each project's primary, posted estimate:
        "" for the job's own, the child project's id for a child's. A child project without one
        has no budget yet; the job fails only when none of them has one."""
        filters = [_one_of("project.id", projects), {"$eq": {"isPrimary": True}}]
        fields = ["key", "id", "project.id", "isPrimary", "state"]
        found: dict[str, str] = {}
        for row in self._query(client, "construction/project-estimate", fields, filters):
            key = mapping.text(row, "key")
            if (
                row.get("isPrimary") is not True
                or mapping.text(row, "state") != "posted"
                or not key
            ):
                continue
            project = mapping.text(row, "project.id") or erp_job_id
            if project in projects and project not in found.values():
                found[key] = project
        if not found:
            # No estimate also answers a project Sage Intacct does not have: ask which.
            self._require_project(client, erp_job_id)
            children = " or its child projects" if len(projects) > 1 else ""
            raise ErpRejected(
                f"Sage Intacct has no primary, posted estimate for project '{erp_job_id}'"
                f"{children}: post the project's estimate and mark it primary in Sage Intacct, "
                "or check the ERP job id."
            )
        return {key: "" if project == erp_job_id else project for key, project in found.items()}

    def _require_project(self, client: ErpHttp, erp_job_id: str) -> None:
        """`projects/project` filtered by the id: an unknown project is "job not found", not a
        project whose estimate is missing (docs/erps/README.md, "Errors")."""
        rows = self._query(client, "projects/project", ["id"], [{"$eq": {"id": erp_job_id}}])
        if not any(mapping.text(row, "id") == erp_job_id.strip() for row in rows):
            raise no_such_job(self.system, erp_job_id)

    def _child_projects(self, client: ErpHttp, erp_job_id: str) -> list[str]:
        rows = self._query(client, "projects/project", ["id", "parent.id"],
                           [{"$eq": {"parent.id": erp_job_id}}])  # fmt: skip
        children = (mapping.text(row, "id") for row in rows)
        return sorted({child for child in children if child and child != erp_job_id})

    def _task_parents(self, client: ErpHttp, erp_job_id: str) -> dict[str, str]:
        """{task id: its parent task's id} of the project's tasks that have a parent."""
        rows = self._query(client, "projects/task", ["id", "parent.id"],
                           [{"$eq": {"project.id": erp_job_id}}])  # fmt: skip
        parents = {}
        for row in rows:
            task, parent = mapping.text(row, "id"), mapping.text(row, "parent.id")
            if task and parent:
                parents[task] = parent
        return parents

    def _query(
        self,
        client: ErpHttp,
        name: str,
        fields: list[str],
        filters: list[dict[str, Any]],
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        return read_pages(
            lambda offset: self._page(client, name, fields, filters, offset, self._page_size),
            on_page,
        )

    def _page(
        self, client: ErpHttp, name: str, fields: list[str], filters: list[dict[str, Any]],
        offset: int, size: int,
    ) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
        body = {"object": name, "fields": fields, "filters": filters, "start": offset + 1,
                "size": size}  # fmt: skip
        doing = f"read {client.name}'s {name} records"
        try:
            payload = client.call("POST", QUERY, doing, json_body=body)
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        try:
            page = _IaPage.model_validate(payload)
        except ValidationError:
            raise ErpRejected(
                f"{client.title}'s answer for {name} records was not an ia::result list of records "
                f"with its ia::meta: check the {client.erp} connection's address."
            ) from None
        return page.result, page.meta.next is not None


def _one_of(field: str, values: list[str]) -> dict[str, Any]:
    """A query filter on one value (`$eq`) or several (`$in`)."""
    return {"$eq": {field: values[0]}} if len(values) == 1 else {"$in": {field: values}}


def _sub_job_of_estimate(row: dict[str, Any], number: int, estimates: dict[str, str]) -> str:
    estimate = mapping.text(row, "projectEstimate.key")
    if estimate is None and len(estimates) == 1:
        estimate = next(iter(estimates))  # one estimate was asked for: the line is of it
    if estimate not in estimates:
        raise ErpRejected(
            f"Line {number} of the ERP's answer belongs to the estimate '{estimate}', which "
            "is not one of the job's primary estimates: the ERP did not filter the lines."
        )
    return estimates[estimate]


def _project(row: dict[str, Any]) -> ErpProject:
    return ErpProject(erp_job_id=str(row["id"]), name=str(row.get("name") or ""),
                      erp_status=str(row.get("status") or ""))  # fmt: skip


def _entries(rows: Iterable[dict[str, Any]]) -> list[CatalogEntry]:
    entries = {}
    for row in rows:
        code = mapping.text(row, "id")
        if code:
            entries[code] = CatalogEntry(code=code, description=str(row.get("name") or ""))
    return [entries[code] for code in sorted(entries)]
