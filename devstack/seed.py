"""Writes the demo world (devstack/demo_data.py) into the local stack's AWS via the app's adapters.

Companies, cost catalogs, ERP connections (pointing at the sandbox ERP, with credentials in
Secrets Manager), memberships, Cognito users and the project budgets. A synced budget is what an
import of the sandbox's ERP budget creates (the domain's own `plan_reimport` on the demo ERP lines,
so the seed and the rules cannot disagree), with the units a person entered on the project side.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.directory import DynamoDirectory
from chalicelib.adapters.erp.spreadsheet import Export
from chalicelib.adapters.exports import S3ExportStore
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.config import settings
from chalicelib.domain.errors import AlreadyLinked
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    CostCatalog,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    LineItem,
    LineKind,
    Permission,
    TargetConfig,
    TargetKind,
    WbsKey,
    utc_now,
)
from chalicelib.domain.ports import Directory
from chalicelib.domain.reimport import plan_reimport
from devstack import demo_data
from devstack.provision import PASSWORD_POLICY, put_erp_secret
from devstack.sandbox.app import SYSTEMS

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
    config = settings()
    exports = S3ExportStore(config.exports_bucket, config.exports_upload_url, config.region)
    secrets = session.client("secretsmanager")
    seeded: list[SeededBudget] = []
    for company in demo_data.companies():
        directory.put_company(company.company_id, company.name)
        if not company.seeded:
            continue  # it sets itself up: no connection, no projects, an empty catalog
        catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
        directory.put_cost_catalog(company.company_id, catalog)
        connection = company.erp_connection()
        secret_id = (
            put_erp_secret(secrets, company.company_id, **connection.credentials)
            if connection.credentials
            else ""  # the spreadsheet import has no ERP to sign in to
        )
        directory.put_erp_connection(
            company.company_id,
            ErpConnection(
                erp_system=company.erp_system,
                base_url=erp_url.rstrip("/") + connection.path,
                settings=dict(connection.settings),
                credentials_secret_id=secret_id,
            ),
        )
        target = seed_target(secrets, directory, company.company_id, erp_url)
        for project in company.projects:
            if company.erp_system == "spreadsheet":  # the export the budget was imported from
                export = Export(f"{project.project_id}.csv", demo_data.export_csv(project))
                exports.put(connection.settings["exports_prefix"], project.project_id, export)
            budget, lines = project_budget(company, project, catalog, moment - LAST_SYNCED_AGO)
            if target is not None:
                budget.target_project_id = target.projects.get(project.project_id)
            budgets.create_budget(budget, lines)
            link_project(directory, budget)
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
    with _demo_password_allowed(cognito, user_pool_id):
        for user in demo_data.users():
            for company_id, (erp, budget_permission) in user.permissions.items():
                directory.put_member(
                    company_id,
                    user.email,
                    Permission.parse(erp),
                    Permission.parse(budget_permission),
                )
            create_user(cognito, user_pool_id, user.email, demo_data.DEMO_PASSWORD, user.name)
    return seeded


@contextlib.contextmanager
def _demo_password_allowed(cognito: Any, pool_id: str) -> Iterator[None]:
    """The demo password (README) is shorter than the pool's policy asks of a new password. The
    demo users get it as passwords set before a policy change keep working in Cognito: the pool
    takes it while they are made, then enforces the deployed policy for every password chosen
    from then on (invitations, the New Password step)."""
    lenient = {**PASSWORD_POLICY, "MinimumLength": 8, "RequireSymbols": False}
    cognito.update_user_pool(UserPoolId=pool_id, Policies={"PasswordPolicy": lenient})
    try:
        yield
    finally:
        cognito.update_user_pool(UserPoolId=pool_id, Policies={"PasswordPolicy": PASSWORD_POLICY})


def seed_target(
    secrets: Any, directory: DynamoDirectory, company_id: str, sandbox_url: str
) -> demo_data.DemoProcoreTarget | None:
    """A company whose budgets live in the Procore sandbox: its target, with the client secret in
    Secrets Manager. Its Budget Bridge budgets are the record of what was written there."""
    target = demo_data.procore_target(company_id)
    if target is None:
        directory.save_target(company_id, TargetConfig())
        return None
    secret_id = f"{resources.TARGET_SECRET_PREFIX}{company_id}"
    SecretsManagerSecretStore(secrets).put_erp_credentials(
        secret_id, ErpCredentials.of(client_id=target.client_id, client_secret=target.client_secret)
    )
    directory.save_target(
        company_id,
        TargetConfig(
            target=TargetKind.PROCORE,
            base_url=sandbox_url.rstrip("/") + target.path,
            procore_company_id=target.procore_company_id,
            credentials_secret_id=secret_id,
        ),
    )
    return target


def erp_lines(company: demo_data.DemoCompany, project: demo_data.DemoProject) -> list[ErpLine]:
    """The project's ERP budget as its connector reads it from the sandbox."""
    system = next((system for system in SYSTEMS if system.name == company.erp_system), None)
    if system is None:  # the spreadsheet import: a line's id is its row in the export
        ids = [f"row {number}" for number in range(2, len(project.erp_lines) + 2)]
    else:
        one = dataclasses.replace(company, projects=[project])
        # The sandbox's own (stable) line ids, without the lines the connector leaves out.
        ids = [row.id for row in system.rows(one) if system.job_of(row) == project.project_id]
    return [
        ErpLine(
            line=position,
            ref=ref,
            key=WbsKey(line.task, line.cost_code, line.account_group),
            kind=LineKind.COST if line.type == demo_data.EXPENSE else LineKind.REVENUE,
            amount=line.amount,
            description=line.description,
        )
        for position, (line, ref) in enumerate(zip(project.erp_lines, ids, strict=True), start=1)
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
        lines = plan_reimport([], erp_lines(company, project), catalog).lines
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


def link_project(directory: Directory, budget: Budget) -> None:
    """The ERP job's link to its project, as linking it through the API writes it: the job then
    lists as linked and cannot be linked to a second project. Seeding again keeps the link."""
    with contextlib.suppress(AlreadyLinked):
        directory.put_link(
            budget.company_id, budget.erp_job_id, budget.project_id, budget.project_name
        )


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
