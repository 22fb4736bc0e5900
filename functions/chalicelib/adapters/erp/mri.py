"""The MRI Platform X connector: `GET /mriapiservices/api.asp?$api=<call>&...`, JSON, HTTP Basic.

MRI's API signs in with HTTP Basic as `clientid/database/user` and the password; a call answers
`{"value": [...], "nextLink": "..."}` and the connector follows `nextLink` until there is none (a
link must stay on the connection's own address). Jobs have no sub jobs; cost codes are one
company-wide list; the cost type is the line's cost category, else the setting
`default_cost_type`. The call names are choices (MRI publishes them per customer): docs/erps/mri.md.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import MAX_PAGES, ErpHttp, HttpFailure, Limits
from chalicelib.adapters.erp.common.jobs import job_listed_without, no_such_job
from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.adapters.erp.common.required import require_settings
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

API = "/mriapiservices/api.asp"
BUDGET_CALL = "MRI_S-PMJC_JobBudget"
JOBS_CALL = "MRI_S-PMJC_Jobs"
COST_CODES_CALL = "MRI_S-PMJC_CostCodes"
CATEGORIES_CALL = "MRI_S-PMJC_CostCategories"
MAX_TOP = 500  # the page size asked for; MRI may answer fewer and link to the rest


class _NotFound(ErpRejected):
    """A call answered 404: MRI's answer for a job it does not have, and also any call's on a wrong
    address, so the budget read asks the job list which it was."""


class _Page(BaseModel):
    value: list[dict[str, Any]]
    next_link: str | None = Field(default=None, alias="nextLink")


class MriSource:
    system = "mri"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        credentials: ErpCredentials,
        *,
        page_size: int = MAX_TOP,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._settings = settings
        self._credentials = credentials
        self._page_size = min(page_size, MAX_TOP)
        self._limits = limits or Limits()
        self._sleep = sleep

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> MriSource:
        require_settings(cls.system, connection.settings, ("client_id", "database"),
                         "set them as MRI gave them for the API user.")  # fmt: skip
        return cls(connection.base_url, dict(connection.settings), credentials,
                   limits=deployment.limits())  # fmt: skip

    def _client(self) -> ErpHttp:
        # MRI's user name for the API is "clientid/database/user".
        user = "/".join((self._settings.get("client_id", ""), self._settings.get("database", ""),
                         self._credentials.username))  # fmt: skip
        return ErpHttp(
            self._base_url, BasicSignIn(user, self._credentials.password), limits=self._limits,
            secrets=tuple(self._credentials.values.values()),
            sleep=self._sleep, erp_name=erp_name(self.system),
        )  # fmt: skip

    def fetch_budget(
        self, erp_job_id: str, on_page: Callable[[int], None] | None = None
    ) -> list[ErpLine]:
        default_type = (self._settings.get("default_cost_type") or "").strip() or None

        def native_of(row: dict[str, Any], number: int) -> mapping.NativeLine:
            if mapping.text(row, "JobID") not in (None, erp_job_id):
                raise ErpRejected(
                    f"Line {number} of MRI Platform X's answer belongs to job '{row.get('JobID')}', "
                    f"not to '{erp_job_id}': the ERP did not filter the budget by job."
                )
            revenue = str(row.get("LineType") or "").strip().upper() == "R"
            return mapping.NativeLine(
                ref=str(row.get("BudgetLineID") or f"{erp_job_id}#{number}"),
                sub_job="",
                cost_code=mapping.text(row, "CostCode"),
                cost_type=mapping.text(row, "CostCategory") or default_type,
                kind=LineKind.REVENUE if revenue else LineKind.COST,
                amount=row.get("BudgetAmount"),
                description=str(row.get("Description") or ""),
            )

        client = self._client()
        rows = self._all(client, BUDGET_CALL, {"JOBID": erp_job_id}, on_page)
        try:
            return mapping.collect(rows, native_of)
        except _NotFound:
            if job_listed_without(lambda: self._job_ids(client), erp_job_id):
                raise no_such_job(self.system, erp_job_id, "job") from None
            raise

    def _job_ids(self, client: ErpHttp) -> list[str | None]:
        return [mapping.text(row, "JobID") for row in self._all(client, JOBS_CALL, {})]

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        projects = (
            ErpProject(erp_job_id=str(row["JobID"]), name=str(row.get("JobName") or ""),
                       erp_status=str(row.get("Status") or ""))
            for row in self._all(self._client(), JOBS_CALL, {})
            if mapping.text(row, "JobID")
        )  # fmt: skip
        return ErpProjectPage.window(projects, offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        client = self._client()
        codes = _entries(self._all(client, COST_CODES_CALL, {}), "CostCode")
        types = _entries(self._all(client, CATEGORIES_CALL, {}), "CostCategory")
        default_type = (self._settings.get("default_cost_type") or "").strip()
        if default_type and default_type not in {t.code for t in types}:
            types.append(CatalogEntry(code=default_type, description=""))
        return ErpCatalog(cost_codes=codes, cost_types=types)

    def _all(
        self, client: ErpHttp, call: str, filters: dict[str, str],
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:  # fmt: skip
        query = urllib.parse.urlencode({"$api": call, **filters, "$top": self._page_size})
        path: str | None = f"{API}?{query}"
        done = 0
        for _ in range(MAX_PAGES):
            if path is None:
                return
            rows, path = self._page(client, call, path)
            yield from rows
            done += len(rows)
            if on_page is not None:
                on_page(done)
        raise ErpRejected(f"MRI Platform X kept linking to more pages of {call}; stopped reading.")

    def _page(
        self, client: ErpHttp, call: str, path: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        doing = f"read MRI Platform X's {call}"
        try:
            payload = client.call("GET", path, doing)
        except HttpFailure as failure:
            error = client.explain(failure, doing)
            if failure.status == 404:
                raise _NotFound(error.message) from None
            raise error from None
        try:
            page = _Page.model_validate(payload)
        except ValidationError:
            raise ErpRejected(
                f"MRI Platform X's answer for {call} was not a list of records with a value: "
                "check the MRI Platform X connection's address."
            ) from None
        return page.value, self._own_path(page.next_link)

    def _own_path(self, link: str | None) -> str | None:
        """The next link as a path on the connection's address; a link elsewhere is refused."""
        if not link:
            return None
        if link.startswith(API):
            return link
        if link.startswith(self._base_url + "/"):
            return link[len(self._base_url) :]
        raise ErpRejected(
            "MRI Platform X linked the next page to another address than the connection's: "
            "check the MRI Platform X connection's address."
        )


def _entries(rows: Iterator[dict[str, Any]], code: str) -> list[CatalogEntry]:
    entries: dict[str, CatalogEntry] = {}
    for row in rows:
        value = mapping.text(row, code)
        if value:
            entries[value] = CatalogEntry(code=value, description=str(row.get("Description") or ""))
    return [entries[key] for key in sorted(entries)]
