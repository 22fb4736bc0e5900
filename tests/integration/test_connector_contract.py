"""The connector contract: every ERP connector, against its sandbox, keeps the same promises.

One `Connector` row per ERP; a new connector passes the suite by adding its row. What the
connector must read is what the sandbox's uniform switch says the job's budget is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.erp.acumatica import AcumaticaSource, MyobSource
from chalicelib.adapters.erp.cmic import CmicSource
from chalicelib.adapters.erp.common.http import MAX_ATTEMPTS, Limits
from chalicelib.adapters.erp.common.rotation import MemoryVault
from chalicelib.adapters.erp.common.signin import forget_tokens
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.adapters.erp.mri import MriSource
from chalicelib.adapters.erp.netsuite import NetSuiteSource
from chalicelib.adapters.erp.qbo import QboSource
from chalicelib.adapters.erp.workday import WorkdaySource
from chalicelib.adapters.erp.xero import XeroSource
from chalicelib.adapters.erp.yardi import YardiSource
from chalicelib.adapters.secrets import SecretsManagerSecretStore
from chalicelib.domain.errors import (
    ErpAuthFailed,
    ErpJobNotFound,
    ErpRejected,
    ErpUnavailable,
    UnsafeErpAddress,
)
from chalicelib.domain.model import CostCatalog, ErpConnection, ErpCredentials, LineKind
from chalicelib.domain.ports import ErpSource
from chalicelib.domain.reimport import InvalidErpBudget, plan_reimport
from chalicelib.wiring import erp_sources
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import UniformSwitch

Make = Callable[[str, ErpCredentials, int, int, Callable[[float], None]], ErpSource]


@dataclass(frozen=True)
class Connector:
    erp: str
    company_id: str
    make: Make  # (base url, credentials, page size, max answer bytes, sleep) -> the connector
    bad_credentials: dict[str, str]
    budget_path: str  # part of the budget calls' path, to aim a fault at them
    sign_ins_per_read: int = 1  # 0 where every call carries its credentials (HTTP Basic)
    sign_in_path: str | None = None  # the sign-in call's path, where there is one
    # False where one budget read is a few calls not paged by line (QuickBooks Online's budget
    # is one entity holding every line): progress is reported once, at the end.
    paged_by_line: bool = True
    paged: bool = True  # False where the ERP answers a budget whole (Workday's reports)

    @property
    def company(self) -> demo_data.DemoCompany:
        return demo_data.company(self.company_id)

    @property
    def job(self) -> str:
        return self.company.projects[0].project_id


def _limits(max_bytes: int) -> Limits:
    """As on the local stack: the sandbox ERPs answer on http://127.0.0.1:<port>."""
    return Limits(timeout=10, max_response_bytes=max_bytes, allow_local_urls=True)


_VAULTS: dict[tuple[tuple[str, str], ...], MemoryVault] = {}


def _vault(credentials: ErpCredentials) -> MemoryVault:
    """One token vault per credentials per test: a rotated refresh token is the one used next."""
    key = tuple(sorted(credentials.values.items()))
    return _VAULTS.setdefault(key, MemoryVault(credentials))


def _other_key() -> str:
    """A private key NetSuite does not know (not the certificate's)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()  # fmt: skip


def _settings(company_id: str) -> dict[str, str]:
    return dict(demo_data.company(company_id).erp_connection().settings)


CONNECTORS = [
    Connector(
        "acumatica", "demo",
        lambda url, creds, size, max_bytes, sleep: AcumaticaSource(
            url, "Demo", creds, page_size=size, max_response_bytes=max_bytes, sleep=sleep,
            allow_local_urls=True),
        {"username": "admin", "password": "not-the-password"}, "ProjectBudget",
        sign_in_path="/entity/auth/login",
    ),
    Connector(
        "myob", "myob",
        lambda url, creds, size, max_bytes, sleep: MyobSource(
            url + "/myob", "MYOB Demo", creds, page_size=size, max_response_bytes=max_bytes,
            sleep=sleep, allow_local_urls=True),
        {"client_id": "myob-client", "client_secret": "not-the-secret", "username": "admin",
         "password": "sandbox"}, "ProjectBudget", sign_in_path="/identity/connect/token",
    ),
    Connector(
        "intacct", "intacct",
        lambda url, creds, size, max_bytes, sleep: IntacctSource(
            url + "/intacct", creds, page_size=size, limits=_limits(max_bytes), sleep=sleep),
        {"client_id": "intacct-client", "client_secret": "not-the-secret"}, "services/core/query",
        sign_in_path="/oauth2/token",
    ),
    Connector(
        "cmic", "cmic",
        lambda url, creds, size, max_bytes, sleep: CmicSource(
            url + "/cmic", "BB", creds, page_size=size, limits=_limits(max_bytes), sleep=sleep),
        {"username": "cmicapi", "password": "not-the-password"}, "jcjobcategory",
        sign_ins_per_read=0,
    ),
    Connector(
        "qbo", "qbo",
        lambda url, creds, size, max_bytes, sleep: QboSource(
            url + "/qbo", _settings("qbo"), _vault(creds), page_size=size,
            limits=_limits(max_bytes), sleep=sleep),
        {"client_id": "qbo-client", "client_secret": "not-the-secret",
         "refresh_token": "qbo-refresh-1"}, "/query", sign_in_path="/oauth2/v1/tokens/bearer",
        paged_by_line=False,
    ),
    Connector(
        "xero", "xero",
        lambda url, creds, size, max_bytes, sleep: XeroSource(
            url + "/xero", _settings("xero"), _vault(creds), limits=_limits(max_bytes),
            sleep=sleep),
        {"client_id": "xero-client", "client_secret": "not-the-secret",
         "refresh_token": "xero-refresh-1"}, "/Budgets", sign_in_path="/connect/token",
        paged_by_line=False,
    ),
    Connector(
        "netsuite", "netsuite",
        lambda url, creds, size, max_bytes, sleep: NetSuiteSource(
            url + "/netsuite", _settings("netsuite"), creds, page_size=size,
            limits=_limits(max_bytes), sleep=sleep),
        {"client_id": "netsuite-client", "private_key": _other_key()}, "suiteql",
        sign_in_path="/oauth2/v1/token", paged_by_line=False,
    ),
    Connector(
        "workday", "workday",
        lambda url, creds, size, max_bytes, sleep: WorkdaySource(
            url + "/workday", dict(demo_data.company("workday").erp_connection().settings), creds,
            limits=_limits(max_bytes), sleep=sleep),
        {"username": "ISU_BudgetBridge", "password": "not-the-password"}, "customreport2",
        sign_ins_per_read=0, paged=False,
    ),
    Connector(
        "yardi", "yardi",
        lambda url, creds, size, max_bytes, sleep: YardiSource(
            url + "/yardi", dict(demo_data.company("yardi").erp_connection().settings), creds,
            page_size=size, limits=_limits(max_bytes), sleep=sleep),
        {"username": "bbapi", "password": "not-the-password"}, "ItfJobCost.asmx",
        sign_ins_per_read=0,
    ),
    Connector(
        "mri", "mri",
        lambda url, creds, size, max_bytes, sleep: MriSource(
            url + "/mri", dict(demo_data.company("mri").erp_connection().settings), creds,
            page_size=size, limits=_limits(max_bytes), sleep=sleep),
        {"username": "bbapi", "password": "not-the-password"}, "api.asp",
        sign_ins_per_read=0,
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox():
    with SandboxErp(port=0) as erp:
        yield erp


@pytest.fixture
def switch(sandbox) -> UniformSwitch:
    client = UniformSwitch(sandbox.url)
    client.reset()
    forget_tokens()
    _VAULTS.clear()
    return client


@pytest.fixture(params=CONNECTORS, ids=[c.erp for c in CONNECTORS])
def row(request) -> Connector:
    return request.param


class Waits(list[float]):
    """The sleeps a connector asked for (the suite never really waits)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connector(
    sandbox, row: Connector, *, page_size: int = 1000, max_bytes: int = 64 * 1024 * 1024,
    credentials: dict[str, str] | None = None, waits: Waits | None = None,
) -> ErpSource:  # fmt: skip
    values = credentials or row.company.erp_connection().credentials
    return row.make(sandbox.url, ErpCredentials(dict(values)), page_size, max_bytes,
                    waits if waits is not None else Waits())  # fmt: skip


def mapped(lines: list[Any]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (
            (line.key.sub_job, line.key.cost_code, line.key.cost_type),
            line.kind.value,
            Decimal(line.amount),
        )
        for line in lines
    )


def in_erp(switch: UniformSwitch, row: Connector, job: str | None = None) -> Counter[Any]:
    return Counter(
        (
            (line["sub_job"], line["cost_code"], line["cost_type"]),
            line["kind"],
            Decimal(line["amount"]),
        )
        for line in switch.lines(row.erp, row.company.tenant, job or row.job)
    )


def test_the_budget_is_read_as_the_erp_holds_it_across_page_boundaries(sandbox, switch, row):
    if not row.paged:
        pytest.skip(f"{row.erp} answers a budget whole, without pages")
    pages: list[int] = []

    lines = connector(sandbox, row, page_size=5).fetch_budget(row.job, on_page=pages.append)

    assert mapped(lines) == in_erp(switch, row)
    assert [line.line for line in lines] == list(range(1, len(lines) + 1))
    assert len({line.ref for line in lines}) == len(lines)
    assert pages[-1] == len(lines)
    if row.paged_by_line:
        assert len(pages) >= len(lines) // 5


def test_a_budget_filling_its_last_page_exactly_is_read_to_the_end(sandbox, switch, row):
    switch.generate(row.erp, row.company.tenant, row.job, lines=12, seed=3)

    lines = connector(sandbox, row, page_size=4).fetch_budget(row.job)

    assert len(lines) == 12
    assert mapped(lines) == in_erp(switch, row)


def every_project(source: ErpSource, limit: int = 10) -> list[str]:
    """Every ERP project, page after page as the service lists them (by has_more)."""
    ids: list[str] = []
    while True:
        page = source.list_projects(offset=len(ids), limit=limit)
        ids += [project.erp_job_id for project in page.projects]
        if not page.has_more or not page.projects:
            return ids


def test_a_server_answering_fewer_rows_a_page_than_asked_is_read_to_the_end(sandbox, switch, row):
    # A server whose page limit is below the connector's: a short page is the last one only when
    # the ERP says so (Acumatica says nothing: only an empty page ends the read).
    switch.generate(row.erp, row.company.tenant, row.job, lines=12, seed=3)
    switch.fault(max_page=2, prefix=row.erp)
    source = connector(sandbox, row, page_size=10)

    lines = source.fetch_budget(row.job)
    catalog = source.cost_catalog()
    projects = every_project(source)

    assert len(lines) == 12 and mapped(lines) == in_erp(switch, row)
    assert {e.code: e.description for e in catalog.cost_codes} == row.company.cost_codes
    assert {e.code for e in catalog.cost_types} == set(row.company.cost_types)
    assert projects == [p.project_id for p in row.company.projects]


def test_a_refused_sign_in_is_permanent_and_says_so_without_the_secret(sandbox, switch, row):
    # erp_auth_failed, not erp_rejected: the connection test names the credentials
    # (docs/adoption.md, "The ERP connection").
    with pytest.raises(ErpAuthFailed) as refused:
        connector(sandbox, row, credentials=row.bad_credentials).fetch_budget(row.job)

    assert "sign-in" in refused.value.message and "check" in refused.value.message
    for secret in row.bad_credentials.values():
        if secret.startswith("not-the"):
            assert secret not in str(refused.value)


def test_a_refused_sign_in_quotes_no_user_name_or_client_id(sandbox, switch, row):
    # The sentence becomes the job's message and the connection's last error (docs/security.md).
    with pytest.raises(ErpRejected) as refused:
        connector(sandbox, row, credentials=row.bad_credentials).fetch_budget(row.job)

    for field in ("username", "client_id"):
        if field in row.bad_credentials:
            assert row.bad_credentials[field] not in str(refused.value), field


def test_a_token_signed_in_by_one_company_is_not_reused_with_another_secret(sandbox, switch, row):
    # Tokens are cached per process, which serves every company: another company naming the same
    # address and client id (or user) with a wrong secret must sign in itself and be refused.
    connector(sandbox, row).fetch_budget(row.job)

    with pytest.raises(ErpRejected):
        connector(sandbox, row, credentials=row.bad_credentials).fetch_budget(row.job)


def test_an_expired_token_mid_read_is_renewed_once_and_the_read_succeeds(sandbox, switch, row):
    if not row.paged:
        pytest.skip(f"{row.erp} answers a budget whole: there is no 'mid-read'")
    expired: list[int] = []
    if not row.paged_by_line:  # no page boundary inside one read: expire between two reads
        source = connector(sandbox, row)
        source.cost_catalog()
        switch.expire_tokens(row.erp)
        assert mapped(source.fetch_budget(row.job)) == in_erp(switch, row)
        assert switch.sign_ins(row.erp) == row.sign_ins_per_read * 2
        return

    def expire_after_the_first_page(done: int) -> None:
        if not expired:
            expired.append(done)
            switch.expire_tokens(row.erp)

    lines = connector(sandbox, row, page_size=5).fetch_budget(
        row.job, on_page=expire_after_the_first_page
    )

    assert expired == [5]
    assert mapped(lines) == in_erp(switch, row)
    assert switch.sign_ins(row.erp) == row.sign_ins_per_read * 2  # once, and once more only


def test_a_429_is_waited_out_as_retry_after_says(sandbox, switch, row):
    waits = Waits()
    switch.fault(fail_next=1, status=429, retry_after="7", prefix=row.erp, match=row.budget_path)

    lines = connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert waits == [7.0]
    assert mapped(lines) == in_erp(switch, row)


def test_a_503_is_retried_with_backoff_and_then_succeeds(sandbox, switch, row):
    waits = Waits()
    switch.fault(fail_next=MAX_ATTEMPTS - 1, status=503, prefix=row.erp, match=row.budget_path)

    lines = connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert len(waits) == MAX_ATTEMPTS - 1 and waits == sorted(waits)
    assert mapped(lines) == in_erp(switch, row)


def test_an_erp_still_failing_after_the_retries_is_a_transient_error(sandbox, switch, row):
    switch.fault(fail_next=MAX_ATTEMPTS, status=503, prefix=row.erp, match=row.budget_path)

    with pytest.raises(ErpUnavailable, match="try again"):
        connector(sandbox, row).fetch_budget(row.job)


def test_a_fault_for_another_erp_leaves_this_one_alone(sandbox, switch, row):
    other = next(c for c in CONNECTORS if c.erp != row.erp)
    switch.fault(fail_next=MAX_ATTEMPTS, status=503, prefix=other.erp)

    assert mapped(connector(sandbox, row).fetch_budget(row.job)) == in_erp(switch, row)


@pytest.mark.parametrize("body", ["<html>Maintenance</html>", '{"unexpected": true}', "[1, 2]"])
def test_a_malformed_answer_is_a_permanent_error_with_a_sentence(sandbox, switch, row, body):
    switch.fault(fail_next=1, status=200, body=body, prefix=row.erp, match=row.budget_path)

    with pytest.raises(ErpRejected) as refused:
        connector(sandbox, row).fetch_budget(row.job)

    assert refused.value.message.endswith(".")


def test_an_oversized_answer_is_refused_without_being_read_whole(sandbox, switch, row):
    switch.generate(row.erp, row.company.tenant, row.job, lines=200, seed=5)

    with pytest.raises(ErpRejected, match="larger than"):
        connector(sandbox, row, max_bytes=4096).fetch_budget(row.job)


def test_a_key_split_over_two_native_lines_arrives_summed(sandbox, switch, row):
    first = next(line for line in switch.lines(row.erp, row.company.tenant, row.job)
                 if line["kind"] == "cost")  # fmt: skip
    key = {name: first[name] for name in ("sub_job", "cost_code", "cost_type")}
    switch.put(row.erp, row.company.tenant, row.job, **key, amount="1000.00", description="A")
    switch.add(row.erp, row.company.tenant, row.job, **key, amount="250.50", description="B")

    lines = connector(sandbox, row).fetch_budget(row.job)
    plan = plan_reimport([], lines, _catalog(row.company))

    (summed,) = [i for i in plan.lines if (i.key.sub_job, i.key.cost_code, i.key.cost_type)
                 == tuple(key.values())]  # fmt: skip
    assert summed.original_budget_amount == Decimal("1250.50")


def test_a_line_of_any_cost_type_set_through_the_switch_is_read_with_that_key(sandbox, switch, row):
    """docs/erps/README.md, "Test switches": the test switch is the same for every ERP; a PUT stores that line, whatever its
    key (Xero keeps it on an account the connection's table maps to the key)."""
    first = next(line for line in switch.lines(row.erp, row.company.tenant, row.job)
                 if line["kind"] == "cost")  # fmt: skip
    code = sorted(row.company.cost_codes)[-1]
    keys = [(first["sub_job"], code, cost_type) for cost_type in sorted(row.company.cost_types)]
    for n, key in enumerate(keys, start=1):
        line = dict(zip(("sub_job", "cost_code", "cost_type"), key, strict=True))
        switch.put(row.erp, row.company.tenant, row.job, **line, amount=f"{n}000.25")
    last = dict(zip(("sub_job", "cost_code", "cost_type"), keys[-1], strict=True))
    switch.add(row.erp, row.company.tenant, row.job, **last, amount="0.50")

    lines = connector(sandbox, row).fetch_budget(row.job)

    assert mapped(lines) == in_erp(switch, row)
    sums = plan_reimport([], lines, _catalog(row.company)).lines
    amounts = {(i.key.sub_job, i.key.cost_code, i.key.cost_type): i.original_budget_amount
               for i in sums}  # fmt: skip
    expected = [Decimal(f"{n}000.25") for n in range(1, len(keys) + 1)]
    expected[-1] += Decimal("0.50")
    assert [amounts[key] for key in keys] == expected


def test_an_amount_of_3_decimals_set_in_the_erp_fails_the_reimport_naming_its_line(
    sandbox, switch, row
):
    """docs/domain-rules.md, rule 3: the switch stores the amount digit for digit in the ERP's form, the
    connector reads it exactly, and the rules refuse the budget naming that line."""
    first = next(line for line in switch.lines(row.erp, row.company.tenant, row.job)
                 if line["kind"] == "cost")  # fmt: skip
    key = {name: first[name] for name in ("sub_job", "cost_code", "cost_type")}
    switch.put(row.erp, row.company.tenant, row.job, **key, amount="1.005", description="Odd")

    lines = connector(sandbox, row).fetch_budget(row.job)

    (planted,) = [line for line in lines if line.kind is LineKind.COST and
                  (line.key.sub_job, line.key.cost_code, line.key.cost_type) == tuple(key.values())]  # fmt: skip
    assert Decimal(planted.amount) == Decimal("1.005")
    with pytest.raises(InvalidErpBudget) as refused:
        plan_reimport([], lines, _catalog(row.company))
    assert [(e.line, e.field) for e in refused.value.errors] == [(planted.line, "amount")]
    assert "1.005 has more than 2 decimal places" in refused.value.errors[0].message


def test_revenue_lines_are_read_as_revenue_and_left_out_of_the_budget(sandbox, switch, row):
    tenant = row.company.tenant
    cost_code = sorted(row.company.cost_codes)[0]
    switch.put(row.erp, tenant, row.job, sub_job="", cost_code=cost_code, cost_type="",
               amount="999999.00", kind="revenue", description="Billing")  # fmt: skip

    lines = connector(sandbox, row).fetch_budget(row.job)
    plan = plan_reimport([], lines, _catalog(row.company))

    revenue = [line for line in lines if line.kind is LineKind.REVENUE]
    assert Decimal("999999.00") in {Decimal(line.amount) for line in revenue}
    assert len(revenue) >= 2
    assert all(item.original_budget_amount != Decimal("999999.00") for item in plan.lines)


# The second is a real job's id with a quote: a lookup that did not quote it would find that job.
@pytest.mark.parametrize("unknown", ["NOPE-1", "{job}' or 'x' = 'x"])
def test_a_job_the_erp_does_not_have_is_a_permanent_error_naming_it(sandbox, switch, row, unknown):
    job = unknown.format(job=row.job)
    # Read as an empty budget, it would set every line of the project to 0 and succeed.
    with pytest.raises(ErpRejected) as refused:
        connector(sandbox, row).fetch_budget(job)

    # Not a sign-in failure: the job itself (where the ERP tells, that it has no such job).
    assert type(refused.value) in (ErpRejected, ErpJobNotFound)
    assert f"'{job}'" in refused.value.message and "check" in refused.value.message
    assert refused.value.message.endswith(".")


def test_a_job_whose_budget_is_empty_reads_as_an_empty_budget(sandbox, switch, row):
    tenant = row.company.tenant
    for line in switch.lines(row.erp, tenant, row.job):
        switch.delete(row.erp, tenant, row.job,
                      (line["sub_job"], line["cost_code"], line["cost_type"]))  # fmt: skip
    assert switch.lines(row.erp, tenant, row.job) == []

    assert connector(sandbox, row).fetch_budget(row.job) == []


def test_the_erp_projects_are_listed_with_their_names(sandbox, switch, row):
    company = row.company
    first = connector(sandbox, row).list_projects(offset=0, limit=1)
    everything = connector(sandbox, row).list_projects(offset=0, limit=100)

    assert [p.erp_job_id for p in everything.projects] == [p.project_id for p in company.projects]
    assert first.projects[0].name == company.projects[0].name
    assert first.has_more == (len(company.projects) > 1) and not everything.has_more


def test_the_cost_catalog_has_the_erp_cost_codes_and_cost_types(sandbox, switch, row):
    catalog = connector(sandbox, row, page_size=2).cost_catalog()

    assert {e.code: e.description for e in catalog.cost_codes} == row.company.cost_codes
    assert {e.code for e in catalog.cost_types} == set(row.company.cost_types)


def test_the_registry_builds_the_connector_from_the_saved_connection(
    sandbox,
    switch,
    row,
    dynamodb_tables,
):
    saved = row.company.erp_connection()
    connection = ErpConnection(erp_system=row.erp, base_url=sandbox.url + saved.path,
                               settings=dict(saved.settings), credentials_secret_id="s")  # fmt: skip
    credentials = ErpCredentials(dict(saved.credentials))
    SecretsManagerSecretStore().put_erp_credentials("s", credentials)  # rotated tokens go back here

    source = erp_sources()(connection, credentials)

    assert mapped(source.fetch_budget(row.job)) == in_erp(switch, row)


def _catalog(company: demo_data.DemoCompany) -> CostCatalog:
    return CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))


def test_a_retry_after_longer_than_a_connector_waits_is_left_to_the_queue(sandbox, switch, row):
    waits = Waits()
    switch.fault(fail_next=1, status=429, retry_after="120", prefix=row.erp, match=row.budget_path)

    with pytest.raises(ErpUnavailable) as unavailable:
        connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert waits == []
    assert unavailable.value.details["retry_after"] == "120"
    assert "slow down" in unavailable.value.message


def test_a_sign_in_that_fails_transiently_is_retried(sandbox, switch, row):
    if row.sign_in_path is None:
        pytest.skip(f"{row.erp} sends its credentials with every call: no sign-in call to fail")
    waits = Waits()
    switch.fault(fail_next=1, status=503, prefix=row.erp, match=row.sign_in_path)

    lines = connector(sandbox, row, waits=waits).fetch_budget(row.job)

    assert len(waits) == 1
    assert mapped(lines) == in_erp(switch, row)


@pytest.fixture
def deployed(monkeypatch):
    """As in AWS: the local stack's allowance for http://127.0.0.1:<port> is off."""
    from chalicelib.config import reset_settings

    monkeypatch.setenv("ERP_ALLOW_LOCAL_URLS", "false")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_the_url_guard_stops_every_request_to_a_private_address(sandbox, switch, row, deployed):
    saved = row.company.erp_connection()
    connection = ErpConnection(erp_system=row.erp, base_url=sandbox.url + saved.path,
                               settings=dict(saved.settings), credentials_secret_id="")  # fmt: skip
    # Built as wiring.py builds connectors in AWS, from the deployment's settings.
    source = erp_sources()(connection, ErpCredentials(dict(saved.credentials)))

    with pytest.raises(UnsafeErpAddress, match="did not call it"):
        source.fetch_budget(row.job)

    assert switch.sign_ins(row.erp) == 0
