"""Rule 3 through the connectors: a budget with two bad lines fails naming both, not the first.

A connector maps what it reads and leaves judging to the re-import rules (docs/domain-rules.md,
"ERP lines"): a cost line whose cost code or cost type is blank in the ERP, or whose period amount
is not a number, reaches the rules, which list every offending line with what is wrong with it.
The uniform switch only stores valid lines, so each test puts two lines through it and then
damages them in the sandbox's native rows, as an ERP user could have entered them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.common.signin import forget_tokens
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.adapters.erp.mri import MriSource
from chalicelib.adapters.erp.netsuite import NetSuiteSource
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.adapters.erp.yardi import YardiSource
from chalicelib.domain.model import CostCatalog, ErpCredentials, ErpLine, LineKind
from chalicelib.domain.ports import ErpSource
from chalicelib.domain.reimport import InvalidErpBudget, plan_reimport
from devstack import demo_data
from devstack.sandbox_erp import Row, SandboxErp
from tests.fixtures.erp import UniformSwitch


def _source(sandbox: SandboxErp, company_id: str) -> ErpSource:
    saved = demo_data.company(company_id).erp_connection()
    url, settings = sandbox.url + saved.path, dict(saved.settings)
    credentials = ErpCredentials(dict(saved.credentials))
    limits = Limits(timeout=10, allow_local_urls=True)

    def no_wait(seconds: float) -> None:
        return None

    makers: dict[str, Callable[[], ErpSource]] = {
        "intacct": lambda: IntacctSource(url, credentials, limits=limits, sleep=no_wait),
        "yardi": lambda: YardiSource(url, settings, credentials, limits=limits, sleep=no_wait),
        "mri": lambda: MriSource(url, settings, credentials, limits=limits, sleep=no_wait),
        "qbo": lambda: QboSource(url, settings, MemoryVault(credentials), limits=limits,
                                 sleep=no_wait),
        "netsuite": lambda: NetSuiteSource(url, settings, credentials, limits=limits,
                                           sleep=no_wait),
    }  # fmt: skip
    forget_tokens()  # a token of an earlier test's sandbox state is not this one's
    return makers[company_id]()


def _plant(
    switch: UniformSwitch, sandbox: SandboxErp, erp: str, damage: Callable[[Row], None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two valid cost lines of different keys through the switch, each then damaged natively."""
    company = demo_data.company(erp)
    job = company.projects[0].project_id
    codes, types = sorted(company.cost_codes), sorted(company.cost_types)
    first = {"sub_job": "", "cost_code": codes[0], "cost_type": types[0], "amount": "101.00",
             "description": "bad line A"}  # fmt: skip
    second = {"sub_job": "", "cost_code": codes[-1], "cost_type": types[-1], "amount": "202.00",
              "description": "bad line B"}  # fmt: skip
    for line in (first, second):
        switch.put(erp, company.tenant, job, **line)
    # Found by key, not description: an ERP with nowhere to keep one (QuickBooks Online) reports
    # the account's name instead. A PUT leaves one cost line of its key.
    planted = {(line["sub_job"], line["cost_code"], line["cost_type"]) for line in (first, second)}
    with sandbox.state.lock:
        for row in sandbox.state.tenant_rows(erp, company.tenant):
            if sandbox.state.systems[erp].job_of(row) != job:
                continue
            seen = sandbox.state.systems[erp].uniform(row)
            if seen.kind == "cost" and seen.key() in planted:
                damage(row)
    return first, second


def _refused(erp: str, lines: list[ErpLine]) -> InvalidErpBudget:
    company = demo_data.company(erp)
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    with pytest.raises(InvalidErpBudget) as refused:
        plan_reimport([], lines, catalog)
    return refused.value


# (erp, native field of the first line blanked, of the second, the fields the rules then name).
# MRI reads a blank category as the connection's default_cost_type, so its second blank is a
# cost code too; Yardi's names are inverted (its CostCategory is our cost code).
BLANKED = [
    ("intacct", "task.id", "costType.id", ("cost_code", "cost_type")),
    ("yardi", "CostCategory", "CostCode", ("cost_code", "cost_type")),
    ("mri", "CostCode", "CostCode", ("cost_code", "cost_code")),
]


@pytest.mark.parametrize(("erp", "field_a", "field_b", "named"), BLANKED,
                         ids=[b[0] for b in BLANKED])  # fmt: skip
def test_two_lines_with_a_blank_key_part_are_both_listed(
    sandbox: SandboxErp,
    switch: UniformSwitch,
    erp: str,
    field_a: str,
    field_b: str,
    named: tuple[str, str],
) -> None:
    def blank(row: Row) -> None:
        description = row.values.get("memo", row.values.get("Description"))
        row.values[field_a if description == "bad line A" else field_b] = ""

    _plant(switch, sandbox, erp, blank)
    job = demo_data.company(erp).projects[0].project_id

    lines = _source(sandbox, erp).fetch_budget(job)  # read whole, not refused at the first
    refused = _refused(erp, lines)

    numbers = {line.description: line.line for line in lines if line.kind is LineKind.COST}
    expected = [(numbers["bad line A"], named[0]), (numbers["bad line B"], named[1])]
    assert sorted((e.line, e.field) for e in refused.errors) == sorted(expected)
    for error in refused.errors:  # what is wrong, in words: which part is blank
        what = error.field.replace("_", " ")
        assert error.message.endswith(f"the line has no {what} (it is blank in the ERP).")
    assert "2 lines failed validation" in refused.message


@pytest.mark.parametrize("erp", ["qbo", "netsuite"])
def test_two_period_budget_lines_with_an_amount_not_a_number_are_both_listed(
    sandbox: SandboxErp, switch: UniformSwitch, erp: str
) -> None:
    def garble(row: Row) -> None:
        row.values["amounts"][3] = "abc"  # April of that account's budget

    first, second = _plant(switch, sandbox, erp, garble)
    job = demo_data.company(erp).projects[0].project_id

    lines = _source(sandbox, erp).fetch_budget(job)
    refused = _refused(erp, lines)

    numbers = {(line.key.cost_code, line.key.cost_type): line.line for line in lines}
    expected = [(numbers[(line["cost_code"], line["cost_type"])], "amount")
                for line in (first, second)]  # fmt: skip
    assert sorted((e.line, e.field) for e in refused.errors) == sorted(expected)
    for error in refused.errors:  # the value that is wrong, quoted
        assert error.message.endswith(": 'abc' is not a number.")
