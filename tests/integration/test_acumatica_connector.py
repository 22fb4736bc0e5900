"""The Acumatica connector through real HTTP against the in-process sandbox ERP."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import urllib.parse
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.erp.acumatica import AcumaticaSource
from chalicelib.adapters.erp.common.http import MAX_ATTEMPTS
from chalicelib.domain.errors import ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpConnection, ErpCredentials, LineKind, WbsKey
from chalicelib.wiring import erp_sources
from devstack import demo_data
from devstack.sandbox_erp import ENDPOINT, SandboxErp
from tests.fixtures.erp import SandboxClient
from tests.fixtures.http import send_json, serving

GOOD = ErpCredentials.of(username=demo_data.SANDBOX_USERNAME, password=demo_data.SANDBOX_PASSWORD)


@pytest.fixture(scope="module")
def sandbox():
    erp = SandboxErp(port=0).start()
    yield erp
    erp.stop()


@pytest.fixture
def erp(sandbox) -> SandboxClient:
    """A client of the sandbox, reset to the demo data before each test."""
    client = SandboxClient(sandbox.url)
    client.reset()
    return client


def source(sandbox, **options) -> AcumaticaSource:
    tenant = options.pop("tenant", "Demo")
    credentials = options.pop("credentials", GOOD)
    options.setdefault("sleep", lambda seconds: None)  # retries wait in the contract suite
    options.setdefault("allow_local_urls", True)  # the sandbox answers on 127.0.0.1
    return AcumaticaSource(sandbox.url, tenant, credentials, **options)


def _entity(ref: str) -> dict[str, object]:
    """A cost line of project P-1 as Acumatica writes it, its cost code named after its id."""
    values = {"ProjectID": "P-1", "ProjectTaskID": "01", "CostCode": ref, "AccountGroup": "L",
              "Type": "Expense", "OriginalBudgetedAmount": 1}  # fmt: skip
    return {"id": ref, **{name: {"value": value} for name, value in values.items()}}


@contextlib.contextmanager
def _stand_in_erp(page: Callable[[dict[str, list[str]]], object], **options: Any):
    """An Acumatica stand-in that signs anyone in and answers each budget request with
    `page(query)`; yields the connector reading it."""

    class StandIn(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the base class's naming
            self.send_response(204)  # sign-in and sign-out
            self.send_header("Set-Cookie", "ASP.NET_SessionId=s; path=/")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            send_json(
                self, 200, page(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
            )

        def log_message(self, *args: object) -> None:
            pass

    with serving(StandIn) as server:
        yield AcumaticaSource(f"http://127.0.0.1:{server.server_port}", "Demo", GOOD,
                              allow_local_urls=True, **options)  # fmt: skip


def test_paging_returns_every_line_exactly_once_in_erp_order(sandbox, erp):
    in_erp = [entity["id"] for entity in erp.lines("P-1003")]
    pages: list[int] = []

    lines = source(sandbox, page_size=5).fetch_budget("P-1003", on_page=pages.append)

    assert [line.ref for line in lines] == in_erp
    assert [line.line for line in lines] == list(range(1, len(in_erp) + 1))
    assert len(pages) > 3 and pages[-1] == len(in_erp)


def test_a_budget_filling_its_last_page_exactly_is_read_whole(sandbox, erp):
    erp.generate("P-1001", lines=12, seed=3)

    lines = source(sandbox, page_size=4).fetch_budget("P-1001")

    assert len(lines) == 12
    assert len({line.key for line in lines}) == 12


def test_a_ten_thousand_line_budget_arrives_whole_with_the_default_page_size(sandbox, erp):
    erp.generate("P-1001", lines=10_000, seed=1)

    lines = source(sandbox).fetch_budget("P-1001")

    assert len(lines) == 10_000
    assert len({line.ref for line in lines}) == 10_000


def test_value_wrapped_fields_map_to_the_wbs_key_amount_and_description(sandbox, erp):
    planted = erp.put_line(
        ProjectID="P-1001",
        ProjectTaskID="07",
        CostCode="03-300",
        AccountGroup="L",
        Type="Expense",
        Description="Footings - crew",
        OriginalBudgetedAmount=Decimal("1250.00"),
    )

    lines = source(sandbox).fetch_budget("P-1001")

    (line,) = [line for line in lines if line.ref == planted["id"]]
    assert line.key == WbsKey(sub_job="07", cost_code="03-300", cost_type="L")
    assert line.kind is LineKind.COST
    assert line.amount == Decimal("1250.00")
    assert line.description == "Footings - crew"
    assert line.line == len(lines)  # appended: the last line of the whole answer


def test_revenue_lines_come_back_as_revenue(sandbox, erp):
    demo = demo_data.company("demo").project("P-1001")
    income = [line for line in demo.erp_lines if line.type != "Expense"]

    lines = source(sandbox).fetch_budget("P-1001")

    revenue = [line for line in lines if line.kind is LineKind.REVENUE]
    assert len(income) >= 2
    assert [(r.key.sub_job, r.amount) for r in revenue] == [(i.task, i.amount) for i in income]
    assert len(lines) - len(revenue) == len(demo.erp_lines) - len(income)


def test_a_change_made_in_the_erp_is_what_the_connector_reads_next(sandbox, erp):
    first = erp.lines("P-1001")[0]
    key = {name: first[name]["value"] for name in ("ProjectID", "ProjectTaskID", "CostCode")}
    before = source(sandbox).fetch_budget("P-1001")[0]

    erp.put_line(**key, AccountGroup=first["AccountGroup"]["value"], OriginalBudgetedAmount=777)

    after = source(sandbox).fetch_budget("P-1001")[0]
    assert before.ref == after.ref == first["id"]
    assert before.amount != 777
    assert after.amount == 777


def test_an_amount_of_ten_cents_arrives_as_an_exact_decimal(sandbox, erp):
    planted = erp.put_line(
        ProjectID="P-1002",
        ProjectTaskID="01",
        CostCode="01-100",
        AccountGroup="O",
        OriginalBudgetedAmount=Decimal("0.10"),
    )

    lines = source(sandbox).fetch_budget("P-1002")

    (line,) = [line for line in lines if line.ref == planted["id"]]
    assert isinstance(line.amount, Decimal)
    assert str(line.amount) == "0.10"


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ("abc", "abc"),
        (None, None),
        (Decimal("1.005"), Decimal("1.005")),
        (Decimal("1E+20"), Decimal("1E+20")),
    ],
)
def test_a_bad_amount_planted_in_the_erp_passes_through_raw(sandbox, erp, planted, expected):
    line_id = erp.put_line(
        ProjectID="P-1001",
        ProjectTaskID="01",
        CostCode="03-300",
        AccountGroup="M",
        InventoryID="PLANTED",
        OriginalBudgetedAmount=planted,
    )["id"]

    lines = source(sandbox).fetch_budget("P-1001")

    (line,) = [line for line in lines if line.ref == line_id]
    assert line.amount == expected
    assert type(line.amount) is type(expected)


def test_a_deleted_erp_line_is_gone_from_the_next_read(sandbox, erp):
    victim = erp.lines("P-1001")[3]["id"]

    assert erp.delete_line(victim) == 204

    refs = [line.ref for line in source(sandbox).fetch_budget("P-1001")]
    assert victim not in refs
    assert len(refs) == len(demo_data.company("demo").project("P-1001").erp_lines) - 1


def test_a_wrong_password_is_rejected_without_showing_the_password(sandbox, erp):
    secret = "Hunter2-not-the-password"
    wrong = source(sandbox, credentials=ErpCredentials.of(username="admin", password=secret))

    with pytest.raises(ErpRejected) as refused:
        wrong.fetch_budget("P-1001")

    assert "user name and password" in refused.value.message
    assert secret not in str(refused.value)
    assert secret not in repr(refused.value.details)


def test_a_request_the_erp_refuses_is_told_as_a_refusal_of_ours(sandbox, erp):
    # The ERP refused what we asked (400): the sentence says so, never that the ERP refused to act.
    erp.fault(fail_next=1, status=400, match="ProjectBudget")

    with pytest.raises(ErpRejected) as refused:
        source(sandbox).fetch_budget("P-1001")

    assert refused.value.message.startswith("Acumatica refused the request (400) when trying to ")


def test_an_unknown_tenant_is_rejected(sandbox, erp):
    with pytest.raises(ErpRejected):
        source(sandbox, tenant="Nobody").fetch_budget("P-1001")


def test_a_tenant_never_reads_another_tenants_budget(sandbox, erp):
    # Tenant Other has no project P-1001 (Demo's): refused, neither read nor taken as empty.
    with pytest.raises(ErpRejected, match="no project 'P-1001'"):
        source(sandbox, tenant="Other").fetch_budget("P-1001")
    assert len(source(sandbox, tenant="Other").fetch_budget("P-2001")) > 10


@pytest.mark.parametrize("status", [503, 500, 429])
def test_a_transient_erp_failure_is_reported_as_unavailable_and_passes(sandbox, erp, status):
    erp.fault(fail_next=MAX_ATTEMPTS, status=status, match="ProjectBudget", retry_after="3")

    with pytest.raises(ErpUnavailable) as unavailable:
        source(sandbox).fetch_budget("P-1001")

    assert "try again" in unavailable.value.message
    assert len(source(sandbox).fetch_budget("P-1001")) > 10  # the fault was transient


def test_a_failure_on_a_later_page_fails_the_whole_read(sandbox, erp):
    pages: list[int] = []

    def fail_the_next_page(done: int) -> None:
        pages.append(done)
        if len(pages) == 1:
            erp.fault(fail_next=MAX_ATTEMPTS, status=503, match="ProjectBudget")

    with pytest.raises(ErpUnavailable):
        source(sandbox, page_size=5).fetch_budget("P-1001", on_page=fail_the_next_page)

    assert pages == [5]


def test_the_session_is_closed_after_a_read_and_after_a_failure(sandbox, erp):
    source(sandbox).fetch_budget("P-1001")
    assert erp.open_sessions() == 0

    erp.fault(fail_next=MAX_ATTEMPTS, status=503, match="ProjectBudget")
    with pytest.raises(ErpUnavailable):
        source(sandbox).fetch_budget("P-1001")
    assert erp.open_sessions() == 0


def test_an_erp_slower_than_the_timeout_is_unavailable(sandbox, erp):
    erp.fault(delay_seconds=2, delay_next=MAX_ATTEMPTS)

    with pytest.raises(ErpUnavailable) as unavailable:
        source(sandbox, timeout=0.2).fetch_budget("P-1001")

    assert "did not answer" in unavailable.value.message


def test_an_erp_that_cannot_be_reached_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reader = AcumaticaSource(
        f"http://127.0.0.1:{port}",
        "Demo",
        GOOD,
        timeout=2,
        sleep=lambda seconds: None,
        allow_local_urls=True,
    )

    with pytest.raises(ErpUnavailable, match="could not be reached"):
        reader.fetch_budget("P-1001")


def test_an_answer_that_is_not_json_is_rejected(sandbox, erp):
    erp.fault(fail_next=1, status=200, match="ProjectBudget", body="<html>Maintenance</html>")

    with pytest.raises(ErpRejected, match="not valid JSON"):
        source(sandbox).fetch_budget("P-1001")


def test_a_wrong_endpoint_is_rejected_with_a_hint_at_the_address(sandbox, erp):
    reader = source(sandbox, endpoint="Default/99.999.999")

    with pytest.raises(ErpRejected, match="address"):
        reader.fetch_budget("P-1001")


@pytest.mark.parametrize("field", ["ProjectTaskID", "CostCode", "AccountGroup"])
def test_a_null_key_field_is_a_blank_one_for_the_rules_to_list(sandbox, erp, field):
    # Acumatica answers a null field as {} or leaves it out: the line is read, with a blank key
    # part, so re-import rule 3 lists it with every other offending line instead of the read
    # stopping at the first.
    _line_four_with(erp, **{field: None})

    fourth = source(sandbox).fetch_budget("P-1001")[3]

    key = {"ProjectTaskID": "01", "CostCode": "01-100", "AccountGroup": "L"} | {field: ""}
    assert fourth.key == WbsKey(key["ProjectTaskID"], key["CostCode"], key["AccountGroup"])
    assert fourth.kind is LineKind.COST


def _line_four_with(erp, **fields) -> None:
    """P-1001 with three lines and a fourth cost line whose given fields are then replaced."""
    erp.generate("P-1001", lines=3)
    erp.put_line(
        ProjectID="P-1001", ProjectTaskID="01", CostCode="01-100", AccountGroup="L",
        InventoryID="X", OriginalBudgetedAmount=5,
    )  # fmt: skip
    erp.put_line(id=erp.lines("P-1001")[-1]["id"], **fields)


def test_a_cost_line_with_a_blank_type_is_rejected_not_read_as_revenue(sandbox, erp):
    # A blank Type is no more revenue than a missing one: the line is not silently left out.
    _line_four_with(erp, Type="  ")

    with pytest.raises(ErpRejected, match="Line 4 .*no Type"):
        source(sandbox).fetch_budget("P-1001")


@pytest.mark.parametrize("field", ["ProjectTaskID", "CostCode", "AccountGroup"])
def test_a_blank_key_field_is_taken_as_it_comes(sandbox, erp, field):
    # As the sandbox's switch maps it: a blank task is a line without a sub job, and a blank
    # cost code or cost type is left to re-import rule 3, which lists it with every other.
    _line_four_with(erp, **{field: "  "})

    fourth = source(sandbox).fetch_budget("P-1001")[3]

    key = {"ProjectTaskID": "01", "CostCode": "01-100", "AccountGroup": "L"} | {field: ""}
    assert fourth.key == WbsKey(key["ProjectTaskID"], key["CostCode"], key["AccountGroup"])
    assert fourth.kind is LineKind.COST


def test_a_call_without_a_session_is_refused_by_the_sandbox(sandbox, erp):
    anonymous = SandboxClient(sandbox.url)

    status, body = anonymous.request("GET", f"{ENDPOINT}?$filter=ProjectID eq 'P-1001'")

    assert status == 401
    assert "logged in" in body["message"]


def test_the_sandbox_answers_unknown_routes_with_404(sandbox, erp):
    assert erp.request("GET", "/entity/Default/23.200.001/Nothing")[0] == 404


def test_the_registry_gives_the_acumatica_connector_for_an_acumatica_connection(sandbox, erp):
    connection = ErpConnection(
        erp_system="acumatica",
        base_url=sandbox.url,
        settings={"company": "Demo"},
        credentials_secret_id="s",
    )

    lines = erp_sources()(connection, GOOD).fetch_budget("P-1002")

    assert len(lines) == len(demo_data.company("demo").project("P-1002").erp_lines)


def test_the_registry_refuses_an_erp_it_has_no_connector_for():
    connection = ErpConnection(
        erp_system="sap",
        base_url="http://127.0.0.1:1",
        settings={"company": "X"},
        credentials_secret_id="s",
    )

    with pytest.raises(ErpRejected, match="no connector"):
        erp_sources()(connection, GOOD)


def test_an_answer_larger_than_the_limit_is_rejected_without_being_read_whole(sandbox, erp):
    erp.generate("P-1001", lines=200, seed=5)

    with pytest.raises(ErpRejected) as caught:
        source(sandbox, max_response_bytes=4096).fetch_budget("P-1001")

    assert "larger than" in caught.value.message
    assert erp.open_sessions() == 0


@pytest.mark.parametrize("job", ["P-1001' or ProjectID ne 'x", "P-1'or'1'eq'1"])
def test_a_quote_in_the_job_id_cannot_widen_the_filter(sandbox, erp, job):
    # OData doubles a quote inside a literal; unescaped, this id would match every project (its
    # budget lines, then the project lookup): read as no lines, and then as no such project.
    with pytest.raises(ErpRejected) as refused:
        source(sandbox).fetch_budget(job)

    assert f"no project '{job}'" in refused.value.message


def test_an_erp_address_that_redirects_is_rejected_without_following_it(sandbox):
    followed: list[str] = []

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the base class's naming
            self.send_response(302)
            self.send_header("Location", f"{sandbox.url}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            followed.append(self.path)

    with serving(Redirecting) as server:
        reader = AcumaticaSource(
            f"http://127.0.0.1:{server.server_port}", "Demo", GOOD, allow_local_urls=True
        )
        with pytest.raises(ErpRejected, match="redirect") as refused:
            reader.fetch_budget("P-1001")
    assert demo_data.SANDBOX_PASSWORD not in str(refused.value)
    assert followed == ["/entity/auth/login"]  # asked once, never followed to the sandbox


def test_a_line_seen_twice_across_pages_of_a_capped_server_makes_the_read_try_again():
    """A line inserted ahead while the budget is read moves a line onto the next page as well:
    read on past short pages, the budget must still not arrive with that line twice."""
    # Two lines a page whatever $top asks; "b" is on both pages, as after an insert ahead of it.
    pages = {0: [_entity("a"), _entity("b")], 2: [_entity("b"), _entity("c")]}

    with (
        _stand_in_erp(lambda query: pages.get(int(query["$skip"][0]), []), page_size=5) as reader,
        pytest.raises(ErpUnavailable, match="changed while it was being read"),
    ):
        reader.fetch_budget("P-1")


def test_the_sandbox_answers_only_the_fields_a_select_names(sandbox, erp):
    everything = erp.lines("P-1001")
    narrowed = erp.lines("P-1001", select="CostCode,OriginalBudgetedAmount")

    assert [entity["id"] for entity in narrowed] == [entity["id"] for entity in everything]
    assert {"UOM", "OriginalBudgetedQty", "Description"} <= set(everything[0])
    assert set(narrowed[0]) == {"id", "rowNumber", "note", "CostCode", "OriginalBudgetedAmount",
                                "custom"}  # fmt: skip
    assert narrowed[0]["OriginalBudgetedAmount"] == everything[0]["OriginalBudgetedAmount"]


def test_a_budget_page_asks_only_for_the_fields_the_mapping_reads(sandbox, erp):
    """Acumatica's ProjectBudget carries dozens of fields; each page names the seven it maps, and a
    server that answers more anyway (one that ignores $select) still maps the same lines."""
    asked: list[dict[str, list[str]]] = []
    extra = {"OriginalBudgetedQty": {"value": 3}, "UOM": {"value": "HR"}, "note": None,
             "RevisedBudgetedAmount": {"value": 99}, "custom": {}}  # fmt: skip
    # As the ERP wrote them: amounts as JSON numbers (the client reads them as exact decimals).
    in_erp = json.loads(json.dumps([{**e, **extra} for e in erp.lines("P-1001")], default=float))

    def page(query: dict[str, list[str]]) -> object:
        asked.append(query)
        skip = int(query["$skip"][0])
        return in_erp[skip : skip + int(query["$top"][0])]

    with _stand_in_erp(page, page_size=5) as reader:
        lines = reader.fetch_budget("P-1001")

    fields = "ProjectID,ProjectTaskID,CostCode,AccountGroup,Type,Description,OriginalBudgetedAmount"
    assert {tuple(query["$select"]) for query in asked} == {(fields,)}
    assert lines == source(sandbox, page_size=5).fetch_budget("P-1001")  # the sandbox honours it


def _count_parsed_pages(monkeypatch) -> list[str]:
    """Record each budget page the connector parses (its JSON read into entities)."""
    from chalicelib.adapters.erp.common.http import ErpHttp

    parsed: list[str] = []
    parse = ErpHttp.parse_json

    def counted(self, answer: bytes, action: str):
        if action.startswith("read the budget"):
            parsed.append(action)
        return parse(self, answer, action)

    monkeypatch.setattr(ErpHttp, "parse_json", counted)
    return parsed


def test_a_read_after_a_one_line_change_maps_only_the_page_that_changed(sandbox, erp, monkeypatch):
    from chalicelib.adapters.erp.common.remembered import forget_pages

    forget_pages()
    erp.generate("P-1001", lines=12, seed=3)
    parsed = _count_parsed_pages(monkeypatch)
    first = source(sandbox, page_size=5).fetch_budget("P-1001")
    assert len(parsed) == 4  # three pages of lines and the empty one that ends the read

    changed = erp.lines("P-1001")[6]  # on the second page
    erp.put_line(id=changed["id"], OriginalBudgetedAmount=777.77)
    parsed.clear()
    again = source(sandbox, page_size=5).fetch_budget("P-1001")

    assert parsed == ["read the budget of ERP job 'P-1001'"]  # the second page alone
    assert [line.amount for line in again] == [
        Decimal("777.77") if line.ref == changed["id"] else line.amount for line in first
    ]
    forget_pages()
    assert source(sandbox, page_size=5).fetch_budget("P-1001") == again  # as a cold read maps it


def test_remembered_pages_are_told_apart_by_job_and_start_and_kept_within_their_bound():
    from chalicelib.adapters.erp.common.remembered import RememberedPages
    from chalicelib.domain.model import ErpLine

    def lines(count: int, first: int) -> tuple[ErpLine, ...]:
        key = WbsKey("", "01-100", "L")
        return tuple(
            ErpLine(first + n, f"r{n}", key, LineKind.COST, Decimal(n)) for n in range(count)
        )

    pages = RememberedPages(max_lines=10)
    made: list[str] = []

    def map_page(name: str, count: int, first: int):
        def mapped() -> tuple[ErpLine, ...]:
            made.append(name)
            return lines(count, first)

        return mapped

    same_bytes = b'[{"id": "r0"}]'
    a = pages.mapped(RememberedPages.key("acumatica", "P-1", 0, same_bytes), map_page("a", 4, 1))
    assert (
        pages.mapped(RememberedPages.key("acumatica", "P-1", 0, same_bytes), map_page("x", 4, 1))
        is a
    )
    pages.mapped(RememberedPages.key("acumatica", "P-2", 0, same_bytes), map_page("b", 4, 1))
    moved = pages.mapped(
        RememberedPages.key("acumatica", "P-1", 5, same_bytes), map_page("c", 4, 6)
    )
    assert made == ["a", "b", "c"]  # another job, another start: mapped anew
    assert moved[0].line == 6
    # 12 lines asked to be kept with a bound of 10: the least recently used page ("a") went.
    pages.mapped(RememberedPages.key("acumatica", "P-1", 0, same_bytes), map_page("a again", 4, 1))
    assert made == ["a", "b", "c", "a again"]


def test_a_page_that_fails_to_map_is_refused_every_time_and_a_line_seen_twice_comes_first():
    """A bad entity is refused on every read (nothing of it is kept); a line repeated before it
    on the page is what a line-by-line read finds first: the budget moved while it was read."""
    from chalicelib.adapters.erp.common.remembered import forget_pages

    first_page: list[object] = [_entity("a"), _entity("b"), "not a budget line"]
    forget_pages()
    with _stand_in_erp(lambda query: first_page if query["$skip"] == ["0"] else [],
                       page_size=5) as reader:  # fmt: skip
        for _ in range(2):
            with pytest.raises(ErpRejected, match="Line 3 of the ERP's budget answer"):
                reader.fetch_budget("P-1")
        first_page[1:] = [_entity("a"), "not a budget line"]
        with pytest.raises(ErpUnavailable, match="changed while it was being read"):
            reader.fetch_budget("P-1")


def test_projects_are_listed_page_by_page_and_say_when_more_follow(sandbox, erp):
    demo = demo_data.company("demo")
    first = source(sandbox).list_projects(offset=0, limit=2)
    rest = source(sandbox).list_projects(offset=2, limit=100)
    listed = [p.erp_job_id for p in first.projects + rest.projects]
    assert listed == [p.project_id for p in demo.projects]
    assert first.has_more and not rest.has_more
    assert first.projects[0].name == demo.projects[0].name


def test_the_cost_catalog_has_the_cost_codes_and_only_the_expense_account_groups(sandbox, erp):
    demo = demo_data.company("demo")
    catalog = source(sandbox, page_size=3).cost_catalog()  # small pages: read to the end
    assert {entry.code: entry.description for entry in catalog.cost_codes} == demo.cost_codes
    assert {entry.code for entry in catalog.cost_types} == set(demo.cost_types)
    assert demo_data.REVENUE_ACCOUNT_GROUP not in {entry.code for entry in catalog.cost_types}
