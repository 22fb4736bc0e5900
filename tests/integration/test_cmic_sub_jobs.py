"""CMiC's jobs and sub-jobs, beyond the connector contract.

The ERP job a company links is a controlling job; its budget is its own job categories and its
sub-jobs', and each line's sub job is the CMiC sub-job it sits on (job → sub job, phase → cost
code, category → cost type): a line on the controlling job itself has none (""), so a job without
sub-jobs has no sub jobs. Only controlling jobs are listed to link. Against the sandbox.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from decimal import Decimal
from typing import Any

from chalicelib.adapters.erp.cmic import CmicSource
from chalicelib.adapters.erp.common.http import Limits
from chalicelib.domain.model import ErpCredentials, LineKind
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import SandboxClient, UniformSwitch

COMPANY, JOB = "BB", "C-7001"
SUB_JOBS = ["C-7001-01", "C-7001-02"]


def source(sandbox: SandboxErp, page_size: int = 1000) -> CmicSource:
    saved = demo_data.company("cmic").erp_connection()
    return CmicSource(sandbox.url + saved.path, COMPANY, ErpCredentials(dict(saved.credentials)),
                      page_size=page_size, limits=Limits(timeout=10, allow_local_urls=True),
                      sleep=lambda seconds: None)  # fmt: skip


def sums(lines: list[Any]) -> dict[tuple[str, str, str], Decimal]:
    totals: dict[tuple[str, str, str], Decimal] = {}
    for line in lines:
        if line.kind is LineKind.COST:
            key = (line.key.sub_job, line.key.cost_code, line.key.cost_type)
            totals[key] = totals.get(key, Decimal(0)) + Decimal(line.amount)
    return {key: total for key, total in totals.items() if total}


def test_the_budget_of_a_controlling_job_is_its_sub_jobs_lines_each_on_its_sub_job(sandbox, switch):
    lines = source(sandbox, page_size=4).fetch_budget(JOB)

    (project,) = demo_data.company("cmic").projects
    assert sums(lines) == {key: s.amount for key, s in project.cost_sums().items()}
    assert {line.key.sub_job for line in lines} == set(SUB_JOBS)


def test_a_line_on_the_controlling_job_itself_has_no_sub_job(sandbox, switch):
    switch.put("cmic", COMPANY, JOB, sub_job="", cost_code="02-050", cost_type="M",
               amount="5000.00")  # fmt: skip

    lines = source(sandbox).fetch_budget(JOB)

    assert [(line.key.sub_job, line.amount) for line in lines
            if (line.key.cost_code, line.key.cost_type) == ("02-050", "M")
            and line.key.sub_job not in SUB_JOBS] == [("", Decimal("5000.00"))]  # fmt: skip
    assert _controlling_job_lines(sandbox) == [("02-050", "M", Decimal("5000.00"))]
    assert keys(lines) == keys_in_the_switch(switch)


def test_a_job_without_sub_jobs_has_no_sub_jobs(sandbox, switch):
    for key in keys_in_the_switch(switch):
        assert switch.delete("cmic", COMPANY, JOB, key) == 204
    # The switch takes the job's own code, as "", for the controlling job.
    switch.put("cmic", COMPANY, JOB, sub_job="", cost_code="01-010", cost_type="L",
               amount="100.00")  # fmt: skip
    switch.put("cmic", COMPANY, JOB, sub_job=JOB, cost_code="03-100", cost_type="M",
               amount="250.00")  # fmt: skip
    switch.add("cmic", COMPANY, JOB, sub_job=JOB, cost_code="03-100", cost_type="M",
               amount="0.50")  # fmt: skip

    lines = source(sandbox).fetch_budget(JOB)

    assert sums(lines) == {("", "01-010", "L"): Decimal("100.00"),
                           ("", "03-100", "M"): Decimal("250.50")}  # fmt: skip
    assert keys(lines) == keys_in_the_switch(switch)
    assert [job["JobCode"] for job in _get(sandbox, "jcjob?q=JobCompCode='BB'")["items"]] == [JOB]


def test_a_new_sub_job_is_read_with_its_lines(sandbox, switch):
    switch.put("cmic", COMPANY, JOB, sub_job="C-7001-03", cost_code="04-100", cost_type="L",
               amount="12.34")  # fmt: skip

    lines = source(sandbox).fetch_budget(JOB)

    assert [(line.key.cost_code, line.key.cost_type, line.amount) for line in lines
            if line.key.sub_job == "C-7001-03"] == [("04-100", "L", Decimal("12.34"))]  # fmt: skip


def test_only_controlling_jobs_are_listed_and_cmic_says_which_job_controls_a_sub_job(
    sandbox, switch
):
    listed = source(sandbox).list_projects(offset=0, limit=100)
    jobs = _get(sandbox, "jcjob?q=JobCompCode='BB'")["items"]

    assert [(p.erp_job_id, p.name) for p in listed.projects] == [(JOB, "Northgate Transit Hub")]
    assert not listed.has_more
    assert [(job["JobCode"], job["JobCtrlCode"]) for job in jobs] == [
        (JOB, "ALL"), *((code, JOB) for code in SUB_JOBS)]  # fmt: skip


def test_a_sub_job_of_one_job_cannot_be_given_to_another(switch):
    status, body = SandboxClient(switch.url).request(
        "PUT", f"/sandbox/budgets/cmic/{COMPANY}/C-7001-01/lines",
        {"sub_job": "C-7001-02", "cost_code": "04-100", "cost_type": "L", "amount": "1.00"},
    )  # fmt: skip

    assert status == 400 and "sub-job of 'C-7001'" in body["message"]


def keys(lines: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((line.key.sub_job, line.key.cost_code, line.key.cost_type) for line in lines)


def keys_in_the_switch(switch: UniformSwitch) -> list[tuple[str, str, str]]:
    """The job's keys as the switch reports them: as the connector should map them."""
    return sorted((line["sub_job"], line["cost_code"], line["cost_type"])
                  for line in switch.lines("cmic", COMPANY, JOB))  # fmt: skip


def _controlling_job_lines(sandbox: SandboxErp) -> list[tuple[str, str, Decimal]]:
    """The job categories CMiC keeps on the controlling job itself (not on a sub-job)."""
    rows = _get(sandbox, f"jcjobcategory?q=JcatCompCode='BB';JcatJobCode='{JOB}'")["items"]
    return [(row["JcatPhsCode"], row["JcatCode"], Decimal(str(row["JcatBudgetAmt"])))
            for row in rows]  # fmt: skip


def _get(sandbox: SandboxErp, path: str) -> Any:
    credentials = base64.b64encode(b"cmicapi:sandbox").decode()
    call = urllib.request.Request(  # noqa: S310 - the sandbox's own http address
        f"{sandbox.url}/cmic/jc-rest-api/rest/1/{path.replace(' ', '%20')}",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(call, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read())
