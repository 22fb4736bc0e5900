"""Uploading a budget export for the spreadsheet import (docs/erps/spreadsheet.md).

An ERP admin asks for an upload form for one job's budget; the browser sends the file straight
to storage (a presigned POST in AWS, the local stack's S3 on moto), and the next re-import reads
the job's latest upload through the same worker and rules as any ERP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.erp.spreadsheet import COLUMNS, MAX_BYTES, REQUIRED
from chalicelib.adapters.erp.spreadsheet import columns as mapped_columns
from chalicelib.domain.errors import InvalidRequest, NotFound, NotSpreadsheet
from chalicelib.domain.model import ErpConnection, Permission
from chalicelib.domain.ports import Identity
from chalicelib.services import audit
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
    connection = _spreadsheet_connection(ports, company_id)
    if ports.exports is None:
        raise InvalidRequest("Uploads are not available on this installation.")
    if not connection.settings.get("exports_prefix"):  # where the worker will look for it
        settings = {**connection.settings, "exports_prefix": company_id}
        connection = connection.model_copy(update={"settings": settings})
        ports.directory.put_erp_connection(company_id, connection)
    form = ports.exports.upload_form(_prefix(connection.settings, company_id),
                                     budget.erp_job_id, file_name)  # fmt: skip
    return UploadForm(form["url"], form["fields"], form["key"], MAX_BYTES)


def get_mapping(ports: Ports, identity: Identity, company_id: str) -> dict[str, str]:
    """The company's column mapping (the spreadsheet connection's `*_column` settings)."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    connection = _spreadsheet_connection(ports, company_id)
    return mapped_columns(connection.settings)


def put_mapping(
    ports: Ports, identity: Identity, company_id: str, mapping: dict[str, str]
) -> dict[str, str]:
    """Saves the mapping once for the company; every later re-import reads exports with it."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    connection = _spreadsheet_connection(ports, company_id)
    for name in REQUIRED:
        if not mapping.get(name, "").strip():
            raise InvalidRequest(f"Name the export's column for {name.removesuffix('_column')}.")
    columns = {name: mapping.get(name, "").strip() for name in COLUMNS}
    settings = {**connection.settings, **columns}
    settings.setdefault("exports_prefix", company_id)
    ports.directory.put_erp_connection(
        company_id, connection.model_copy(update={"settings": settings})
    )
    audit.record(
        ports, company_id, identity.email, audit.CONNECTION_SAVED, connection.erp_system,
        settings=sorted(name for name, column in columns.items() if column),
    )  # fmt: skip
    return columns


def _spreadsheet_connection(ports: Ports, company_id: str) -> ErpConnection:
    try:
        connection = ports.directory.erp_connection(company_id)
    except NotFound:
        connection = None
    if connection is None or connection.erp_system != SPREADSHEET:
        raise NotSpreadsheet(
            "Uploaded budget exports are for companies whose ERP connection is the spreadsheet "
            "import: set the company's ERP connection to Spreadsheet import first."
        )
    return connection


def _prefix(settings: dict[str, str], company_id: str) -> str:
    return settings.get("exports_prefix") or company_id
