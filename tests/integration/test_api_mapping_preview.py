"""The mapping preview route: an ERP job's first 20 lines as the saved connection maps them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.errors import ErpRejected
from chalicelib.domain.model import ErpLine, LineKind, WbsKey
from tests.fixtures.api import app_client
from tests.integration.api_support import World, build_world, erp_user

URL = "/api/v1/companies/demo/erp/mapping-preview"


@pytest.fixture
def world() -> World:
    seeded = build_world()
    seeded.restore()  # each company's connection with its stored ERP credentials
    return seeded


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with app_client(world.ports) as test_client:
        yield test_client


def _get(client: Client, world: World, query: str, user: str = "admin") -> Any:
    return client.http.get(URL + query, headers=world.headers(erp_user(user)))


class ManyLines:
    """An ERP job of 45 lines, the last a revenue line; remembers the job asked for."""

    asked: list[str] = []

    def __call__(self, connection: Any, credentials: Any) -> ManyLines:
        return self

    def fetch_budget(self, erp_job_id: str, on_page: Any = None) -> list[ErpLine]:
        self.asked.append(erp_job_id)
        return [
            ErpLine(n, f"r{n}", WbsKey("", f"{n:03d}", "L"),
                    LineKind.REVENUE if n == 45 else LineKind.COST, Decimal("1000.07"), f"Line {n}")
            for n in range(1, 46)
        ]  # fmt: skip


def test_an_erp_admin_sees_the_first_20_mapped_lines_of_the_chosen_job(client, world):
    source = ManyLines()
    world.ports.erp_sources = source  # type: ignore[misc]

    answer = _get(client, world, "?erp_job_id=Q-8001")

    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert source.asked == ["Q-8001"]
    assert body["erp_job_id"] == "Q-8001" and body["erp_system"] == "acumatica"
    assert body["total_lines"] == 45 and len(body["lines"]) == 20
    assert body["lines"][0] == {"line": 1, "sub_job": "", "cost_code": "001", "cost_type": "L",
                                "kind": "cost", "amount": "1000.07", "description": "Line 1"}  # fmt: skip


def test_an_erp_job_is_required_and_only_an_erp_admin_may_preview(client, world):
    missing = _get(client, world, "")
    assert missing.status_code == 400
    assert "erp_job_id" in json.loads(missing.body)["error"]["message"]
    assert _get(client, world, "?erp_job_id=P-1001", user="standard").status_code == 403


def test_an_erp_refusal_is_a_sentence_not_a_crash(client, world):
    class Refusing:
        def __call__(self, connection: Any, credentials: Any) -> Refusing:
            return self

        def fetch_budget(self, erp_job_id: str, on_page: Any = None) -> list[ErpLine]:
            raise ErpRejected("QuickBooks Online has no budget named 'FY1999'.")

    world.ports.erp_sources = Refusing()  # type: ignore[misc]
    answer = _get(client, world, "?erp_job_id=Q-8001")
    assert answer.status_code == 502
    assert "FY1999" in json.loads(answer.body)["error"]["message"]


def test_a_job_the_erp_does_not_have_answers_404_with_the_erps_sentence(client, world):
    from chalicelib.adapters.erp.common.jobs import no_such_job

    class Unknown:
        def __call__(self, connection: Any, credentials: Any) -> Unknown:
            return self

        def fetch_budget(self, erp_job_id: str, on_page: Any = None) -> list[ErpLine]:
            raise no_such_job("acumatica", erp_job_id)

    world.ports.erp_sources = Unknown()  # type: ignore[misc]
    answer = _get(client, world, "?erp_job_id=NOPE-1")
    assert answer.status_code == 404, answer.body
    error = json.loads(answer.body)["error"]
    assert error["code"] == "erp_job_not_found"
    assert "has no project 'NOPE-1'" in error["message"]
