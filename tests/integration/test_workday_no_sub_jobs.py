"""A Workday budget without sub jobs, against the sandbox.

Workday leaves a blank field out of a report entry, so a budget with no phase on any line has no
sub-job column at all: its lines have sub job "", as the contract says of a budget without sub
jobs. A required column no entry has is still refused with a sentence naming it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.workday import WorkdaySource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpCredentials
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import UniformSwitch

TENANT, JOB = "bb_demo", "W-1201"


def source(sandbox: SandboxErp, **settings: str) -> WorkdaySource:
    saved = demo_data.company("workday").erp_connection()
    return WorkdaySource(sandbox.url + saved.path, {**saved.settings, **settings},
                         ErpCredentials(dict(saved.credentials)),
                         limits=Limits(timeout=10, allow_local_urls=True),
                         sleep=lambda seconds: None)  # fmt: skip


def without_phases(switch: UniformSwitch) -> None:
    """W-1201's budget replaced by lines on no phase: the report then has no Project_Phase."""
    keys = {(line["sub_job"], line["cost_code"], line["cost_type"])
            for line in switch.lines("workday", TENANT, JOB)}  # fmt: skip
    for key in keys:
        assert switch.delete("workday", TENANT, JOB, key) == 204
    switch.put("workday", TENANT, JOB, sub_job="", cost_code="CC-100", cost_type="L",
               amount="100.00")  # fmt: skip
    switch.add("workday", TENANT, JOB, sub_job="", cost_code="CC-200", cost_type="M",
               amount="40.00")  # fmt: skip
    switch.add("workday", TENANT, JOB, sub_job="", cost_code="CC-200", cost_type="M",
               amount="2.50")  # fmt: skip


def test_a_budget_with_no_phase_on_any_line_is_read_with_no_sub_jobs(sandbox, switch):
    without_phases(switch)

    lines = source(sandbox).fetch_budget(JOB)

    assert sorted((line.key.sub_job, line.key.cost_code, line.key.cost_type, line.amount)
                  for line in lines) == [("", "CC-100", "L", Decimal("100.00")),
                                         ("", "CC-200", "M", Decimal("2.50")),
                                         ("", "CC-200", "M", Decimal("40.00"))]  # fmt: skip
    assert sorted((line.key.sub_job, line.key.cost_code, line.key.cost_type)
                  for line in lines) == sorted(
        (line["sub_job"], line["cost_code"], line["cost_type"])
        for line in switch.lines("workday", TENANT, JOB)
    )  # fmt: skip


def test_a_misnamed_required_column_is_still_refused_when_the_budget_has_no_sub_jobs(
    sandbox, switch
):
    without_phases(switch)

    with pytest.raises(ErpRejected) as refused:
        source(sandbox, amount_column="Budget_Total").fetch_budget(JOB)

    assert "has no column 'Budget_Total' (the connection's amount_column)" in (
        refused.value.message
    )
