"""The ERP's projects, read live, and the links that make an ERP job a Budget Bridge project."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain import limits
from chalicelib.domain.erp_fields import required
from chalicelib.domain.errors import (
    AlreadyLinked,
    InvalidTargetProject,
    NoErpConnection,
    NotFound,
)
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ErpConnection,
    ErpProject,
    Permission,
    ProjectLink,
    TargetKind,
)
from chalicelib.domain.ports import ErpSource, Identity
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.budgets import decode_offset, encode_offset
from chalicelib.services.connections import erp_source
from chalicelib.services.ports import Ports
from chalicelib.services.targets import check_target_project

# A job id an admin types for the spreadsheet import: printable, no path separators, not padded.
_JOB_ID = re.compile(r"[^\s/\\\x00-\x1f\x7f](?:[^/\\\x00-\x1f\x7f]{0,62}[^\s/\\\x00-\x1f\x7f])?")
_FIND_PAGE = 500
_FIND_LIMIT = 20_000  # projects searched for a job to link; an ERP with more is unheard of


@dataclass(frozen=True)
class ProjectRow:
    project: ErpProject
    project_id: str | None
    project_name: str | None = None  # the linked project's own name, when the link kept it


@dataclass(frozen=True)
class ProjectPage:
    rows: list[ProjectRow]
    next_cursor: str | None


def list_projects(
    ports: Ports, identity: Identity, company_id: str, limit: int, cursor: str | None
) -> ProjectPage:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.STANDARD)
    offset, _ = decode_offset(cursor)
    _, source = _source(ports, company_id)
    page = source.list_projects(offset, limit)
    links = ports.directory.project_links(company_id)
    rows = [_row(project, links.get(project.erp_job_id)) for project in page.projects]
    more = page.has_more and bool(page.projects)
    return ProjectPage(rows, encode_offset(offset + len(page.projects)) if more else None)


def _row(project: ErpProject, link: ProjectLink | None) -> ProjectRow:
    if link is None:
        return ProjectRow(project, None)
    return ProjectRow(project, link.project_id, link.project_name or None)


def link(
    ports: Ports,
    identity: Identity,
    company_id: str,
    erp_job_id: str,
    project_name: str | None,
    procore_project_id: str | None = None,
) -> Budget:
    """A new project, named as in the ERP unless named here, with an empty budget to import.

    For a company whose budgets live in Procore the link also names the Procore project, which
    must answer (docs/targets/procore.md)."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    if erp_job_id in ports.directory.links(company_id):
        raise AlreadyLinked(f"The ERP job {erp_job_id} is already linked to a project.")
    connection, source = _source(ports, company_id)
    # An ERP the company does not call (the spreadsheet import) has no list to find a job in.
    found = _find(source, erp_job_id, any_job=not required(connection.erp_system).calls_erp)
    target_project_id = _target_project(ports, company_id, procore_project_id)
    project_id = ports.new_id()
    name = _project_name(project_name, found, erp_job_id)
    ports.directory.put_link(company_id, erp_job_id, project_id, name)  # atomic: one per job
    try:
        budget = ports.budgets.create_budget(
            Budget(
                company_id=company_id,
                budget_id=project_id,
                project_id=project_id,
                project_name=name,
                erp_job_id=erp_job_id,
                erp_system=connection.erp_system,
                status=BudgetStatus.READY_TO_IMPORT,
                target_project_id=target_project_id,
            ),
            [],
        )
    except Exception:
        # No budget, so no link: left behind, it would answer already_linked to every new try
        # and not_found to an unlink. An error after the budget was in fact written (a timeout
        # on its answer) keeps the link, or a second link would make a second budget.
        if not _budget_exists(ports, company_id, project_id):
            ports.directory.delete_link(company_id, erp_job_id)
        raise
    audit.record(
        ports, company_id, identity.email, audit.PROJECT_LINKED, erp_job_id,
        project_id=project_id, project_name=budget.project_name,
    )  # fmt: skip
    return budget


def _budget_exists(ports: Ports, company_id: str, budget_id: str) -> bool:
    try:
        ports.budgets.get(company_id, budget_id)
    except NotFound:
        return False
    return True


def _project_name(given: str | None, found: ErpProject, erp_job_id: str) -> str:
    """The name given, else the ERP's (shortened to what a given one may be: ERP text has no
    bound of ours), else the job id."""
    name = (given or "").strip() or found.name.strip()[: limits.MAX_PROJECT_NAME].strip()
    return name or erp_job_id


def _target_project(ports: Ports, company_id: str, procore_project_id: str | None) -> str | None:
    config = ports.directory.target(company_id)
    if config.target is TargetKind.BUDGET_BRIDGE:
        return None
    if not procore_project_id or not limits.ascii_digits(procore_project_id.strip()):
        raise InvalidTargetProject(
            f"This company's budgets live in {config.name}: name the {config.name} project "
            "(procore_project_id, its numeric id) to link."
        )
    check_target_project(ports, company_id, procore_project_id.strip())
    return procore_project_id.strip()


def _find(source: ErpSource, erp_job_id: str, *, any_job: bool = False) -> ErpProject:
    """The ERP's project of that id. With `any_job` (the spreadsheet import) a job is whatever
    the admin names: its exports list a job only once one is uploaded, and uploading one needs
    the job's budget, which linking makes (docs/erps/spreadsheet.md)."""
    offset = 0
    while offset < _FIND_LIMIT:
        page = source.list_projects(offset, _FIND_PAGE)
        for project in page.projects:
            if project.erp_job_id == erp_job_id:
                return project
        if not page.has_more or not page.projects:
            break
        offset += len(page.projects)
    if any_job and _JOB_ID.fullmatch(erp_job_id):
        return ErpProject(erp_job_id=erp_job_id, name=erp_job_id, erp_status="")
    raise NotFound("The ERP has no job or project with that id.")


def unlink(ports: Ports, identity: Identity, company_id: str, erp_job_id: str) -> None:
    """The project and its lines stay; its budget leaves the ERP Budgets lists."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    project_id = ports.directory.links(company_id).get(erp_job_id)
    if project_id is None:
        raise NotFound("That ERP job is not linked to a project in this company.")
    budget = ports.budgets.get_by_project(company_id, project_id)
    ports.budgets.unlink(budget)  # refuses while a job holds the budget
    ports.directory.delete_link(company_id, erp_job_id)
    audit.record(
        ports, company_id, identity.email, audit.PROJECT_UNLINKED, erp_job_id,
        project_id=project_id,
    )  # fmt: skip


def _source(ports: Ports, company_id: str) -> tuple[ErpConnection, ErpSource]:
    try:
        return erp_source(ports, company_id)
    except NotFound:
        raise NoErpConnection(
            "This company has no ERP connection yet; an ERP admin can set one up under "
            "ERP Integrations, Connection."
        ) from None
