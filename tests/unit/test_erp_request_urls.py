"""Where a connector's request goes: a path is joined under the Base URL and can never change its
scheme, host or port or climb out of its path; Yardi's `service_path` is a plain path
(docs/adoption.md, "The ERP connection"; docs/erps/yardi.md)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.erp.common.http import ErpHttp
from chalicelib.adapters.erp.yardi import SERVICE, YardiSource, service_path, service_path_problem
from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpCredentials


@pytest.mark.parametrize(
    ("base_url", "path", "url"),
    [
        ("https://erp.example.com", "/entity/auth/login", "https://erp.example.com/entity/auth/login"),
        ("https://erp.example.com/", "/a?b=../c", "https://erp.example.com/a?b=../c"),
        ("https://www.yardiasp14.com/12345co", "Webservices/X.asmx",
         "https://www.yardiasp14.com/12345co/Webservices/X.asmx"),
        ("https://www.yardiasp14.com/12345co/", "/Webservices/X.asmx",
         "https://www.yardiasp14.com/12345co/Webservices/X.asmx"),
        ("http://127.0.0.1:4123", "4/steal", "http://127.0.0.1:4123/4/steal"),
        ("https://yardi.example.com", ".attacker.net/x", "https://yardi.example.com/.attacker.net/x"),
        ("https://yardi.example.com", "//attacker.net/x", "https://yardi.example.com/attacker.net/x"),
    ],
)  # fmt: skip
def test_a_path_is_joined_with_a_separator_under_the_base_url(
    base_url: str, path: str, url: str
) -> None:
    assert ErpHttp(base_url).url_of(path) == url


@pytest.mark.parametrize(
    "path",
    [
        "/../other/X.asmx",
        "/a/./b",
        "/a/%2e%2e/b",
        "/a/%2E%2e%2fother",
        "/a/..\\other",
        "/a/..",
        "@attacker.net/x/..",
    ],
)
def test_a_path_that_climbs_out_of_the_base_path_is_refused(path: str) -> None:
    with pytest.raises(ErpRejected) as refused:
        ErpHttp("https://www.yardiasp14.com/12345co", erp_name="Yardi Voyager").url_of(path)

    assert "would have left the connection's address" in refused.value.message


@pytest.mark.parametrize(
    "value",
    ["", "  ", "Webservices/ItfJobCost.asmx", "/Webservices/ItfJobCost.asmx",
     "/Webservices/ItfJobCost.asmx/", "60/steal", "voyager7/Web~services/Itf_Job-Cost.asmx",
     "a/b:c/d@e", "Web%20services/x.asmx"],
)  # fmt: skip
def test_a_plain_relative_service_path_is_accepted(value: str) -> None:
    assert service_path_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        ".attacker.net/x", "//attacker.net/x", "///x", "@attacker.net", ":8443/x",
        "https://attacker.net/x", "http:attacker.net", "a/../b", "..", "a/./b", "a//b",
        "a?b", "a#b", "a\\b", "a%2fb", "a%2Fb", "a%5cb", "%2e%2e/b", "a/%2E", "a%00b", "a%1fb",
        "a%7fb", "a\x00b", "a\nb", "a b", "a/.hidden", "a/:x", "a/@x", "/", "ä/b",
    ],
)  # fmt: skip
def test_a_service_path_that_could_name_a_host_or_climb_is_refused(value: str) -> None:
    problem = service_path_problem(value)

    assert problem is not None
    assert problem.startswith("The setting 'service_path' must be a path under the Base URL")


def test_the_service_path_is_called_as_one_path_under_the_base_url() -> None:
    assert service_path({}) == SERVICE
    assert service_path({"service_path": " "}) == SERVICE
    assert service_path({"service_path": "x/y.asmx/"}) == "/x/y.asmx"
    assert service_path({"service_path": "/x/y.asmx"}) == "/x/y.asmx"


def test_a_service_path_stored_before_the_rule_is_refused_before_any_envelope_is_sent() -> None:
    source = YardiSource(
        "https://yardi.example.com", {"service_path": ".attacker.net/x"},
        ErpCredentials.of(username="ops", password="pa55"),
    )  # fmt: skip

    with pytest.raises(ErpRejected) as refused:
        source.list_projects(0, 10)

    assert refused.value.message.startswith("The setting 'service_path' must be a path")
