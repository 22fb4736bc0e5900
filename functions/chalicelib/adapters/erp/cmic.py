"""The CMiC connector: R12 REST (`/jc-rest-api/rest/1/`), HTTP Basic, Oracle ADF collections.

The ERP job a company links is a controlling job (a `jcjob` whose `JobCtrlCode` is `ALL`); its
budget is the job categories (`jcjobcategory`, filtered by company and job with `q`) of that job
and of each of its sub-jobs (the `jcjob`s whose `JobCtrlCode` is it), read with `limit`/`offset`
(at most 1,000 a page) until `hasMore` is false. Job → sub job, phase → cost code, category →
cost type: a line on a sub-job has that sub-job's code as its sub job, a line on the controlling
job itself has none (""), so a job without sub-jobs has no sub jobs. The budget amount is
`JcatBudgetAmt` (a setting can name another attribute); categories flagged as revenue are
revenue. docs/erps/cmic.md has the rest.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field, StrictBool, ValidationError

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, read_pages
from chalicelib.adapters.erp.common.jobs import no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.signin import BasicSignIn
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


class _AdfPage(BaseModel):
    """Oracle ADF's collection envelope; the items stay as sent (amounts exact)."""

    items: list[dict[str, Any]]
    has_more: StrictBool = Field(alias="hasMore")


API = "/jc-rest-api/rest/1"
MAX_LIMIT = 1000  # CMiC refuses a larger limit with 400
AMOUNT_ATTRIBUTE = "JcatBudgetAmt"
NOT_A_SUB_JOB = "ALL"  # the JobCtrlCode of a job that is not a sub-job (a controlling job)


class CmicSource:
    system = "cmic"

    def __init__(
        self,
        base_url: str,
        company_code: str,
        credentials: ErpCredentials,
        *,
        settings: dict[str, str] | None = None,
        page_size: int = MAX_LIMIT,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_LIMIT:
            raise ValueError(f"page_size must be between 1 and {MAX_LIMIT}")
        self._base_url = base_url
        self._company = company_code
        self._credentials = credentials
        self._settings = settings or {}
        self._page_size = page_size
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> CmicSource:
        return cls(
            connection.base_url,
            connection.setting("company_code"),
            credentials,
            settings=dict(connection.settings),
            limits=deployment.limits(),
        )

    def _client(self) -> ErpHttp:
        sign_in = BasicSignIn(self._credentials.username, self._credentials.password)
        return ErpHttp(
            self._base_url, sign_in, limits=self._limits,
            secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        amount_field = self._settings.get("amount_attribute") or AMOUNT_ATTRIBUTE
        client = self._client()
        jobs = [erp_job_id, *self._sub_jobs(client, erp_job_id)]

        def native_of(read: tuple[str, dict[str, Any]], number: int) -> mapping.NativeLine:
            job, row = read
            if mapping.text(row, "JcatJobCode") not in (None, job):
                raise ErpRejected(
                    f"Line {number} of the ERP's answer belongs to job "
                    f"'{row.get('JcatJobCode')}', not to '{job}': the ERP did not filter "
                    "the budget by job."
                )
            revenue = mapping.text(row, "JcatRevenueFlag") == "Y"
            # The linked job is the budget as a whole, not one of its parts: a line kept on it
            # directly is on no sub job.
            sub_job = "" if job == erp_job_id else job
            return mapping.NativeLine(
                ref=_ref(row, number),
                sub_job=sub_job,
                cost_code=mapping.text(row, "JcatPhsCode"),
                cost_type=mapping.text(row, "JcatCode"),
                kind=LineKind.REVENUE if revenue else LineKind.COST,
                amount=row.get(amount_field),
                description=str(row.get("JcatName") or ""),
            )

        rows = self._categories(client, jobs, on_page)
        lines = mapping.collect(rows, native_of)
        if not lines:  # a job without categories, or no such job: ask which
            self._require_job(client, erp_job_id)
        return lines

    def _require_job(self, client: ErpHttp, erp_job_id: str) -> None:
        """`jcjob` filtered by company and job: an unknown job is refused, not read as empty."""
        q = f"JobCompCode={_quoted(self._company)};JobCode={_quoted(erp_job_id)}"
        rows, _ = self._page(client, "jcjob", q, 0, 1)
        if not any(mapping.text(row, "JobCode") == erp_job_id.strip() for row in rows):
            raise no_such_job(self.system, erp_job_id, "job")

    def _sub_jobs(self, client: ErpHttp, erp_job_id: str) -> list[str]:
        """The controlling job's sub-jobs, in CMiC's order."""
        q = f"JobCompCode={_quoted(self._company)};JobCtrlCode={_quoted(erp_job_id)}"
        codes = (mapping.text(row, "JobCode") for row in self._all(client, "jcjob", q))
        return list(dict.fromkeys(code for code in codes if code and code != erp_job_id))

    def _categories(
        self, client: ErpHttp, jobs: list[str], on_page: Callable[[int], None] | None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each job's categories, job by job; `on_page` hears the count over all of them."""
        done = 0
        for job in jobs:
            start = done

            def progress(count: int, start: int = start) -> None:
                if on_page is not None and count:
                    on_page(start + count)

            q = f"JcatCompCode={_quoted(self._company)};JcatJobCode={_quoted(job)}"
            for row in self._all(client, "jcjobcategory", q, progress):
                done += 1
                yield job, row

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        q = f"JobCompCode={_quoted(self._company)};JobCtrlCode={_quoted(NOT_A_SUB_JOB)}"
        rows, more = self._page(self._client(), "jcjob", q, offset, min(limit, MAX_LIMIT))
        projects = [
            ErpProject(erp_job_id=str(row["JobCode"]), name=str(row.get("JobName") or ""),
                       erp_status=str(row.get("JobStatusCode") or ""))
            for row in rows if mapping.text(row, "JobCode")
        ]  # fmt: skip
        return ErpProjectPage(projects=projects, has_more=more)

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        phases = self._all(client, "jcphase", f"PhsCompCode={_quoted(self._company)}")
        categories = self._all(client, "jccategory", f"CatCompCode={_quoted(self._company)}")
        return ErpCatalog(
            cost_codes=_entries(phases, "PhsCode", "PhsName"),
            cost_types=_entries(categories, "CatCode", "CatName"),
        )

    def _all(
        self, client: ErpHttp, resource: str, q: str, on_page: Callable[[int], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        return read_pages(
            lambda offset: self._page(client, resource, q, offset, self._page_size), on_page
        )

    def _page(
        self, client: ErpHttp, resource: str, q: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        query = urllib.parse.urlencode(
            {"q": q, "limit": limit, "offset": offset, "onlyData": "true"}
        )
        doing = f"read {client.name}'s {resource} records"
        try:
            payload = client.call("GET", f"{API}/{resource}?{query}", doing)
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        try:
            page = _AdfPage.model_validate(payload)
        except ValidationError:
            raise ErpRejected(
                f"{client.title}'s answer for {resource} records was not a collection of records "
                f"with items and hasMore: check the {client.erp} connection's address."
            ) from None
        return page.items, page.has_more


def _quoted(value: str) -> str:
    """An ADF `q` literal: quoted, a quote inside doubled, so an id cannot widen the filter."""
    return "'" + value.replace("'", "''") + "'"


def _ref(row: dict[str, Any], number: int) -> str:
    """The row's own address (ADF's self link) when it sends one; else its key and position."""
    for link in row.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "self" and link.get("href"):
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    parts = (row.get("JcatJobCode"), row.get("JcatPhsCode"), row.get("JcatCode"))
    return "/".join(str(part) for part in parts) + f"#{number}"


def _entries(rows: Iterator[dict[str, Any]], code: str, name: str) -> list[CatalogEntry]:
    entries = {}
    for row in rows:
        value = mapping.text(row, code)
        if value:
            entries[value] = CatalogEntry(code=value, description=str(row.get(name) or ""))
    return [entries[key] for key in sorted(entries)]
