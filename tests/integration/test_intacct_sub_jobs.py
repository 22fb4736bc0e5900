"""Sage Intacct's sub jobs, beyond the connector contract: the setting `sub_job_from`.

`none` (the default) reads the job's own estimate without sub jobs, as before; `child_project`
reads the primary estimates of the job's child projects too, each line's sub job its child project;
`task` takes a line's sub job from its task's parent task. Against the sandbox, which keeps the
sub jobs of lines given through the uniform switch the way it is told (devstack/sandbox/intacct.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpCredentials
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import SandboxClient, UniformSwitch

TENANT, JOB = "intacct-demo", "I-6001"


def source(sandbox: SandboxErp, **settings: str) -> IntacctSource:
    saved = demo_data.company("intacct").erp_connection()
    return IntacctSource(sandbox.url + saved.path, ErpCredentials(dict(saved.credentials)),
                         settings={**saved.settings, **settings}, page_size=7,
                         limits=Limits(timeout=10, allow_local_urls=True),
                         sleep=lambda seconds: None)  # fmt: skip


def mapped(lines: list[Any]) -> Counter[tuple[Any, ...]]:
    return Counter(((line.key.sub_job, line.key.cost_code, line.key.cost_type), line.kind.value,
                    Decimal(line.amount)) for line in lines)  # fmt: skip


def in_erp(switch: UniformSwitch) -> Counter[tuple[Any, ...]]:
    return Counter(((line["sub_job"], line["cost_code"], line["cost_type"]), line["kind"],
                    Decimal(line["amount"])) for line in switch.lines("intacct", TENANT, JOB))  # fmt: skip


def test_child_projects_are_read_as_the_sub_jobs_of_their_parent(sandbox, switch):
    switch.intacct_sub_job_from("child_project")
    switch.put("intacct", TENANT, JOB, sub_job="I-6001-A", cost_code="100", cost_type="L",
               amount="1000.00")  # fmt: skip
    switch.add("intacct", TENANT, JOB, sub_job="I-6001-A", cost_code="100", cost_type="L",
               amount="250.50")  # fmt: skip
    switch.put("intacct", TENANT, JOB, sub_job="I-6001-B", cost_code="200", cost_type="M",
               amount="75.00")  # fmt: skip

    lines = source(sandbox, sub_job_from="child_project").fetch_budget(JOB)

    assert mapped(lines) == in_erp(switch)
    assert {line.key.sub_job for line in lines} == {"", "I-6001-A", "I-6001-B"}
    assert sorted(line.amount for line in lines if line.key.sub_job == "I-6001-A") == [
        Decimal("250.50"), Decimal("1000.00")]  # fmt: skip


def without_task(switch: UniformSwitch, code: str) -> None:
    """The job's lines of one task gone, so the task may be put under a parent task."""
    for line in switch.lines("intacct", TENANT, JOB):
        if line["cost_code"] == code:
            key = (line["sub_job"], line["cost_code"], line["cost_type"])
            assert switch.delete("intacct", TENANT, JOB, key) == 204


def test_a_parent_task_is_the_sub_job_of_the_tasks_under_it(sandbox, switch):
    switch.intacct_sub_job_from("task")
    without_task(switch, "100")
    without_task(switch, "200")
    switch.put("intacct", TENANT, JOB, sub_job="BLDG-A", cost_code="100", cost_type="L",
               amount="1000.00")  # fmt: skip
    switch.put("intacct", TENANT, JOB, sub_job="BLDG-B", cost_code="200", cost_type="M",
               amount="75.00")  # fmt: skip

    task_source = source(sandbox, sub_job_from="task")
    lines = task_source.fetch_budget(JOB)

    assert mapped(lines) == in_erp(switch)
    assert {(line.key.sub_job, line.key.cost_code) for line in lines
            if line.key.sub_job} >= {("BLDG-A", "100"), ("BLDG-B", "200")}  # fmt: skip
    # A parent task is a sub job, not a cost code.
    codes = {entry.code for entry in task_source.cost_catalog().cost_codes}
    assert codes == set(demo_data.company("intacct").cost_codes)


def test_without_the_setting_the_job_is_read_without_sub_jobs_as_before(sandbox, switch):
    own = Counter(in_erp(switch))
    switch.intacct_sub_job_from("child_project")
    switch.put("intacct", TENANT, JOB, sub_job="I-6001-A", cost_code="100", cost_type="L",
               amount="1000.00")  # fmt: skip

    for settings in ({}, {"sub_job_from": ""}, {"sub_job_from": "none"}):
        lines = source(sandbox, **settings).fetch_budget(JOB)
        assert mapped(lines) == own  # the child project's estimate is not the job's
        assert {line.key.sub_job for line in lines} == {""}


def test_the_job_and_its_child_projects_are_listed(sandbox, switch):
    switch.intacct_sub_job_from("child_project")
    switch.put("intacct", TENANT, JOB, sub_job="I-6001-A", cost_code="100", cost_type="L",
               amount="1.00")  # fmt: skip
    status, answer = _query(sandbox, {"object": "projects/project",
                                      "fields": ["id", "parent.id"]})  # fmt: skip

    assert status == 200
    assert answer["ia::result"] == [{"id": JOB, "parent.id": None},
                                    {"id": "I-6001-A", "parent.id": JOB}]  # fmt: skip


def test_with_child_projects_as_sub_jobs_only_parents_are_jobs_to_link(sandbox, switch):
    switch.intacct_sub_job_from("child_project")
    switch.put("intacct", TENANT, JOB, sub_job="I-6001-A", cost_code="100", cost_type="L",
               amount="1.00")  # fmt: skip

    def listed(**settings: str) -> list[str]:
        page = source(sandbox, **settings).list_projects(0, 100)
        return [project.erp_job_id for project in page.projects]

    assert "I-6001-A" not in listed(sub_job_from="child_project")
    assert JOB in listed(sub_job_from="child_project")
    # Without the setting a child project is a project like any other.
    assert {JOB, "I-6001-A"} <= set(listed())
    assert {JOB, "I-6001-A"} <= set(listed(sub_job_from="task"))


def test_a_task_has_one_parent_in_its_project(switch):
    switch.intacct_sub_job_from("task")
    without_task(switch, "100")
    switch.put("intacct", TENANT, JOB, sub_job="BLDG-A", cost_code="100", cost_type="L",
               amount="1.00")  # fmt: skip
    client = SandboxClient(switch.url)

    status, body = client.request("PUT", f"/sandbox/budgets/intacct/{TENANT}/{JOB}/lines", {
        "sub_job": "BLDG-B", "cost_code": "100", "cost_type": "M", "amount": "2.00"})  # fmt: skip

    assert status == 400 and "unique in its project" in body["message"]


def test_the_sandbox_without_sub_jobs_refuses_a_line_with_one(switch):
    status, body = SandboxClient(switch.url).request(
        "PUT",
        f"/sandbox/budgets/intacct/{TENANT}/{JOB}/lines",
        {"sub_job": "X", "cost_code": "100", "cost_type": "L", "amount": "1.00"},
    )

    assert status == 400 and "sub-job-from" in body["message"]


@pytest.mark.parametrize("layout", ["phase", "Task", "child project"])
def test_an_unknown_sub_job_from_fails_naming_the_setting_and_its_values(sandbox, switch, layout):
    with pytest.raises(ErpRejected) as refused:
        source(sandbox, sub_job_from=layout).fetch_budget(JOB)

    message = refused.value.message
    assert "sub_job_from" in message and "none, child_project, task" in message


def _query(sandbox: SandboxErp, body: dict[str, Any]) -> tuple[int, Any]:
    """One call of the query service, signed in as the demo's client."""
    status, token = SandboxClient(sandbox.url).request("POST", "/intacct/ia/api/v1/oauth2/token", {
        "grant_type": "client_credentials", "client_id": "intacct-client",
        "client_secret": "intacct-secret"})  # fmt: skip
    assert status == 200, token
    call = urllib.request.Request(  # noqa: S310 - the sandbox's own http address
        sandbox.url + "/intacct/ia/api/v1/services/core/query", data=json.dumps(body).encode(),
        method="POST", headers={"Content-Type": "application/json",
                                "Authorization": f"Bearer {token['access_token']}"},
    )  # fmt: skip
    with urllib.request.urlopen(call, timeout=30) as answer:  # noqa: S310
        return answer.status, json.loads(answer.read())
