"""The uniform switch's DELETE removes the native lines of the key it names, and no other key's.

Sage Intacct and Xero keep no cost type on a revenue line, so the switch reads their revenue lines
under the key without one, `(sub_job, cost_code, "")`. A DELETE of a cost key `(…, "100", "L")`
names no such line and must leave the cost code's revenue alone; a DELETE of `(…, "100", "")`
is the one that removes it (the uniform switch: "DELETE .../lines?sub_job=&cost_code=&cost_type=
removes that key's native lines").
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.erp import UniformSwitch

XERO_TENANT = "b1f2c3d4-0000-4000-8000-000000000001"
# (erp, tenant, job, a cost code with revenue lines, a cost type the ERP keeps for it)
JOBS = [
    ("intacct", "intacct-demo", "I-6001", "100", "L"),
    ("xero", XERO_TENANT, "X-9001", "200", "O"),
]


def _of(lines: list[dict[str, Any]], kind: str, key: tuple[str, str, str]) -> list[str]:
    return [line["amount"] for line in lines if line["kind"] == kind
            and (line["sub_job"], line["cost_code"], line["cost_type"]) == key]  # fmt: skip


@pytest.mark.parametrize(("erp", "tenant", "job", "code", "cost_type"), JOBS,
                         ids=[j[0] for j in JOBS])  # fmt: skip
def test_deleting_a_cost_key_leaves_the_revenue_of_its_cost_code(
    switch: UniformSwitch, erp: str, tenant: str, job: str, code: str, cost_type: str
) -> None:
    revenue_key = ("", code, "")
    revenue = _of(switch.lines(erp, tenant, job), "revenue", revenue_key)
    assert revenue, "the demo job has revenue lines on this cost code"
    switch.put(erp, tenant, job, sub_job="", cost_code=code, cost_type=cost_type, amount="12.34")

    assert switch.delete(erp, tenant, job, ("", code, cost_type)) == 204

    after = switch.lines(erp, tenant, job)
    assert _of(after, "cost", ("", code, cost_type)) == []
    assert _of(after, "revenue", revenue_key) == revenue  # untouched, in its place

    assert switch.delete(erp, tenant, job, revenue_key) == 204
    assert _of(switch.lines(erp, tenant, job), "revenue", revenue_key) == []
