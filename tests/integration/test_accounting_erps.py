"""What is particular to the accounting ERPs (QuickBooks Online, Xero): periods, limits, mapping."""

from __future__ import annotations

import base64
import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.adapters.erp.xero import XeroSource, window
from chalicelib.domain.errors import ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpCredentials
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import UniformSwitch


@pytest.fixture(scope="module")
def sandbox():
    with SandboxErp(port=0) as erp:
        yield erp


@pytest.fixture
def switch(sandbox) -> UniformSwitch:
    client = UniformSwitch(sandbox.url)
    client.reset()
    _VAULTS.clear()
    return client


_VAULTS: dict[str, MemoryVault] = {}  # one per ERP per test: the rotated token is used next


def _source(sandbox, erp: str, waits: list[float] | None = None, **settings: str):
    saved = demo_data.company(erp).erp_connection()
    vault = _VAULTS.setdefault(erp, MemoryVault(ErpCredentials(dict(saved.credentials))))
    options = {**saved.settings, **settings}
    sleep = (waits.append) if waits is not None else (lambda _: None)
    if erp == "qbo":
        return QboSource(sandbox.url + saved.path, options, vault, sleep=sleep,
                         limits=Limits(timeout=10, allow_local_urls=True))  # fmt: skip
    return XeroSource(sandbox.url + saved.path, options, vault, sleep=sleep,
                      limits=Limits(timeout=10, allow_local_urls=True))  # fmt: skip


def _call(url: str, method: str = "GET", body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 - the sandbox
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


@pytest.mark.parametrize("erp", ["qbo", "xero"])
def test_a_12_month_period_budget_sums_to_the_cent(sandbox, switch, erp):
    company = demo_data.company(erp)
    job = company.projects[0].project_id
    first = next(x for x in switch.lines(erp, company.tenant, job) if x["kind"] == "cost")
    key = {k: first[k] for k in ("sub_job", "cost_code", "cost_type")}
    # 1,000.07 over 12 months: 83.33 eleven times, 83.44 on the last.
    switch.put(erp, company.tenant, job, **key, amount="1000.07")

    lines = _source(sandbox, erp).fetch_budget(job)

    (line,) = [x for x in lines if (x.key.cost_code, x.key.cost_type)
               == (key["cost_code"], key["cost_type"]) and x.kind.value == "cost"]  # fmt: skip
    assert line.amount == Decimal("1000.07")


def test_qbo_reads_the_budget_named_in_settings_not_last_years(sandbox, switch):
    source = _source(sandbox, "qbo", budget_name="Construction budget (last year)")
    last_year = sum(Decimal(x.amount) for x in source.fetch_budget("Q-8001"))
    this_year = sum(Decimal(x.amount) for x in _source(sandbox, "qbo").fetch_budget("Q-8001"))
    assert last_year != this_year

    with pytest.raises(ErpRejected, match="no budget named 'FY1999'"):
        _source(sandbox, "qbo", budget_name="FY1999").fetch_budget("Q-8001")


def test_qbo_account_and_class_tables_change_the_mapping(sandbox, switch):
    lines = _source(sandbox, "qbo", account_cost_codes="5100=5200",
                    class_cost_types="L=M").fetch_budget("Q-8001")  # fmt: skip
    codes = {x.key.cost_code for x in lines if x.kind.value == "cost"}
    types = {x.key.cost_type for x in lines if x.kind.value == "cost"}
    assert "5100" not in codes and "5200" in codes
    assert "L" not in types and "M" in types


def test_qbo_the_switch_reports_each_line_as_the_connector_reads_it(sandbox, switch):
    """docs/erps/qbo.md: a BudgetDetail holds no description, so the connector takes the
    account's Name (an income account's with " (income)"); the switch's GET reports that, and the
    description sent with a PUT or POST is ignored."""
    tenant, job = demo_data.QBO_REALM, "Q-8001"
    given = [
        ("PUT", "5600", "S", "cost", "777.00", "Brand new scope"),
        ("POST", "5600", "S", "cost", "0.23", "On a sub-account"),  # 5600.1
        ("PUT", "5100", "", "revenue", "5000.00", "Billing"),
        ("PUT", "9999", "L", "cost", "12.00", "Off the chart"),  # an account the demo lacks
        ("POST", "9999", "L", "cost", "0.99", "Off the chart again"),  # 9999.1
    ]
    for method, code, cost_type, kind, amount, description in given:
        send = switch.put if method == "PUT" else switch.add
        send("qbo", tenant, job, sub_job="", cost_code=code, cost_type=cost_type, kind=kind,
             amount=amount, description=description)  # fmt: skip

    read = Counter(((x.key.sub_job, x.key.cost_code, x.key.cost_type or ""), x.kind.value,
                    Decimal(x.amount), x.description)
                   for x in _source(sandbox, "qbo").fetch_budget(job))  # fmt: skip
    reported = switch.lines("qbo", tenant, job)

    assert Counter(((x["sub_job"], x["cost_code"], x["cost_type"]), x["kind"],
                    Decimal(x["amount"]), x["description"]) for x in reported) == read  # fmt: skip
    described = {(x["cost_code"], x["kind"], x["description"]) for x in reported
                 if x["cost_code"] in ("5600", "5100", "9999")}  # fmt: skip
    assert described >= {("5600", "cost", "Site Utilities"), ("9999", "cost", "9999"),
                         ("5100", "revenue", "Job Materials (income)")}  # fmt: skip
    assert not {d for _, _, d in described} & {d for *_, d in given}


def test_xero_day_limit_is_transient_with_when_the_limit_resets_without_retrying(sandbox, switch):
    _call(f"{sandbox.url}/xero/sandbox/limits", "POST", {"day_remaining": 2})
    waits: list[float] = []

    with pytest.raises(ErpUnavailable) as failed:
        _source(sandbox, "xero", waits).fetch_budget("X-9001")

    assert "daily limit" in failed.value.message
    assert "run the re-import again after" in failed.value.message and "UTC" in failed.value.message
    assert failed.value.retry_after_seconds == 36000  # for the queue to wait that long
    assert waits == []  # ten hours are not waited out in the call, nor retried at once
    left = _call(f"{sandbox.url}/xero/sandbox/limits", "POST", {})
    assert left == {"day": 0, "minute": 58}  # exactly the one refused call after the two


def test_xero_reads_24_months_a_call():
    assert window(2025 * 12) == ("2025-01-01", "2026-12-31")
    assert window(2024 * 12 + 1) == ("2024-02-01", "2026-01-31")


def _keyed(lines: list[Any]) -> Counter[Any]:
    return Counter(((x.key.cost_code, x.key.cost_type), x.kind.value, Decimal(x.amount))
                   for x in lines)  # fmt: skip


def _in_xero(switch: UniformSwitch) -> Counter[Any]:
    return Counter(((x["cost_code"], x["cost_type"]), x["kind"], Decimal(x["amount"]))
                   for x in switch.lines("xero", demo_data.XERO_TENANT, "X-9001"))  # fmt: skip


YEAR = datetime.date.today().year


@pytest.mark.parametrize(
    ("start", "months"),
    [
        (f"{YEAR - 3}-01", 72),  # around the old default window (last year to next year)
        (f"{YEAR - 8}-07", 12),  # long past: no period near this year
        (f"{YEAR + 4}-04", 18),  # years ahead
    ],
)
def test_xero_reads_every_period_of_the_budgets_range(sandbox, switch, start, months):
    """docs/erps/xero.md: amount = the sum of Amount over the periods of the budget's whole range."""
    _call(f"{sandbox.url}/xero/sandbox/periods", "POST",
          {"job": "X-9001", "from": start, "months": months})  # fmt: skip
    key = next(x for x in switch.lines("xero", demo_data.XERO_TENANT, "X-9001")
               if x["kind"] == "cost")  # fmt: skip
    switch.put("xero", demo_data.XERO_TENANT, "X-9001", sub_job="", cost_code=key["cost_code"],
               cost_type=key["cost_type"], amount="7200.72")  # fmt: skip

    lines = _source(sandbox, "xero").fetch_budget("X-9001")

    assert _keyed(lines) == _in_xero(switch)
    assert ((key["cost_code"], key["cost_type"]), "cost", Decimal("7200.72")) in _keyed(lines)


def test_xero_reads_this_years_budget_in_three_windows(sandbox, switch):
    _source(sandbox, "xero").fetch_budget("X-9001")

    left = _call(f"{sandbox.url}/xero/sandbox/limits", "POST", {})
    # Accounts, Budgets, then this and next year, the two years before, and the two after.
    assert left == {"day": 4995, "minute": 55}


def _xero_api(sandbox) -> Any:
    """A caller of the Xero sandbox's API, signed in with the demo's first refresh token."""
    basic = base64.b64encode(b"xero-client:xero-secret").decode()
    form = {"grant_type": "refresh_token", "refresh_token": "xero-refresh-1"}
    sign_in = urllib.request.Request(  # noqa: S310 - the sandbox
        f"{sandbox.url}/xero/connect/token", data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )  # fmt: skip
    with urllib.request.urlopen(sign_in, timeout=10) as answer:  # noqa: S310
        token = json.loads(answer.read())["access_token"]
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": demo_data.XERO_TENANT}

    def get(path: str) -> Any:
        call = urllib.request.Request(f"{sandbox.url}/xero/api.xro/2.0/{path}", headers=headers)  # noqa: S310
        with urllib.request.urlopen(call, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())

    return get


def test_xero_the_sandbox_answers_the_periods_asked_for_at_most_24_months(sandbox, switch):
    _call(f"{sandbox.url}/xero/sandbox/periods", "POST",
          {"job": "X-9001", "from": "2020-01", "months": 72})  # fmt: skip
    xero = _xero_api(sandbox)
    (jobs,) = [b for b in xero("Budgets")["Budgets"] if b.get("Description") == "Jobs budget"]

    (budget,) = xero(f"Budgets/{jobs['BudgetID']}?DateFrom=2023-07-01&DateTo=2025-06-30")["Budgets"]

    periods = {p["Period"] for line in budget["BudgetLines"] for p in line["BudgetBalances"]}
    assert periods == {f"{2023 + (6 + n) // 12}-{(6 + n) % 12 + 1:02d}" for n in range(24)}
    assert min(periods) == "2023-07" and max(periods) == "2025-06"
    with pytest.raises(urllib.error.HTTPError) as refused:
        xero(f"Budgets/{jobs['BudgetID']}?DateFrom=2023-01-01&DateTo=2025-01-31")
    assert refused.value.code == 400
    assert "at most 24 months" in refused.value.read().decode()


def test_xero_a_line_of_another_type_than_its_accounts_goes_on_a_sub_account_and_reads_back(
    sandbox, switch
):
    tenant = demo_data.XERO_TENANT
    code = "400"  # not in the demo's table: of the default type O
    switch.put("xero", tenant, "X-9001", sub_job="", cost_code=code, cost_type="L",
               amount="700.00")  # fmt: skip
    switch.add("xero", tenant, "X-9001", sub_job="", cost_code=code, cost_type="L",
               amount="0.07")  # fmt: skip

    lines = _source(sandbox, "xero").fetch_budget("X-9001")

    refs = sorted(x.ref.rsplit("/", 1)[1] for x in lines if x.key.cost_type == "L"
                  and x.key.cost_code == code)  # fmt: skip
    assert len(refs) == 2  # two accounts (400.L and 400.L.1), each read as 400 / L
    assert sum(Decimal(x.amount) for x in lines if (x.key.cost_code, x.key.cost_type)
               == (code, "L")) == Decimal("700.07")  # fmt: skip
    assert any(x.key.cost_code == code and x.key.cost_type == "O" for x in lines)


def test_xero_a_key_the_demo_connections_table_cannot_map_is_refused_with_a_sentence(
    sandbox, switch
):
    url = f"{sandbox.url}/sandbox/budgets/xero/{demo_data.XERO_TENANT}/X-9001/lines"
    for key in ({"cost_code": "400", "cost_type": "ZZ"}, {"cost_code": "999", "cost_type": "L"}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            _call(url, "PUT", {"sub_job": "", **key, "amount": "1.00"})
        assert refused.value.code == 400
        assert "account_cost_types maps no account" in refused.value.read().decode()
    # A code outside the chart of the default type is kept on an account of its own.
    assert _call(url, "PUT", {"sub_job": "", "cost_code": "999", "cost_type": "O",
                              "amount": "1.00"})  # fmt: skip
