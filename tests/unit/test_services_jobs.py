"""Listing jobs (services/jobs.py) on the in-memory ports."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.model import Budget, BudgetStatus, JobKind
from chalicelib.services.jobs import list_jobs
from chalicelib.services.reimports import request_job
from tests.fixtures.services import COMPANY, OTHER_COMPANY, OUTSIDER, READY, SYNCED, me, world


class CountingBudgets:
    """The budget store, counting the budget headers read."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.headers_read = 0

    def get(self, company_id: str, budget_id: str) -> Budget:
        self.headers_read += 1
        return self.inner.get(company_id, budget_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _other_company_budget_with_a_job() -> Any:
    w = world()
    other = Budget(
        company_id=OTHER_COMPANY,
        budget_id="P-9",
        project_id="P-9",
        project_name="Elsewhere",
        erp_job_id="P-9",
        erp_system="acumatica",
        status=BudgetStatus.SYNCED,
    )
    w.ports.budgets.create_budget(other, [])
    request_job(w.ports, me(OUTSIDER), OTHER_COMPANY, "P-9", JobKind.REIMPORT)
    return w


@pytest.mark.parametrize("budget_id", ["P-9", "P-404"], ids=["another-company-s", "nobody-s"])
def test_jobs_of_a_budget_the_company_does_not_have_are_not_found(budget_id: str) -> None:
    """docs/domain-rules.md, Tenancy: 404 like the budget itself, not an empty list."""
    w = _other_company_budget_with_a_job()

    with pytest.raises(NotFound) as failure:
        list_jobs(w.ports, me("readonly@acme.test"), COMPANY, budget_id, 10, None)

    assert failure.value.message == "There is no such budget in this company."
    assert "P-9" not in failure.value.message


def test_jobs_of_one_of_the_company_s_budgets_read_its_header_once() -> None:
    w = world()
    job = request_job(w.ports, me(), COMPANY, SYNCED, JobKind.REIMPORT)
    counting = CountingBudgets(w.ports.budgets)
    w.ports.budgets = counting  # type: ignore[assignment]

    listed = list_jobs(w.ports, me("readonly@acme.test"), COMPANY, SYNCED, 10, None)
    none_yet = list_jobs(w.ports, me("readonly@acme.test"), COMPANY, READY, 10, None)
    every = list_jobs(w.ports, me("readonly@acme.test"), COMPANY, None, 10, None)

    assert [j.job_id for j, _ in listed.items] == [job.job_id]
    assert none_yet.items == []
    assert [j.job_id for j, _ in every.items] == [job.job_id]
    assert counting.headers_read == 2  # one per filtered list, none without a filter
