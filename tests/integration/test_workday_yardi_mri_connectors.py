"""What Workday, Yardi Voyager and MRI Platform X do beyond the connector contract.

Workday names a missing report column; Yardi's XML is parsed with entities refused (a billion
laughs and an external entity are turned away with a sentence, never expanded) and its SOAP faults
are permanent or transient as their code says; MRI follows next links only on its own address.
"""

from __future__ import annotations

import http.server

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.mri import MriSource
from chalicelib.adapters.erp.workday import WorkdaySource
from chalicelib.adapters.erp.yardi import YardiSource, parse
from chalicelib.domain.errors import ErpRejected, ErpUnavailable
from chalicelib.domain.model import ErpCredentials
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.http import serving

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetJobCostBudgetResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfJobCost">
<GetJobCostBudgetResult MoreRows="false"><Line><Description>&lol9;</Description></Line>
</GetJobCostBudgetResult></GetJobCostBudgetResponse></soap:Body></soap:Envelope>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetJobCostBudgetResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfJobCost">
<GetJobCostBudgetResult MoreRows="false"><Line><Description>&xxe;</Description></Line>
</GetJobCostBudgetResult></GetJobCostBudgetResponse></soap:Body></soap:Envelope>"""


def _source(kind: type, sandbox: SandboxErp, company_id: str, **settings: str):  # type: ignore[no-untyped-def]
    saved = demo_data.company(company_id).erp_connection()
    return kind(sandbox.url + saved.path, {**saved.settings, **settings},
                ErpCredentials(dict(saved.credentials)), limits=Limits(timeout=10, allow_local_urls=True),
                sleep=lambda seconds: None)  # fmt: skip


# -- Workday -------------------------------------------------------------------------------------


def test_a_workday_report_without_a_configured_column_fails_naming_it(sandbox, switch):
    source = _source(WorkdaySource, sandbox, "workday", cost_type_column="Spend_Category")

    with pytest.raises(ErpRejected) as refused:
        source.fetch_budget("W-1201")

    assert "'Spend_Category'" in refused.value.message
    assert "cost_type_column" in refused.value.message


def test_workday_column_names_are_settings(sandbox, switch):
    # The demo report's columns, named explicitly, read the same budget as the defaults.
    named = _source(WorkdaySource, sandbox, "workday", amount_column="Budget_Amount",
                    cost_code_column="Cost_Code", sub_job_column="Project_Phase")  # fmt: skip
    default = _source(WorkdaySource, sandbox, "workday")

    assert named.fetch_budget("W-1201") == default.fetch_budget("W-1201")
    assert {line.key.sub_job for line in default.fetch_budget("W-1201")} >= {"01", "02"}


def test_a_blank_workday_sub_job_column_means_the_report_has_no_sub_jobs(sandbox, switch):
    lines = _source(WorkdaySource, sandbox, "workday", sub_job_column="").fetch_budget("W-1201")

    assert {line.key.sub_job for line in lines} == {""}


# -- Yardi ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_yardi_xml_with_entities_is_refused_not_expanded(document):
    with pytest.raises(ErpRejected, match="declared a DTD or entities"):
        parse(document)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_a_yardi_answer_with_entities_fails_the_read_with_a_sentence(sandbox, switch, document):
    switch.fault(fail_next=1, status=200, body=document.decode(), prefix="yardi")

    with pytest.raises(ErpRejected) as refused:
        _source(YardiSource, sandbox, "yardi").fetch_budget("Y-1301")

    assert "root:" not in str(refused.value) and "lollol" not in str(refused.value)


def test_a_yardi_client_fault_is_permanent_and_not_retried(sandbox, switch):
    source = _source(YardiSource, sandbox, "yardi", interface_entity="Someone Else")

    with pytest.raises(ErpRejected) as refused:
        source.fetch_budget("Y-1301")

    assert "Invalid Username" in refused.value.message
    assert "interface entity" in refused.value.message


def test_a_yardi_server_fault_is_transient(sandbox, switch):
    switch.fault(fail_next=5, status=500, prefix="yardi")

    with pytest.raises(ErpUnavailable, match="try again"):
        _source(YardiSource, sandbox, "yardi").fetch_budget("Y-1301")


def test_a_job_yardi_does_not_know_is_a_permanent_error(sandbox, switch):
    with pytest.raises(ErpRejected, match="Y-9999"):
        _source(YardiSource, sandbox, "yardi").fetch_budget("Y-9999")


def test_yardis_inverted_names_are_mapped_category_to_cost_code(sandbox, switch):
    lines = _source(YardiSource, sandbox, "yardi").fetch_budget("Y-1301")

    cost = [line for line in lines if line.kind.value == "cost"]
    assert {line.key.cost_code for line in cost} <= set(demo_data.YARDI_COST_CATEGORIES)
    assert {line.key.cost_type for line in cost} <= set(demo_data.COST_TYPES)
    assert {line.key.sub_job for line in lines} == {""}


# -- MRI -----------------------------------------------------------------------------------------


def test_mri_lines_without_a_category_take_the_default_cost_type(sandbox, switch):
    switch.put("mri", "BBDEMO", "R-1401", sub_job="", cost_code="100-01", cost_type="O",
               amount="77.00")  # fmt: skip
    source = _source(MriSource, sandbox, "mri", default_cost_type="E")

    lines = source.fetch_budget("R-1401")

    assert any(line.key.cost_code == "100-01" and line.key.cost_type == "E" for line in lines)


class _Linker(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = b'{"value": [], "nextLink": "http://169.254.169.254/latest/meta-data"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


def test_an_mri_next_link_to_another_address_is_not_followed():
    with serving(_Linker) as server:
        source = MriSource(f"http://127.0.0.1:{server.server_port}", {"client_id": "A",
                           "database": "B"}, ErpCredentials.of(username="u", password="p"),
                           limits=Limits(allow_local_urls=True))  # fmt: skip
        with pytest.raises(ErpRejected, match="another address"):
            source.fetch_budget("R-1")
