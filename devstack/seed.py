"""Writes the demo world (devstack/demo_data.py) into the local stack's AWS via the app's adapters.

Companies, cost catalogs, ERP connections (pointing at the sandbox ERP, with credentials in
Secrets Manager), memberships, Cognito users and the project budgets. A synced budget is what an
import of the sandbox's ERP budget creates (the domain's own `plan_import` on the demo ERP lines,
so the seed and the rules cannot disagree), with the units a person entered on the project side.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    CostCatalog,
    ErpConnection,
    ErpLine,
    LineItem,
    LineKind,
    Permission,
    WbsKey,
    utc_now,
)
from chalicelib.domain.reimport import plan_import
from devstack import demo_data, sandbox_erp
from devstack.provision import put_erp_secret

# How long ago the seeded budgets were last synced: old enough that a company turning automatic
# re-import on sees the schedule pick its budgets up at the next tick.
LAST_SYNCED_AGO = timedelta(days=2)


@dataclass(frozen=True)
class SeededBudget:
    company_id: str
    budget_id: str
    project_id: str
    status: str
    locked: bool
    line_count: int


def seed(
    session: Any, user_pool_id: str, erp_url: str, now: datetime | None = None
) -> list[SeededBudget]:
    """Seed everything; safe to run again on the same account (it replaces what it wrote)."""
    moment = now or utc_now()
    directory = DynamoDirectory()
    budgets = DynamoBudgetStore()
    secrets = session.client("secretsmanager")
    seeded: list[SeededBudget] = []
    for company in demo_data.companies():
        catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
        directory.put_company(company.company_id, company.name)
        directory.put_cost_catalog(company.company_id, catalog)
        secret_id = put_erp_secret(
            secrets, company.company_id, demo_data.SANDBOX_USERNAME, demo_data.SANDBOX_PASSWORD
        )
        directory.put_erp_connection(
            company.company_id,
            ErpConnection(
                erp_system=company.erp_system,
                base_url=erp_url,
                settings={"company": company.tenant},
                credentials_secret_id=secret_id,
            ),
        )
        for project in company.projects:
            budget, lines = project_budget(company, project, catalog, moment - LAST_SYNCED_AGO)
            budgets.create_budget(budget, lines)
            seeded.append(
                SeededBudget(
                    company.company_id,
                    budget.budget_id,
                    project.project_id,
                    budget.status.value,
                    budget.locked,
                    len(lines),
                )
            )
    cognito = session.client("cognito-idp")
    for user in demo_data.users():
        for company_id, (erp, budget_permission) in user.permissions.items():
            directory.put_member(
                company_id, user.email, Permission.parse(erp), Permission.parse(budget_permission)
            )
        create_user(cognito, user_pool_id, user.email, demo_data.DEMO_PASSWORD, user.name)
    return seeded


def erp_lines(company: demo_data.DemoCompany, project: demo_data.DemoProject) -> list[ErpLine]:
    """The project's ERP budget as the Acumatica connector reads it from the sandbox."""
    rows = sandbox_erp.erp_rows(company.tenant, project)  # the sandbox's own (stable) line ids
    return [
        ErpLine(
            line=position,
            ref=row.id,
            key=WbsKey(line.task, line.cost_code, line.account_group),
            kind=LineKind.COST if line.type == demo_data.EXPENSE else LineKind.REVENUE,
            amount=line.amount,
            description=line.description,
        )
        for position, (line, row) in enumerate(zip(project.erp_lines, rows, strict=True), start=1)
    ]


def project_budget(
    company: demo_data.DemoCompany,
    project: demo_data.DemoProject,
    catalog: CostCatalog,
    last_synced_at: datetime,
) -> tuple[Budget, list[LineItem]]:
    """The project's budget header and lines: imported when synced, empty when ready to import."""
    status = BudgetStatus(project.status)
    lines: list[LineItem] = []
    if status is BudgetStatus.SYNCED:
        lines = plan_import([], erp_lines(company, project), catalog).lines
        for line in lines:
            units = project.project_units.get(
                (line.key.sub_job, line.key.cost_code, line.key.cost_type)
            )
            if units is not None:
                line.uom, line.quantity, line.unit_cost = units
    budget = Budget(
        company_id=company.company_id,
        budget_id=project.project_id,
        project_id=project.project_id,
        project_name=project.name,
        erp_job_id=project.project_id,
        erp_system=company.erp_system,
        status=status,
        locked=project.locked,
        last_synced_at=last_synced_at if status is BudgetStatus.SYNCED else None,
    )
    return budget, lines


def create_user(cognito: Any, pool_id: str, email: str, password: str, name: str) -> None:
    """A confirmed user with a permanent password (no first-sign-in challenge)."""
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
            ],
            MessageAction="SUPPRESS",
        )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=password, Permanent=True
    )
