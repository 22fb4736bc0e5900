"""A budget locked in Procore shows as locked in the Budgets list and on its Budget tab.

Procore's lock is read from Procore whenever Budget Bridge has a reason to ask (a request, a job,
a person opening the budget) and remembered on the budget, so the list tells the truth without a
Procore call per row (docs/targets/procore.md, "The lock in the lists").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ErpCredentials,
    TargetConfig,
    TargetKind,
    TargetLine,
    TargetWrite,
    WbsKey,
)
from tests.integration.api_support import World, erp_user, line

BUDGETS = "/api/v1/companies/demo/erp/budgets"
BUDGET_ID = "b-3001"
PROJECT = "/api/v1/companies/demo/projects/p-3001/budget"


@dataclass
class FakeProcore:
    """One Procore project's budget lock; the list must never need anything else from it."""

    name: str = "Procore"
    batch_size: int = 1000
    is_locked: bool = False
    lock_reads: list[str] = field(default_factory=list)

    def locked(self) -> bool:
        self.lock_reads.append("locked")
        return self.is_locked

    def read_lines(self) -> list[TargetLine]:
        raise AssertionError("no job runs in these tests")

    def find_line(self, key: WbsKey) -> TargetLine | None:
        raise AssertionError("no line is edited in these tests")

    def check_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> None:
        raise AssertionError("no job runs in these tests")

    def ensure_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> dict[WbsKey, str]:
        raise AssertionError("no job runs in these tests")

    def write(self, writes: Sequence[TargetWrite]) -> None:
        raise AssertionError("no job runs in these tests")

    def remove_lines(self, refs: Sequence[str]) -> None:
        raise AssertionError("no job runs in these tests")


@pytest.fixture
def procore(world: World) -> FakeProcore:
    """Company demo keeps its budgets in Procore; b-3001 lives in Procore project 2001."""
    fake = FakeProcore()
    secret_id = "budget-bridge/target/demo"
    world.ports.secrets.put_erp_credentials(
        secret_id, ErpCredentials.of(client_id="pilot-client", client_secret="pilot-secret")
    )
    world.ports.directory.save_target(
        "demo",
        TargetConfig(
            target=TargetKind.PROCORE,
            base_url="https://api.procore.com",
            procore_company_id="1001",
            credentials_secret_id=secret_id,
        ),
    )
    world.budgets.create_budget(
        Budget(
            company_id="demo",
            budget_id=BUDGET_ID,
            project_id="p-3001",
            project_name="Project 3001 of demo",
            erp_job_id="P-3001",
            erp_system="acumatica",
            status=BudgetStatus.SYNCED,
            target_project_id="2001",
        ),
        [line("01", "03-300", "M", "1250.00", quantity=Decimal("10"))],
    )
    world.ports.remote_budgets = lambda config, credentials, project_id: fake
    return fake


def _row(client: Client, world: World) -> dict[str, Any]:
    answer = client.http.get(BUDGETS, headers=world.headers(erp_user("standard")))
    assert answer.status_code == 200
    rows = json.loads(answer.body)["budgets"]
    return next(row for row in rows if row["budget_id"] == BUDGET_ID)


def _reimport(client: Client, world: World, **headers: str) -> Any:
    headers |= world.headers(erp_user("standard"))
    return client.http.post(f"{BUDGETS}/{BUDGET_ID}/reimport", headers=headers, body="{}")


@pytest.mark.parametrize("key", [{}, {"Idempotency-Key": "click-1"}], ids=["no key", "a key"])
def test_a_budget_locked_in_procore_lists_locked_and_offers_no_reimport(
    client: Client, world: World, procore: FakeProcore, key: dict[str, str]
) -> None:
    assert _row(client, world)["can_reimport"] is True  # nothing read from Procore yet
    procore.is_locked = True

    refused = _reimport(client, world, **key)
    reads = len(procore.lock_reads)
    row = _row(client, world)

    assert refused.status_code == 409
    assert json.loads(refused.body)["error"]["code"] == "budget_locked"
    assert (row["locked"], row["locked_in_target"], row["can_reimport"]) == (True, True, False)
    assert len(procore.lock_reads) == reads  # the list asked Procore nothing


def test_opening_the_budget_reads_procores_lock_afresh_and_the_list_follows(
    client: Client, world: World, procore: FakeProcore
) -> None:
    headers = world.headers(erp_user("standard"))
    procore.is_locked = True
    locked = json.loads(client.http.get(PROJECT, headers=headers).body)
    listed_locked = _row(client, world)
    procore.is_locked = False  # unlocked in Procore's Budget tool
    unlocked = json.loads(client.http.get(PROJECT, headers=headers).body)
    listed_unlocked = _row(client, world)

    assert (locked["locked"], locked["locked_in_target"]) == (True, True)
    assert (listed_locked["locked"], listed_locked["can_reimport"]) == (True, False)
    assert (unlocked["locked"], unlocked["locked_in_target"]) == (False, False)
    assert (listed_unlocked["locked"], listed_unlocked["can_reimport"]) == (False, True)
    assert _reimport(client, world).status_code == 202


def test_a_company_back_on_budget_bridge_has_no_procore_lock(
    client: Client, world: World, procore: FakeProcore
) -> None:
    procore.is_locked = True
    _reimport(client, world)
    world.ports.directory.save_target("demo", TargetConfig())

    row = _row(client, world)

    assert (row["locked"], row["locked_in_target"], row["can_reimport"]) == (False, False, True)
