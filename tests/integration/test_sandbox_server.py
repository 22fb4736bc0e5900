"""The sandbox ERP server itself: the uniform switch, per-system faults, each ERP's own limits."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import jwt
import pytest

from devstack import demo_data, keys
from devstack.sandbox import yardi
from devstack.sandbox.app import create_app
from devstack.sandbox.core import State
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import SandboxClient, UniformSwitch

KEY = {"sub_job": "", "cost_code": "100", "cost_type": "L"}
INTACCT = ("intacct", "intacct-demo", "I-6001")


@pytest.fixture(scope="module")
def sandbox():
    with SandboxErp(port=0) as erp:
        yield erp


@pytest.fixture
def switch(sandbox) -> UniformSwitch:
    client = UniformSwitch(sandbox.url)
    client.reset()
    return client


def of_key(lines: list[dict], kind: str = "cost") -> list[str]:
    return [
        line["amount"]
        for line in lines
        if {k: line[k] for k in KEY} == KEY and line["kind"] == kind
    ]


def test_put_replaces_every_line_of_the_key_and_kind_and_post_adds_one(switch):
    switch.add(*INTACCT, **KEY, amount="1.00")
    switch.add(*INTACCT, **KEY, amount="2.00")

    after_put = switch.put(*INTACCT, **KEY, amount="1250.00", description="Crew")
    after_post = switch.add(*INTACCT, **KEY, amount="0.50")

    assert of_key(after_put) == ["1250.00"]
    assert of_key(after_post) == ["1250.00", "0.50"]
    assert switch.lines(*INTACCT) == after_post


def test_delete_removes_the_keys_lines_of_both_kinds_and_may_be_repeated(switch):
    mri = ("mri", "BBDEMO", "R-1401")  # MRI keeps a revenue line's cost type (Intacct has none)
    switch.put(*mri, **KEY, amount="10.00")
    switch.put(*mri, **KEY, amount="99.00", kind="revenue")
    key = (KEY["sub_job"], KEY["cost_code"], KEY["cost_type"])
    assert of_key(switch.lines(*mri)) == ["10.00"] and of_key(switch.lines(*mri), "revenue")

    assert switch.delete(*mri, key) == 204
    assert of_key(switch.lines(*mri)) == [] == of_key(switch.lines(*mri), "revenue")
    assert switch.delete(*mri, key) == 204


# Each ERP of the switch, one of its demo jobs: (erp, tenant, job).
JOBS = [
    (erp, company.tenant, next(p.project_id for p in company.projects if p.erp_lines))
    for erp, company in (
        (name, demo_data.company("demo" if name == "acumatica" else name))
        for name in ("acumatica", "myob", "intacct", "cmic", "qbo", "xero", "netsuite",
                     "workday", "yardi", "mri")
    )
]  # fmt: skip


def _variants(first: dict) -> list[tuple[str, dict]]:
    """Keys written the ways a test may write them, from the job's first cost line."""
    sub_job, code, cost_type = first["sub_job"], first["cost_code"], first["cost_type"]
    return [
        ("its own key", {"sub_job": sub_job, "cost_code": code, "cost_type": cost_type}),
        ("no sub job", {"sub_job": "", "cost_code": code, "cost_type": cost_type}),
        ("a sub job", {"sub_job": "01", "cost_code": code, "cost_type": cost_type}),
        ("revenue", {"sub_job": "", "cost_code": code, "cost_type": "", "kind": "revenue"}),
        ("revenue with a cost type",
         {"sub_job": "", "cost_code": code, "cost_type": cost_type, "kind": "revenue"}),
    ]  # fmt: skip


@pytest.mark.parametrize(("erp", "tenant", "job"), JOBS, ids=[j[0] for j in JOBS])
def test_every_erp_keeps_a_key_it_is_given_or_refuses_it_and_put_replaces_delete_removes(
    sandbox, switch, erp, tenant, job
):
    http = SandboxClient(sandbox.url)
    path = f"/sandbox/budgets/{erp}/{tenant}/{job}/lines"
    first = next(line for line in switch.lines(erp, tenant, job) if line["kind"] == "cost")
    for name, key in _variants(first):
        before = switch.lines(erp, tenant, job)
        status, answer = http.request("PUT", path, {**key, "amount": "4321.09"})
        if status == 400:  # a key part the ERP cannot hold: refused, nothing changed
            assert answer["message"].endswith("."), name
            assert switch.lines(erp, tenant, job) == before, name
            continue
        assert status == 200, (name, answer)
        assert switch.put(erp, tenant, job, **key, amount="4321.09") == answer["lines"], name
        planted = [line for line in answer["lines"] if line["amount"] == "4321.09"]
        assert len(planted) == 1 and planted[0]["kind"] == key.get("kind", "cost"), name
        # Under the key the switch reports (a system keeping no revenue cost type drops it).
        delete = {k: planted[0][k] for k in ("sub_job", "cost_code", "cost_type")}
        assert http.request("DELETE", f"{path}?{urllib.parse.urlencode(delete)}")[0] == 204
        assert "4321.09" not in {line["amount"] for line in switch.lines(erp, tenant, job)}, name


@pytest.mark.parametrize(
    ("erp", "tenant", "job"),
    [
        ("intacct", "intacct-demo", "I-6001"),
        ("xero", "b1f2c3d4-0000-4000-8000-000000000001", "X-9001"),
    ],
)
def test_a_revenue_line_sent_with_a_cost_type_is_kept_without_it_and_found_again(
    switch, erp, tenant, job
):
    """These ERPs keep no cost type on a revenue line: a test adding revenue the way it adds cost
    is answered, not refused, and its second PUT replaces the first."""
    cost = next(line for line in switch.lines(erp, tenant, job) if line["kind"] == "cost")
    key = {"sub_job": "", "cost_code": cost["cost_code"], "cost_type": cost["cost_type"]}

    switch.put(erp, tenant, job, **key, amount="777.00", kind="revenue")
    switch.put(erp, tenant, job, **key, amount="778.00", kind="revenue")

    planted = [line for line in switch.lines(erp, tenant, job)
               if line["amount"] in ("777.00", "778.00")]  # fmt: skip
    assert [(p["kind"], p["cost_type"], p["amount"]) for p in planted] == [
        ("revenue", "", "778.00")
    ]
    assert switch.delete(erp, tenant, job, ("", key["cost_code"], "")) == 204
    assert "778.00" not in {line["amount"] for line in switch.lines(erp, tenant, job)}


def test_a_refused_key_is_refused_by_delete_too_and_removes_nothing(sandbox, switch):
    before = switch.lines("yardi", "bb_demo", "Y-1301")
    first = before[0]
    query = urllib.parse.urlencode({"sub_job": "01", "cost_code": first["cost_code"],
                                    "cost_type": first["cost_type"]})  # fmt: skip

    status, answer = SandboxClient(sandbox.url).request(
        "DELETE", f"/sandbox/budgets/yardi/bb_demo/Y-1301/lines?{query}"
    )

    assert (status, answer["message"]) == (400, 'Yardi Voyager keeps no sub jobs: send sub_job "".')
    assert switch.lines("yardi", "bb_demo", "Y-1301") == before


def test_cmic_a_line_naming_no_sub_job_is_the_controlling_jobs_whichever_way_it_is_named(switch):
    cmic = ("cmic", "BB", "C-7001")
    key = {"cost_code": "01-010", "cost_type": "M"}

    def planted() -> list[tuple[str, str]]:
        return [(line["sub_job"], line["amount"]) for line in switch.lines(*cmic)
                if line["amount"] in ("5.00", "6.00")]  # fmt: skip

    switch.put(*cmic, sub_job="", **key, amount="5.00")
    switch.put(*cmic, sub_job="", **key, amount="5.00")
    assert planted() == [("", "5.00")]  # read back as the connector maps it
    switch.put(*cmic, sub_job="C-7001", **key, amount="6.00")
    assert planted() == [("", "6.00")]
    assert switch.delete(*cmic, ("", key["cost_code"], key["cost_type"])) == 204
    assert planted() == []
    switch.add(*cmic, sub_job="", **key, amount="5.00")
    assert switch.delete(*cmic, ("C-7001", key["cost_code"], key["cost_type"])) == 204
    assert planted() == []


def test_a_tenant_with_a_space_is_addressed_url_encoded(switch):
    lines = switch.lines("myob", "MYOB Demo", "M-5001")

    assert len(lines) >= 20
    assert all(Decimal(line["amount"]) == Decimal(line["amount"]).quantize(Decimal("0.01"))
               for line in lines)  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/sandbox/budgets/nosuch/x/y", None, 404),
        ("/sandbox/budgets/cmic/NOPE/C-7001", None, 404),
        ("/sandbox/budgets/cmic/BB/C-7001/lines", {**KEY, "amount": "ten"}, 400),
        ("/sandbox/budgets/cmic/BB/C-7001/lines", {"amount": "1.00"}, 400),
    ],
)
def test_the_switch_refuses_what_it_cannot_do_with_a_sentence(sandbox, switch, path, body, status):
    method = "GET" if body is None else "PUT"
    answer_status, answer = SandboxClient(sandbox.url).request(method, path, body)

    assert answer_status == status
    assert answer["message"].endswith(".")


@pytest.mark.parametrize("max_page", [0, "many"])
def test_the_page_cap_is_a_whole_number_of_one_or_more(sandbox, switch, max_page):
    status, answer = SandboxClient(sandbox.url).request(
        "POST", "/sandbox/faults", {"max_page": max_page}
    )

    assert status == 400
    assert answer["message"].endswith(".")


def test_a_fault_with_a_prefix_fails_only_that_system_in_its_own_error_form(sandbox, switch):
    switch.fault(fail_next=1, status=429, prefix="cmic", retry_after="3")
    http = SandboxClient(sandbox.url)
    basic = {"Authorization": "Basic " + base64.b64encode(b"cmicapi:sandbox").decode()}

    assert http.request("GET", "/sandbox/health")[0] == 200
    assert http.request("GET", "/myob/entity/Default/22.200.001/Project")[0] == 401  # no fault
    status, body = _get(sandbox.url + "/cmic/jc-rest-api/rest/1/jcjob", basic)
    assert status == 429
    assert body["o:errorDetails"][0]["detail"].startswith("Simulated fault: 429")


def test_cmic_refuses_a_limit_above_1000(sandbox, switch):
    basic = {"Authorization": "Basic " + base64.b64encode(b"cmicapi:sandbox").decode()}

    status, body = _get(sandbox.url + "/cmic/jc-rest-api/rest/1/jcjob?limit=1001", basic)

    assert status == 400
    assert "1000" in body["title"]
    assert _get(sandbox.url + "/cmic/jc-rest-api/rest/1/jcjob?limit=1000", basic)[0] == 200


def _send(request: urllib.request.Request) -> tuple[int, dict]:
    """The sandbox's status and JSON answer, a refusal's as well as a success's."""
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the sandbox
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    return _send(urllib.request.Request(url, headers=headers))  # noqa: S310 - the local sandbox


def test_a_yardi_fault_is_a_soap_fault_with_its_code(sandbox, switch):
    switch.fault(fail_next=1, status=503, prefix="yardi")
    request = urllib.request.Request(  # noqa: S310 - the local sandbox
        sandbox.url + "/yardi/Webservices/ItfJobCost.asmx", data=b"<x/>", method="POST",
        headers={"Content-Type": "text/xml"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310

    body = failed.value.read().decode()
    assert failed.value.code == 503
    assert failed.value.headers["Content-Type"].startswith("text/xml")
    assert "<faultcode>soap:Server</faultcode>" in body and "Simulated fault: 503" in body


def test_mri_pages_by_an_absolute_next_link_and_refuses_a_top_above_500(sandbox, switch):
    basic = {"Authorization": "Basic " + base64.b64encode(b"BBDEMO/BBDEMO/bbapi:sandbox").decode()}
    api = sandbox.url + "/mri/mriapiservices/api.asp?$api=MRI_S-PMJC_JobBudget&JOBID=R-1401"

    status, first = _get(api + "&$top=5", basic)
    assert status == 200 and len(first["value"]) == 5
    assert first["nextLink"].startswith(sandbox.url + "/mri/mriapiservices/api.asp?")
    status, second = _get(first["nextLink"], basic)
    assert status == 200 and second["value"][0] != first["value"][0]
    assert _get(api + "&$top=501", basic)[0] == 400
    assert (
        _get(api, {"Authorization": "Basic " + base64.b64encode(b"bbapi:sandbox").decode()})[0]
        == 401
    )


def test_workday_answers_a_report_to_its_integration_user_only(sandbox, switch):
    report = (sandbox.url + "/workday/ccx/service/customreport2/bb_demo/ISU_BudgetBridge/"
              "Budget_Bridge_Budget?format=json&Project_ID=W-1201")  # fmt: skip
    user = {"Authorization": "Basic " + base64.b64encode(b"ISU_BudgetBridge:sandbox").decode()}

    status, body = _get(report, user)
    assert status == 200 and len(body["Report_Entry"]) >= 20
    assert {entry["Project_ID"] for entry in body["Report_Entry"]} == {"W-1201"}
    assert _get(report, {})[0] == 401


def _post_form(url: str, form: dict[str, str]) -> tuple[int, dict]:
    data = urllib.parse.urlencode(form).encode()
    return _send(urllib.request.Request(url, data=data, method="POST"))  # noqa: S310 - the sandbox


@pytest.mark.parametrize("prefix", ["", "/myob"])
def test_the_acumatica_token_endpoint_tells_an_unknown_client_from_a_wrong_password(
    sandbox, switch, prefix
):
    client = (
        ("acumatica-client", "acumatica-secret") if not prefix else ("myob-client", "myob-secret")
    )
    form = {"grant_type": "password", "client_id": client[0], "client_secret": client[1],
            "username": "admin", "password": "sandbox", "scope": "api"}  # fmt: skip
    url = sandbox.url + prefix + "/identity/connect/token"

    assert _post_form(url, form)[0] == 200
    assert _post_form(url, {**form, "password": "wrong"}) == (400, {"error": "invalid_grant"})
    assert _post_form(url, {**form, "client_secret": "wrong"}) == (400, {"error": "invalid_client"})


def test_the_procore_token_endpoint_refuses_in_oauth2_form(sandbox, switch):
    url = sandbox.url + "/procore/oauth/token"
    form = {"grant_type": "client_credentials", "client_id": "pilot-client"}

    assert _post_form(url, {**form, "client_secret": "pilot-secret"})[0] == 200
    status, body = _post_form(url, {**form, "client_secret": "wrong"})
    assert status == 401 and body["error"] == "invalid_client"
    status, body = _post_form(url, {**form, "grant_type": "password"})
    assert status == 400 and body["error"] == "unsupported_grant_type"


def test_a_bad_paging_parameter_or_body_is_refused_in_the_erps_own_error_form(sandbox, switch):
    cmic = {"Authorization": "Basic " + base64.b64encode(b"cmicapi:sandbox").decode()}
    mri = {"Authorization": "Basic " + base64.b64encode(b"BBDEMO/BBDEMO/bbapi:sandbox").decode()}

    status, body = _get(sandbox.url + "/cmic/jc-rest-api/rest/1/jcjob?limit=ten", cmic)
    assert status == 400 and "limit" in body["o:errorDetails"][0]["detail"]
    status, body = _get(
        sandbox.url + "/mri/mriapiservices/api.asp?$api=MRI_S-PMJC_Jobs&$top=-1", mri
    )
    assert status == 400 and "$top" in body["error"]["message"]
    token = _intacct_token(sandbox)
    request = urllib.request.Request(  # noqa: S310 - the sandbox
        sandbox.url + "/intacct/ia/api/v1/services/core/query", data=b"{not json", method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    status, body = _send(request)
    assert status == 400
    assert "not valid JSON" in body["ia::result"]["ia::error"]["message"]


def test_sage_intacct_lists_an_object_and_answers_one_record_by_key(sandbox, switch):
    token = _intacct_token(sandbox)
    bearer = {"Authorization": f"Bearer {token}"}
    objects = sandbox.url + "/intacct/ia/api/v1/objects/construction/project-estimate-line"

    status, listed = _get(objects + "?size=5", bearer)
    assert status == 200 and len(listed["ia::result"]) == 5
    assert listed["ia::meta"]["next"] == 6 and listed["ia::meta"]["totalCount"] > 5
    first = listed["ia::result"][0]
    assert set(first) == {"key", "id", "href"}
    status, record = _get(sandbox.url + "/intacct" + first["href"], bearer)
    assert status == 200
    assert record["ia::result"]["key"] == first["key"]
    assert record["ia::result"]["project"]["id"] == "I-6001"  # related fields nested
    assert _get(objects + "/no-such-key", bearer)[0] == 404
    assert _get(objects, {})[0] == 401


def _intacct_token(sandbox) -> str:
    """An access token of the demo Sage Intacct client (client credentials)."""
    _, answer = _post_form(
        sandbox.url + "/intacct/ia/api/v1/oauth2/token",
        {"grant_type": "client_credentials", "client_id": "intacct-client",
         "client_secret": "intacct-secret"},
    )  # fmt: skip
    return str(answer["access_token"])


def _netsuite_assertion(sandbox) -> tuple[str, str]:
    """The demo NetSuite connection's token URL and a client assertion signed with its key."""
    token_url = sandbox.url + "/netsuite/services/rest/auth/oauth2/v1/token"
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": "netsuite-client", "scope": ["rest_webservices"], "aud": token_url,
         "iat": now, "exp": now + 300},
        keys.netsuite_private_key(), algorithm="PS256", headers={"kid": "bb-cert"},
    )  # fmt: skip
    return token_url, assertion


def test_netsuite_suiteql_pages_carry_next_and_self_links_to_the_end(sandbox, switch):
    token_url, assertion = _netsuite_assertion(sandbox)
    status, token = _post_form(
        token_url, {"grant_type": "client_credentials", "client_assertion": assertion,
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
    )  # fmt: skip
    assert status == 200
    budget = ("SELECT b.id AS budget, bm.period AS period, bm.amount AS amount FROM budgets b "
              "JOIN budgetsmachine bm ON bm.budget = b.id JOIN job j ON j.id = b.customer "
              "WHERE j.entityid = 'N-1101'")  # fmt: skip
    query = json.dumps({"q": budget}).encode()
    headers = {"Authorization": f"Bearer {token['access_token']}", "Prefer": "transient",
               "Content-Type": "application/json"}  # fmt: skip
    url, seen, pages = (
        sandbox.url + "/netsuite/services/rest/query/v1/suiteql?limit=100&offset=0",
        [],
        [],
    )
    while url:
        request = urllib.request.Request(url, data=query, method="POST", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            page = json.loads(answer.read())
        links = {link["rel"]: link["href"] for link in page["links"]}
        assert links["self"] == url
        pages.append(page)
        seen += [(item["budget"], item["period"]) for item in page["items"]]
        url = links.get("next")
        assert bool(url) == page["hasMore"]
    assert len(pages) > 2 and len(seen) == len(set(seen)) == pages[0]["totalResults"]


def test_netsuite_refuses_a_client_assertion_without_its_type(sandbox, switch):
    token_url, assertion = _netsuite_assertion(sandbox)
    form = {"grant_type": "client_credentials", "client_assertion": assertion}

    assert _post_form(token_url, form) == (400, {"error": "invalid_request"})
    jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert _post_form(token_url, {**form, "client_assertion_type": jwt_bearer})[0] == 200


def test_procore_pages_link_first_prev_next_and_last(sandbox, switch):
    _, token = _post_form(
        sandbox.url + "/procore/oauth/token",
        {"grant_type": "client_credentials", "client_id": "pilot-client",
         "client_secret": "pilot-secret"},
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token['access_token']}", "Procore-Company-Id": "1001"}
    lines = sandbox.url + "/procore/rest/v1.0/budget_line_items?project_id=2001&per_page=5"

    def rels(page: int) -> dict[str, str]:
        request = urllib.request.Request(f"{lines}&page={page}", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            link, total = answer.headers["Link"], int(answer.headers["Total"])
        assert total > 10
        found = {}
        for part in link.split(", "):
            target, rel = part.split("; ")
            found[rel.removeprefix('rel="').removesuffix('"')] = target.strip("<>")
        return found

    assert set(rels(1)) == {"next", "last"}
    middle = rels(2)
    assert set(middle) == {"first", "prev", "next", "last"}
    assert middle["prev"].endswith("page=1&per_page=5") and middle["next"].endswith(
        "page=3&per_page=5"
    )
    assert "project_id=2001" in middle["first"]
    last_page = int(urllib.parse.parse_qs(urllib.parse.urlsplit(middle["last"]).query)["page"][0])
    assert set(rels(last_page)) == {"first", "prev", "last"}


def test_a_system_whose_native_line_drops_a_key_part_it_accepted_is_stopped_not_duplicated():
    # Yardi as it was before its key_of: it stored a sub job's line without the sub job, so no
    # PUT or DELETE of that key ever found it again.
    drifting = dataclasses.replace(yardi.SYSTEM, key_of=lambda job, line: line)
    fresh = State(systems={drifting.name: drifting})
    fresh.reset()
    client = create_app(sandbox_state=fresh).test_client()
    path = "/sandbox/budgets/yardi/bb_demo/Y-1301"
    before = client.get(path).get_json()["lines"]

    answer = client.put(f"{path}/lines", json={"sub_job": "01", "cost_code": "1000",
                                               "cost_type": "M", "amount": "1.00"})  # fmt: skip

    assert answer.status_code == 500
    assert "key_of and native disagree" in answer.get_json()["message"]
    assert client.get(path).get_json()["lines"] == before
