"""The Workday connector: a custom report exposed as a web service (Report-as-a-Service).

`GET /ccx/service/customreport2/{tenant}/{owner}/{report}?format=json&Project_ID=...` with HTTP
Basic for an integration system user answers `{"Report_Entry": [...]}`, one entry per budget line
with the report's own column names. The columns are settings (defaults below); a report without a
required column fails the job naming it, and one without the sub-job column has no sub jobs. RaaS
has no paging: a report answers whole, so the answer's size cap is what bounds it.
docs/erps/workday.md has the rest.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.adapters.erp.common import mapping
from chalicelib.adapters.erp.common.deployment import ConnectorSettings
from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits
from chalicelib.adapters.erp.common.jobs import no_such_job
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

# The report's column names (the XML aliases of its fields); each is a setting of the same name.
COLUMNS = {
    "project_column": "Project_ID",
    "sub_job_column": "Project_Phase",
    "cost_code_column": "Cost_Code",
    "cost_type_column": "Cost_Type",
    "amount_column": "Budget_Amount",
    "kind_column": "Line_Type",  # "Revenue" marks a revenue line; optional in the report
    "description_column": "Description",  # optional in the report
}
REQUIRED = ("project_column", "cost_code_column", "cost_type_column", "amount_column")
PROJECTS_REPORT = "Budget_Bridge_Projects"  # Project_ID, Project_Name, Project_Status
COST_CODES_REPORT = "Budget_Bridge_Cost_Codes"  # Cost_Code, Description
COST_TYPES_REPORT = "Budget_Bridge_Cost_Types"  # Cost_Type, Description


class _Report(BaseModel):
    entries: list[dict[str, Any]] = Field(alias="Report_Entry")


class WorkdaySource:
    system = "workday"

    def __init__(
        self,
        base_url: str,
        settings: dict[str, str],
        credentials: ErpCredentials,
        *,
        limits: Limits | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        self._credentials = credentials
        self._limits = limits or Limits()
        self._sleep = sleep
        self._columns = {name: settings.get(name) or default for name, default in COLUMNS.items()}
        # A report without sub jobs: the setting given but blank (or "-"); absent, the default.
        if (settings.get("sub_job_column", "x").strip() or "-") == "-":
            self._columns["sub_job_column"] = ""

    @classmethod
    def from_connection(
        cls, connection: ErpConnection, credentials: ErpCredentials, deployment: ConnectorSettings
    ) -> WorkdaySource:
        require_settings(cls.system, connection.settings, ("tenant", "owner", "report"),
                         "set them to the report's tenant, owner and name.")  # fmt: skip
        return cls(connection.base_url, dict(connection.settings), credentials,
                   limits=deployment.limits())  # fmt: skip

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
        project = self._columns["project_column"]
        rows = self._report(self._settings.get("report", ""), {project: erp_job_id})
        if not rows:  # a project without budget lines, or no such project: ask which
            self._require_project(erp_job_id)
        self._check_columns(rows)
        column = self._columns

        def native_of(row: dict[str, Any], number: int) -> mapping.NativeLine:
            if mapping.text(row, project) not in (None, erp_job_id):
                raise ErpRejected(
                    f"Line {number} of Workday's report belongs to project '{row.get(project)}', "
                    f"not to '{erp_job_id}': the report does not filter by its {project} prompt."
                )
            revenue = str(row.get(column["kind_column"]) or "").strip().lower() == "revenue"
            sub_job = (
                mapping.text(row, column["sub_job_column"]) if column["sub_job_column"] else ""
            )
            return mapping.NativeLine(
                ref=str(row.get("WID") or f"{erp_job_id}#{number}"),
                sub_job=sub_job,
                cost_code=mapping.text(row, column["cost_code_column"]),
                cost_type=mapping.text(row, column["cost_type_column"]),
                kind=LineKind.REVENUE if revenue else LineKind.COST,
                amount=row.get(column["amount_column"]),
                description=str(row.get(column["description_column"]) or ""),
            )

        lines = mapping.collect(rows, native_of)
        if on_page is not None:
            on_page(len(lines))
        return lines

    def _check_columns(self, rows: list[dict[str, Any]]) -> None:
        """Workday leaves a blank field out of an entry, so a required column no entry has is
        missing. The sub-job column is not required: a budget with no phase on any line has no
        such column at all, and its lines have no sub job."""
        if not rows:
            return
        present = set().union(*(row.keys() for row in rows))
        for name in REQUIRED:
            if self._columns[name] not in present:
                raise ErpRejected(
                    f"Workday's report '{self._settings.get('report')}' has no column "
                    f"'{self._columns[name]}' (the connection's {name}): add the column to the "
                    "report or set the connection's column name to the report's."
                )

    def _require_project(self, erp_job_id: str) -> None:
        """In the projects report, read whole (it has no prompt): an unknown project is refused,
        not read as empty."""
        if not any(p.erp_job_id.strip() == erp_job_id.strip() for p in self._projects()):
            raise no_such_job(self.system, erp_job_id)

    def _projects(self) -> list[ErpProject]:
        report = self._settings.get("projects_report") or PROJECTS_REPORT
        return [
            ErpProject(erp_job_id=str(row["Project_ID"]), name=str(row.get("Project_Name") or ""),
                       erp_status=str(row.get("Project_Status") or ""))
            for row in self._report(report, {}) if mapping.text(row, "Project_ID")
        ]  # fmt: skip

    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        return ErpProjectPage.window(self._projects(), offset, limit)

    def cost_catalog(self) -> ErpCatalog:
        """Two small reports list the cost codes and cost types (Workday has no such object)."""
        codes = self._report(self._settings.get("cost_codes_report") or COST_CODES_REPORT, {})
        types = self._report(self._settings.get("cost_types_report") or COST_TYPES_REPORT, {})
        return ErpCatalog(
            cost_codes=_entries(codes, "Cost_Code"), cost_types=_entries(types, "Cost_Type")
        )

    def _report(self, report: str, prompts: dict[str, str]) -> list[dict[str, Any]]:
        client = self._client()
        parts = (self._settings.get("tenant", ""), self._settings.get("owner", ""), report)
        path = "/ccx/service/customreport2/" + "/".join(
            urllib.parse.quote(p, safe="") for p in parts
        )
        query = urllib.parse.urlencode({"format": "json", **prompts})
        doing = f"read Workday's report '{report}'"
        try:
            payload = client.call("GET", f"{path}?{query}", doing)
        except HttpFailure as failure:
            raise client.explain(failure, doing) from None
        try:
            return _Report.model_validate(payload).entries
        except ValidationError:
            raise ErpRejected(
                f"Workday's answer for the report '{report}' was not a report with Report_Entry "
                "rows: check the Workday connection's address, owner and report name."
            ) from None


def _entries(rows: list[dict[str, Any]], column: str) -> list[CatalogEntry]:
    entries: dict[str, CatalogEntry] = {}
    for row in rows:
        value = mapping.text(row, column)
        if value:
            entries[value] = CatalogEntry(code=value, description=str(row.get("Description") or ""))
    return [entries[key] for key in sorted(entries)]
