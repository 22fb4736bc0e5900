"""Reading and editing project budgets, and the ERP Integrations list of budgets."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain import admission
from chalicelib.domain.errors import ConcurrentChange, InvalidRequest, JobInProgress, NotFound
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    LineItem,
    Membership,
    Permission,
    TargetConfig,
    TargetKind,
    WbsKey,
)
from chalicelib.domain.ports import Identity, LineEdit, Page
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.ports import Ports
from chalicelib.services.targets import (
    RemoteTarget,
    locked_in_target,
    read_target_lock,
    target_for,
)

UNITS_EDIT_ATTEMPTS = 5


@dataclass(frozen=True)
class BudgetRow:
    """A budget as the ERP Integrations → Budgets list shows it to one user."""

    budget: Budget
    target: TargetKind
    locked_in_target: bool  # Procore's lock as last read (services/targets.locked_in_target)
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
    config = ports.directory.target(company_id)
    rows = [_row(budget, membership, config) for budget in page.items]
    return Page(rows, page.next_cursor)


def _row(budget: Budget, membership: Membership, config: TargetConfig) -> BudgetRow:
    may_request = membership.erp_permission >= Permission.STANDARD
    in_target = locked_in_target(budget, config)
    idle = not budget.locked and not in_target and budget.active_job_id is None
    return BudgetRow(
        budget=budget,
        target=config.target,
        locked_in_target=in_target,
        can_reimport=may_request and idle and budget.status is BudgetStatus.SYNCED,
        can_import=may_request and idle and budget.status is BudgetStatus.READY_TO_IMPORT,
    )


@dataclass(frozen=True)
class ProjectRow:
    budget: Budget
    target: TargetKind
    locked_in_target: bool


def list_projects(
    ports: Ports, identity: Identity, company_id: str, limit: int, cursor: str | None
) -> Page[ProjectRow]:
    """The company's project budgets by project name, Ready to Import and Synced alike: where a
    person with Budget access starts, ERP access or not (docs/api.md, "Who may call what"). The
    lock in the target is the one last read, as in the ERP Budgets list."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    page = ports.budgets.list(company_id, None, limit, cursor)
    config = ports.directory.target(company_id)
    rows = [ProjectRow(b, config.target, locked_in_target(b, config)) for b in page.items]
    return Page(rows, page.next_cursor)


@dataclass(frozen=True)
class BudgetPage:
    budget: Budget
    lines: list[LineItem]
    next_cursor: str | None
    locked_in_target: bool = False


def read_budget(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    limit: int,
    cursor: str | None,
    fit: Callable[[Sequence[LineItem]], int] = len,
) -> BudgetPage:
    """One page of at most `limit` lines; `fit` says how many of them the answer can carry (the
    HTTP answer's size limit), and the cursor then starts at the first one left out."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    budget = ports.budgets.get_by_project(company_id, project_id)
    in_target = _lock_in_target(ports, budget, fresh=not cursor)
    offset, version = decode_offset(cursor, budget_id=budget.budget_id)
    if version is not None and version != budget.version:
        # A cursor pages the version it began with to the end, never a mix of two.
        budget = ports.budgets.at_version(budget, version)
    lines = ports.budgets.read_page(budget, offset, limit)
    lines = lines[: fit(lines)]
    end = offset + len(lines)
    more = end < budget.line_count
    after = encode_offset(end, budget.version, budget.budget_id) if more else None
    return BudgetPage(budget, lines, after, in_target)


def _lock_in_target(ports: Ports, budget: Budget, *, fresh: bool) -> bool:
    """The target's lock for the Budget tab. A budget with no target project has none, and costs
    no read of the company's target (the page read stays one budget read and one chunk read,
    docs/performance.md). On the first page (`fresh`) the target is asked afresh (one call), so a
    lock lifted there since the last read shows here, and then in the Budgets list."""
    if not budget.target_project_id:
        return False
    config = ports.directory.target(budget.company_id)
    remembered = locked_in_target(budget, config)
    if not fresh:
        return remembered
    now = read_target_lock(ports, budget, config)
    return remembered if now is None else now


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
    target = _remote_target(ports, budget)
    if target is None:
        line = _record_edit(ports, identity, budget, line_item_id, edit)
    else:
        key = _key_of(line_item_id)
        _check_editable_in_target(budget, edit, target.name)
        line = target.edit_line(
            budget, key, edit, lambda: _record_edit(ports, identity, budget, line_item_id, edit)
        )
    _audit_edit(ports, identity, company_id, project_id, line, edit)
    return line


def _record_edit(
    ports: Ports, identity: Identity, budget: Budget, line_item_id: str, edit: LineEdit
) -> LineItem:
    """The edit as Budget Bridge's next version of `budget` (read just before)."""
    # A re-import only ever moves amounts, so an edit that leaves the amount alone cannot
    # conflict with one: when the budget moved on meanwhile, it is applied to the new version.
    attempts = 1 if edit.original_budget_amount is not None else UNITS_EDIT_ATTEMPTS
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            budget = ports.budgets.get_by_project(budget.company_id, budget.project_id)
        try:
            return ports.budgets.edit_line(budget, line_item_id, edit, identity.email)
        except ConcurrentChange:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _remote_target(ports: Ports, budget: Budget) -> RemoteTarget | None:
    """The other system holding the budget (Procore), whose lines an edit is written to first;
    None for Budget Bridge's own store, and for a budget linked to no project there (its only
    copy is Budget Bridge's). A budget with no target project costs no read of the target."""
    if not budget.target_project_id:
        return None
    target = target_for(ports, budget)
    return target if isinstance(target, RemoteTarget) else None


def _check_editable_in_target(budget: Budget, edit: LineEdit, where: str) -> None:
    """Refusals before anything is written to the other system. Budget Bridge's own lock (the
    store checks it again when recording). An amount while a job holds the budget: a job that
    fails puts back the amounts it read, which would undo the edit there and not here."""
    if budget.locked:
        raise admission.locked_refusal(budget.project_name, "edit its lines")
    if edit.original_budget_amount is not None and budget.active_job_id:
        raise JobInProgress(
            f"A job is being applied to the budget of {budget.project_name} in {where}; edit "
            "the amount once it has finished.",
            job_id=budget.active_job_id,
        )


def _key_of(line_item_id: str) -> WbsKey:
    try:
        return WbsKey.from_line_item_id(line_item_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise NotFound("There is no such line item in this budget.") from None


def all_lines(ports: Ports, identity: Identity, company_id: str, project_id: str) -> BudgetPage:
    """The whole current budget, for its CSV."""
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.READ_ONLY)
    budget = ports.budgets.get_by_project(company_id, project_id)
    return BudgetPage(budget, ports.budgets.read_lines(budget), None)


@dataclass(frozen=True)
class LockState:
    """A budget after lock/unlock: Budget Bridge's own lock changed; the target's stays as read."""

    budget: Budget
    locked_in_target: bool


def set_locked(
    ports: Ports, identity: Identity, company_id: str, project_id: str, locked: bool
) -> LockState:
    authorize(ports.directory, identity, company_id, Tool.BUDGET, Permission.ADMIN)
    budget = ports.budgets.get_by_project(company_id, project_id)
    changed = ports.budgets.set_locked(budget, locked)
    action = audit.BUDGET_LOCKED if locked else audit.BUDGET_UNLOCKED
    audit.record(
        ports, company_id, identity.email, action, budget.project_name, project_id=project_id
    )
    return LockState(changed, locked_in_target(changed, ports.directory.target(company_id)))


def encode_offset(offset: int, version: int | None = None, budget_id: str = "") -> str:
    """A page cursor: the next offset and, for a budget's lines, the version being paged and a
    tag of the budget, so that no other budget takes it."""
    text = f"o:{offset}" if version is None else f"v:{offset}:{version}:{_budget_tag(budget_id)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# No cursor this API gives out holds a larger offset or version (lists and budgets are far
# smaller); a forged one beyond it would overflow islice and other C-sized arguments (a 500).
MAX_CURSOR_NUMBER = 10**9


def _budget_tag(budget_id: str) -> int:
    """A budget's mark in its cursors: a checksum, not a secret (the cursor is the caller's own
    and names nothing another company has); it only tells one budget's cursor from another's."""
    return zlib.crc32(budget_id.encode()) % MAX_CURSOR_NUMBER


def decode_offset(cursor: str | None, *, budget_id: str | None = None) -> tuple[int, int | None]:
    """(offset, version or None); InvalidRequest for a cursor this API did not give out, or gave
    out for another list (`budget_id`: the lines of that budget, whose cursors name their version
    and their budget)."""
    if not cursor:
        return 0, None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, *values = text.split(":")
        numbers = [int(value) for value in values]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("The cursor is not one this API gave out.") from None
    shapes = {"o": 1} if budget_id is None else {"v": 3}
    if shapes.get(kind) != len(numbers) or any(not 0 <= n <= MAX_CURSOR_NUMBER for n in numbers):
        raise InvalidRequest("The cursor is not one this API gave out.")
    if budget_id is not None and numbers[2] != _budget_tag(budget_id):
        raise InvalidRequest("The cursor pages another budget: pass this budget's next_cursor.")
    return numbers[0], (numbers[1] if kind == "v" else None)


def _audit_edit(
    ports: Ports,
    identity: Identity,
    company_id: str,
    project_id: str,
    line: LineItem,
    edit: LineEdit,
) -> None:
    changed = {
        name: str(getattr(edit, name))
        for name in ("description", "uom", "quantity", "unit_cost", "original_budget_amount")
        if getattr(edit, name) is not None
    }
    audit.record(
        ports, company_id, identity.email, audit.LINE_EDITED, line.key.label(),
        project_id=project_id, changed=changed, cleared=sorted(edit.clear),
    )  # fmt: skip
