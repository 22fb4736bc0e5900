"""Uploading a budget export for the spreadsheet import (docs/erps/spreadsheet.md).

An ERP admin asks for an upload form for one job's budget; the browser sends the file straight
to storage (a presigned POST in AWS, the local stack's S3 on moto), and the next re-import reads
the job's latest upload through the same worker and rules as any ERP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.erp.spreadsheet import MAX_BYTES
from chalicelib.domain.errors import InvalidRequest, NotFound, NotSpreadsheet
from chalicelib.domain.model import Permission
from chalicelib.domain.ports import Identity
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports

SPREADSHEET = "spreadsheet"
EXTENSIONS = (".csv", ".xlsx")


@dataclass(frozen=True, slots=True)
class UploadForm:
    url: str
    fields: dict[str, Any]
    key: str
    max_bytes: int


def start_upload(
    ports: Ports, identity: Identity, company_id: str, budget_id: str, file_name: str, size: int
) -> UploadForm:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    budget = ports.budgets.get(company_id, budget_id)  # another company's budget: 404
    if not file_name.lower().endswith(EXTENSIONS):
        raise InvalidRequest("The budget export must be a .csv or .xlsx file.")
    if size > MAX_BYTES:
        raise InvalidRequest(
            f"The file is {size / 1024 / 1024:.1f} MB; budget exports may be at most 10 MB."
        )
    try:
        connection = ports.directory.erp_connection(company_id)
    except NotFound:
        connection = None
    if connection is None or connection.erp_system != SPREADSHEET:
        raise NotSpreadsheet(
            "Uploaded budget exports are for companies whose ERP connection is the spreadsheet "
            "import: set the company's ERP connection to Spreadsheet import first."
        )
    if ports.exports is None:
        raise InvalidRequest("Uploads are not available on this installation.")
    form = ports.exports.upload_form(_prefix(connection.settings, company_id),
                                     budget.erp_job_id, file_name)  # fmt: skip
    return UploadForm(form["url"], form["fields"], form["key"], MAX_BYTES)


def _prefix(settings: dict[str, str], company_id: str) -> str:
    return settings.get("exports_prefix") or company_id
