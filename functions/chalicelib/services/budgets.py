"""Reading and editing project budgets, and the ERP Integrations list of budgets."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    LineItem,
    Membership,
    Permission,
)
from chalicelib.domain.ports import Identity, LineEdit, Page
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports


@dataclass(frozen=True)
class BudgetRow:
    """A budget as the ERP Integrations → Budgets list shows it to one user."""

    budget: Budget
    can_reimport: bool
    can_import: bool


def list_budgets(
    ports: Ports,
    identity: Identity,
    company_id: str,
    status: BudgetStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[BudgetRow]:
    membership = authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    page = ports.budgets.list(company_id, status, limit, cursor)
    rows = [_row(budget, membership) for budget in page.items]
    return Page(rows, page.next_cursor)


def _row(budget: Budget, membership: Membership) -> BudgetRow:
    may_request = membership.erp_permission >= Permission.STANDARD
    idle = not budget.locked and budget.active_job_id is None
    return BudgetRow(
        budget=budget,
        can_reimport=may_request and idle and budget.status is BudgetStatus.SYNCED,
        can_import=may_request and idle and budget.status is BudgetStatus.READY_TO_IMPORT,
    )


@dataclass(frozen=True)
class BudgetPage:
    budget: Budget
    lines: list[LineItem]
    next_cursor: str | None


def read_budget(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    limit: int,
    cursor: str | None,
) -> BudgetPage:
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    budget = ports.budgets.get_by_project(company_id, project_id)
    offset = decode_offset(cursor)
    lines = ports.budgets.read_page(budget, offset, limit)
    end = offset + len(lines)
    return BudgetPage(budget, lines, encode_offset(end) if end < budget.line_count else None)


def edit_line(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    line_item_id: str,
    edit: LineEdit,
) -> LineItem:
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.STANDARD)
    budget = ports.budgets.get_by_project(company_id, project_id)
    line = ports.budgets.edit_line(budget, line_item_id, edit, identity.email)
    changed = {
        name: str(getattr(edit, name))
        for name in ("description", "uom", "quantity", "unit_cost", "original_budget_amount")
        if getattr(edit, name) is not None
    }
    audit.record(
        ports, company_id, identity.email, audit.LINE_EDITED, line.key.label(),
        project_id=project_id, changed=changed, cleared=sorted(edit.clear),
    )  # fmt: skip
    return line


def all_lines(ports: Ports, identity: Identity, company_id: str, project_id: str) -> BudgetPage:
    """The whole current budget, for its CSV."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    budget = ports.budgets.get_by_project(company_id, project_id)
    return BudgetPage(budget, ports.budgets.read_lines(budget), None)


def set_locked(
    ports: Ports, identity: Identity, company_id: str, project_id: str, locked: bool
) -> Budget:
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.ADMIN)
    budget = ports.budgets.get_by_project(company_id, project_id)
    changed = ports.budgets.set_locked(budget, locked)
    action = audit.BUDGET_LOCKED if locked else audit.BUDGET_UNLOCKED
    audit.record(
        ports, company_id, identity.email, action, budget.project_name, project_id=project_id
    )
    return changed


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("The cursor is not one this API gave out.") from None
    if kind != "o" or offset < 0:
        raise InvalidRequest("The cursor is not one this API gave out.")
    return offset
