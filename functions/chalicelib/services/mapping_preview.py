"""The mapping preview: how the company's ERP connection maps one ERP job's budget, before a re-import.

An ERP admin picks an ERP job on the connection page and sees its first lines as Budget Bridge
will read them (WBS key, cost or revenue, amount), so a change to the mapping settings
(docs/erps/qbo.md, xero.md, netsuite.md) is checked before any budget changes. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import ErpLine, Permission
from chalicelib.domain.ports import Identity
from chalicelib.services.access import Tool, authorize
from chalicelib.services.connections import erp_source
from chalicelib.services.ports import Ports

PREVIEW_LINES = 20
MAX_JOB_ID_LENGTH = 200


@dataclass(frozen=True)
class MappingPreview:
    erp_job_id: str
    erp_system: str
    total_lines: int  # every line the ERP holds for the job
    lines: list[ErpLine]  # the first PREVIEW_LINES of them, as read


def preview_mapping(
    ports: Ports, identity: Identity, company_id: str, erp_job_id: str
) -> MappingPreview:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    job = erp_job_id.strip()
    if not job or len(job) > MAX_JOB_ID_LENGTH:
        raise InvalidRequest(
            f"Choose an ERP job to preview: its id, 1 to {MAX_JOB_ID_LENGTH} characters."
        )
    # The same source as every other call (an uploaded export has no credentials to read).
    connection, source = erp_source(ports, company_id)
    lines = source.fetch_budget(job)
    return MappingPreview(job, connection.erp_system, len(lines), lines[:PREVIEW_LINES])
