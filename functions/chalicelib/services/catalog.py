"""The company's cost catalog: the cost codes and cost types its budget lines may use."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from chalicelib.domain import limits
from chalicelib.domain.errors import (
    InUse,
    InvalidCode,
    NoErpConnection,
    NotFound,
    PermissionDenied,
)
from chalicelib.domain.model import Budget, ErpCatalog, Permission, merge_catalog
from chalicelib.domain.ports import Identity, Page
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize, membership_in
from chalicelib.services.connections import erp_source
from chalicelib.services.ports import Ports

MAX_IN_USE_LISTED = 100


def get_catalog(ports: Ports, identity: Identity, company_id: str) -> ErpCatalog:
    """For anyone with read access to either tool."""
    membership = membership_in(ports.directory, identity, company_id)
    if max(membership.erp_permission, membership.budget_permission) < Permission.READ_ONLY:
        raise PermissionDenied(
            "You need read-only permission in the ERP Integrations or the Budget tool of "
            f"{membership.company_name} to see its cost codes."
        )
    return ports.directory.catalog_entries(company_id)


def put_catalog(
    ports: Ports, identity: Identity, company_id: str, catalog: ErpCatalog
) -> ErpCatalog:
    """Replace the catalog; refuses to remove a code or type a budget line still uses."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    current = ports.directory.catalog_entries(company_id)
    _check_new_codes(current, catalog)
    removed_codes = {e.code for e in current.cost_codes} - {e.code for e in catalog.cost_codes}
    removed_types = {e.code for e in current.cost_types} - {e.code for e in catalog.cost_types}
    if removed_codes or removed_types:
        _check_unused(ports, company_id, removed_codes, removed_types)
    ports.directory.save_catalog(company_id, catalog)
    saved = ports.directory.catalog_entries(company_id)
    audit.record(
        ports, company_id, identity.email, audit.CATALOG_CHANGED, "cost catalog",
        cost_codes=len(saved.cost_codes), cost_types=len(saved.cost_types),
        removed_cost_codes=sorted(removed_codes), removed_cost_types=sorted(removed_types),
    )  # fmt: skip
    return saved


def _check_new_codes(current: ErpCatalog, catalog: ErpCatalog) -> None:
    """A code added here must be one a person can tell from the others. A code already in the
    catalog is left as it is, whatever it holds (saved before this rule, or added from the ERP),
    so the web app, which sends the whole catalog, can still save the rest."""
    for entries, known in (
        (catalog.cost_codes, {e.code for e in current.cost_codes}),
        (catalog.cost_types, {e.code for e in current.cost_types}),
    ):
        for entry in entries:
            problem = None if entry.code in known else limits.code_problem(entry.code)
            if problem is not None:
                raise InvalidCode(problem)


def _check_unused(ports: Ports, company_id: str, codes: set[str], types: set[str]) -> None:
    used: list[dict[str, str]] = []
    for budget in _every_budget(ports, company_id):
        for line in ports.budgets.read_lines(budget):
            if line.key.cost_code in codes or line.key.cost_type in types:
                used.append(
                    {
                        "project_id": budget.project_id,
                        "sub_job": line.key.sub_job,
                        "cost_code": line.key.cost_code,
                        "cost_type": line.key.cost_type,
                    }
                )
    if used:
        noun = "line uses" if len(used) == 1 else "lines use"
        raise InUse(
            f"{len(used)} budget {noun} the cost codes or cost types you removed; change those "
            "lines first. Nothing was saved.",
            keys=used[:MAX_IN_USE_LISTED],
        )


def _every_budget(ports: Ports, company_id: str) -> Iterator[Budget]:
    """Linked and unlinked projects' budgets alike: an unlinked project keeps its lines
    (docs/adoption.md, "ERP projects and links"), so its codes are still in use."""
    listings: tuple[Callable[[str | None], Page[Budget]], ...] = (
        lambda cursor: ports.budgets.list(company_id, None, 100, cursor),
        lambda cursor: ports.budgets.list_unlinked(company_id, 100, cursor),
    )
    for listing in listings:
        page = listing(None)
        yield from page.items
        while page.next_cursor is not None:
            page = listing(page.next_cursor)
            yield from page.items


def sync_catalog(ports: Ports, identity: Identity, company_id: str) -> tuple[int, int]:
    """Add the ERP's cost codes and cost types the catalog lacks (never removes)."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    try:
        _, source = erp_source(ports, company_id)
    except NotFound:
        raise NoErpConnection(
            "This company has no ERP connection yet; an ERP admin can set one up under "
            "ERP Integrations, Connection."
        ) from None
    merged, codes, types = merge_catalog(
        ports.directory.catalog_entries(company_id), source.cost_catalog()
    )
    if codes or types:
        ports.directory.save_catalog(company_id, merged)
    audit.record(
        ports, company_id, identity.email, audit.CATALOG_SYNCED, "cost catalog",
        added_cost_codes=codes, added_cost_types=types,
    )  # fmt: skip
    return codes, types
