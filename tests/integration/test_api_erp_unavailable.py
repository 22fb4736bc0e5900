"""A route that reads the ERP itself (the project list, the cost catalog, the mapping preview)
when the ERP does not answer: 503 with a sentence that promises no job, and the ERP's own wait."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.errors import ErpUnavailable
from chalicelib.domain.model import ErpCredentials
from tests.integration.api_support import World, erp_user


class _Down:
    def __init__(self, retry_after_seconds: float | None) -> None:
        self.retry_after_seconds = retry_after_seconds

    def _fail(self, *args: Any) -> Any:
        raise ErpUnavailable(
            "Acumatica asked us to slow down (429) when trying to list the projects; the job will "
            "try again.",
            retry_after_seconds=self.retry_after_seconds,
        )

    list_projects = cost_catalog = fetch_budget = _fail


@pytest.mark.parametrize(("asked", "header"), [(119.2, "120"), (None, "30")])
def test_the_erp_not_answering_a_route_is_a_503_that_promises_no_job(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch, asked: float | None, header: str
) -> None:
    saved = ErpCredentials.of(username="admin", password="sandbox")
    monkeypatch.setattr(world.ports.secrets, "erp_credentials", lambda secret_id: saved)
    world.ports.erp_sources = lambda connection, credentials: _Down(asked)

    answer = client.http.get(
        "/api/v1/companies/demo/erp/projects", headers=world.headers(erp_user("admin"))
    )

    assert answer.status_code == 503, answer.body
    assert answer.headers["Retry-After"] == header
    error = json.loads(answer.body)["error"]
    assert error["code"] == "erp_unavailable"
    assert "the job will try again" not in error["message"]
    assert error["message"].startswith("Acumatica asked us to slow down (429)")
    assert error["message"].endswith("Please try again shortly.")


def test_a_sentence_that_promises_no_job_keeps_its_own_advice() -> None:
    """A Procore line edit's refusal already says what to do; it gains no second sentence."""
    from chalicelib.domain.errors import TargetUnavailable
    from chalicelib.entrypoints.api.errors import to_response

    said = "Procore did not answer; nothing was changed. Try again in a moment."
    answer = to_response(TargetUnavailable(said))

    assert answer.status_code == 503
    assert answer.body["error"]["message"] == said
    assert answer.headers["Retry-After"] == "30"
