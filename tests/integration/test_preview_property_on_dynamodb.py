"""The preview property through the DynamoDB stores (moto): over random budgets and ERP edits, a
preview never changes the budget, and the apply from it makes exactly the changes it listed.

The ERP is the services' stand-in (`FakeErp`); what matters here is what the stores keep.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ErpConnection,
    ErpCredentials,
    ErpLine,
    JobKind,
    JobStatus,
    LineItem,
    LineKind,
    Permission,
    WbsKey,
)
from chalicelib.domain.ports import JobMessage
from chalicelib.services.ports import Ports
from chalicelib.services.reimports import request_job, request_preview, run_job
from devstack import memory
from tests import worlds
from tests.fixtures.services import CATALOG, FakeErp, me

COMPANY = "acme"
KEYS = [
    WbsKey(sub_job, code, kind)
    for sub_job in ("T1", "T2")
    for code in ("01-100", "02-200")
    for kind in ("L", "M")
]
cents = st.integers(min_value=-(10**8), max_value=10**8).map(lambda n: Decimal(n) / 100)
budgets = st.dictionaries(st.sampled_from(KEYS), cents, max_size=6)
# At least one ERP line: an ERP with no cost line is refused without allow_empty
# (docs/domain-rules.md, "Import"), which this property does not speak of.
erp_edits = st.lists(st.tuples(st.sampled_from(KEYS), cents), min_size=1, max_size=10)


@pytest.fixture
def ports(aws_env: Any) -> tuple[Ports, FakeErp]:
    world = worlds.stores("moto")
    directory = world.directory
    directory.put_company(COMPANY, "Acme Builders")
    directory.put_cost_catalog(COMPANY, CATALOG)
    directory.put_member(COMPANY, "standard@acme.test", Permission.STANDARD, Permission.STANDARD)
    connection = ErpConnection(
        erp_system="acumatica",
        base_url="http://erp.invalid",
        settings={"company": "Acme"},
        credentials_secret_id="acme-erp",
    )
    directory.put_erp_connection(COMPANY, connection)
    # The secret and the queue stay in memory: the property is about the budget store.
    secrets = memory.MemorySecretStore()
    secrets.put("acme-erp", ErpCredentials.of(username="admin", password="sandbox"))
    erp = FakeErp([])
    built = worlds.ports(
        world, queue=memory.MemoryJobQueue(), secrets=secrets, erp_sources=erp,
        audit=memory.MemoryAuditLog(),
    )  # fmt: skip
    return built, erp


_numbers = count(1)


def _run(ports: Ports, job: Any) -> Any:
    message = JobMessage(job_id=job.job_id, company_id=job.company_id, budget_id=job.budget_id)
    return run_job(ports, message, final_attempt=False).job


def _changes(ports: Ports, job: Any) -> list[tuple[Any, ...]]:
    fresh = ports.jobs.get(COMPANY, job.job_id)
    return [
        (c.key, c.kind, c.old_amount, c.new_amount)
        for c in ports.jobs.changes(fresh, 0, fresh.change_count)
    ]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=budgets, edits=erp_edits)
def test_a_preview_changes_nothing_and_its_apply_makes_exactly_its_changes(
    ports: tuple[Ports, FakeErp], start: dict[WbsKey, Decimal], edits: list[tuple[WbsKey, Decimal]]
) -> None:
    stores, erp = ports
    number = next(_numbers)
    budget = stores.budgets.create_budget(  # type: ignore[attr-defined]
        Budget(company_id=COMPANY, budget_id=f"B-{number}", project_id=f"P-{number}",
               project_name=f"Project {number}", erp_job_id=f"J-{number}",
               erp_system="acumatica", status=BudgetStatus.SYNCED),
        [LineItem(key, f"line {key.label()}", amount, uom="EA") for key, amount in start.items()],
    )  # fmt: skip
    erp.lines = [
        ErpLine(n, f"r{n}", key, LineKind.COST, amount, f"erp {n}")
        for n, (key, amount) in enumerate(edits, start=1)
    ]
    before = stores.budgets.read_lines(budget)

    # Random ERP edits may hold no cost line at all: the empty-ERP guard is allowed through here.
    preview = _run(
        stores, request_preview(stores, me(), COMPANY, budget.budget_id, allow_empty=True)
    )

    assert preview.status is JobStatus.SUCCEEDED, preview.message
    assert stores.budgets.get(COMPANY, budget.budget_id).version == budget.version
    assert stores.budgets.read_lines(stores.budgets.get(COMPANY, budget.budget_id)) == before
    applied = _run(
        stores,
        request_job(stores, me(), COMPANY, budget.budget_id, JobKind.REIMPORT,
                    preview_job_id=preview.job_id, allow_empty=True),
    )  # fmt: skip
    assert applied.status is JobStatus.SUCCEEDED, applied.message
    planned = _changes(stores, preview)
    assert _changes(stores, applied) == planned
    after = {line.key: line.original_budget_amount for line in stores.budgets.read_lines(
        stores.budgets.get(COMPANY, budget.budget_id))}  # fmt: skip
    was = {line.key: line.original_budget_amount for line in before}
    changed = {key: new for key, _, _, new in planned}
    assert after == {**was, **changed}
