"""Editing a line of a budget kept in Procore: the edit is written to Procore, then recorded.

A person's edit on the Budget tab reaches Procore's budget first (through Procore's REST API, here
the sandbox over real HTTP) and only then becomes Budget Bridge's next version, so the next
preview, which reads Procore, sees it, and history shows it (docs/targets/procore.md, "Editing a
line"). Whatever refuses the edit leaves both as they were.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from chalicelib.adapters.targets import procore as procore_adapter
from chalicelib.domain.errors import (
    BudgetLocked,
    ConcurrentChange,
    InvalidRequest,
    JobInProgress,
    NotFound,
    TargetRejected,
)
from chalicelib.domain.model import JobKind, JobStatus, LineItem, LineKind, VersionSource, WbsKey
from chalicelib.domain.ports import LineEdit
from chalicelib.services import budgets as budget_service
from chalicelib.services import history
from chalicelib.services.reimports import request_job
from devstack import demo_data
from devstack.sandbox.procore import ProcoreSandbox
from tests.fixtures.api import app_client
from tests.fixtures.procore import sandbox_switch
from tests.integration.api_support import TestIdentityProvider
from tests.integration.test_procore_target import (
    ADMIN,
    BUDGET,
    Pilot,
    _flat,
    _pilot,
    _with_amount,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ProcoreSandbox]:
    with ProcoreSandbox() as running:
        yield running


def _key(pilot: Pilot) -> WbsKey:
    """A key the ERP sends on one line only, so a re-import sets its amount as the ERP says."""
    keys = [line.key for line in pilot.erp.lines if line.kind is LineKind.COST]
    return next(key for key in keys if keys.count(key) == 1)


def _project_id(pilot: Pilot) -> str:
    return pilot.ports.budgets.get("pilot", BUDGET).project_id


def _edit(pilot: Pilot, key: WbsKey, edit: LineEdit) -> LineItem:
    return budget_service.edit_line(
        pilot.ports, ADMIN, "pilot", _project_id(pilot), key.line_item_id, edit
    )


def _recorded(pilot: Pilot) -> tuple[int, dict[WbsKey, LineItem]]:
    """Budget Bridge's current version and its lines."""
    budget = pilot.ports.budgets.get("pilot", BUDGET)
    return budget.version, {line.key: line for line in pilot.ports.budgets.read_lines(budget)}


def _units(row: dict) -> tuple:
    return (row["uom"], row["quantity"], row["unit_cost"], row["original_budget_amount"])


UNITS_AND_AMOUNT = LineEdit(
    uom="LF",
    quantity=Decimal("12.5"),
    unit_cost=Decimal("40.00"),
    original_budget_amount=Decimal("500.00"),
)


def test_an_edit_of_units_and_amount_reaches_procore_and_becomes_budget_bridge_s_next_version(
    sandbox,
):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    before = pilot.procore.by_flat_code()
    version, _ = _recorded(pilot)

    line = _edit(pilot, key, UNITS_AND_AMOUNT)

    after = pilot.procore.by_flat_code()
    assert _units(after[_flat(key)]) == ("LF", "12.5", "40.00", "500.00")
    assert {code: row for code, row in after.items() if code != _flat(key)} == {
        code: row for code, row in before.items() if code != _flat(key)
    }
    now, lines = _recorded(pilot)
    assert now == version + 1
    recorded = lines[key]
    assert recorded == line
    assert (recorded.uom, recorded.quantity, recorded.unit_cost) == (
        "LF",
        Decimal("12.5"),
        Decimal("40.00"),
    )
    assert recorded.original_budget_amount == Decimal("500.00")
    newest = history.list_history(pilot.ports, ADMIN, "pilot", _project_id(pilot), 1, None)
    assert (newest.items[0].version, newest.items[0].source) == (now, VersionSource.EDIT)


def test_a_unit_cost_finer_than_cents_reaches_procore_as_given(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)

    line = _edit(pilot, key, LineEdit(unit_cost=Decimal("12.345")))

    assert pilot.procore.by_flat_code()[_flat(key)]["unit_cost"] == "12.345"
    assert line.unit_cost == Decimal("12.345") == _recorded(pilot)[1][key].unit_cost


def test_an_edit_that_clears_a_unit_sets_it_to_null_in_procore_and_leaves_the_amount(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    before = pilot.procore.by_flat_code()[_flat(key)]
    assert before["unit_cost"] is not None

    _edit(pilot, key, LineEdit(description="Rebar, revised", clear=frozenset({"unit_cost"})))

    row = pilot.procore.by_flat_code()[_flat(key)]
    assert (row["description"], row["unit_cost"]) == ("Rebar, revised", None)
    assert (row["uom"], row["quantity"], row["original_budget_amount"]) == (
        before["uom"],
        before["quantity"],
        before["original_budget_amount"],
    )
    _, lines = _recorded(pilot)
    assert (lines[key].description, lines[key].unit_cost) == ("Rebar, revised", None)


def test_a_reimport_after_an_edit_keeps_the_edited_units_in_procore_and_moves_only_amounts(
    sandbox, monkeypatch
):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    synced: list[list[dict]] = []
    call = procore_adapter.ProcoreClient.call

    def recording(client, method, path, body=None):
        if path.endswith("/budget_line_items/sync"):
            synced.append(body["budget_line_items"])
        return call(client, method, path, body)

    monkeypatch.setattr(procore_adapter.ProcoreClient, "call", recording)
    _edit(pilot, key, UNITS_AND_AMOUNT)
    pilot.erp.lines = [
        _with_amount(line, Decimal("4321.09")) if line.key == key else line
        for line in pilot.erp.lines
    ]

    assert pilot.reimport() is JobStatus.SUCCEEDED, pilot.job().message

    assert _units(pilot.procore.by_flat_code()[_flat(key)]) == ("LF", "12.5", "40.00", "4321.09")
    _, lines = _recorded(pilot)
    assert (lines[key].uom, lines[key].quantity, lines[key].unit_cost) == (
        "LF",
        Decimal("12.5"),
        Decimal("40.00"),
    )
    assert lines[key].original_budget_amount == Decimal("4321.09")
    edit, *reimport = synced
    assert [set(update) for update in edit] == [
        {"wbs_code_id", "uom", "quantity", "unit_cost", "original_budget_amount"}
    ]
    assert reimport and all(
        set(update) <= {"wbs_code_id", "original_budget_amount", "description"}
        for batch in reimport
        for update in batch
    )


def test_an_edit_of_a_budget_locked_in_procore_is_refused_and_changes_nothing(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    pilot.procore.lock(True)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)

    with pytest.raises(BudgetLocked) as refused:
        _edit(pilot, key, UNITS_AND_AMOUNT)

    assert refused.value.message == (
        f"The budget for {pilot.ports.budgets.get('pilot', BUDGET).project_name} is locked in "
        "Procore. Unlock the budget to edit its lines."
    )
    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_the_api_answers_409_budget_locked_for_an_edit_of_a_budget_locked_in_procore(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    pilot.procore.lock(True)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)
    identity = TestIdentityProvider()
    pilot.ports.identity = identity
    path = (
        f"/api/v1/companies/pilot/projects/{_project_id(pilot)}/budget/line_items/"
        f"{key.line_item_id}"
    )

    with app_client(pilot.ports) as client:
        answer = client.http.patch(
            path,
            headers={**identity.bearer(ADMIN.email), "Content-Type": "application/json"},
            body=json.dumps({"uom": "LF", "original_budget_amount": "500.00"}),
        )

    assert answer.status_code == 409
    assert json.loads(answer.body)["error"]["code"] == "budget_locked"
    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_procore_refusing_the_edit_answers_its_reason_and_records_nothing(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 1}
    )

    with pytest.raises(TargetRejected) as refused:
        _edit(pilot, key, UNITS_AND_AMOUNT)

    assert refused.value.message.startswith(f"Procore did not take the edit of {key.label()}")
    assert "sandbox fault" in refused.value.message
    assert "Nothing was changed" in refused.value.message
    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded
    assert not pilot.ports.audit.list("pilot", 10, None).items


def test_a_version_that_cannot_be_recorded_puts_procore_s_previous_values_back(
    sandbox, monkeypatch
):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)
    seen: list[dict] = []

    def moved_on(*args, **kwargs):
        seen.append(pilot.procore.by_flat_code()[_flat(key)])  # Procore took the edit
        raise ConcurrentChange("The budget changed meanwhile; read it again and retry.")

    monkeypatch.setattr(pilot.ports.budgets, "edit_line", moved_on)

    with pytest.raises(ConcurrentChange):
        _edit(pilot, key, UNITS_AND_AMOUNT)

    assert _units(seen[0]) == ("LF", "12.5", "40.00", "500.00")
    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_a_line_procore_does_not_hold_is_refused_with_a_sentence_and_not_created(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    with sandbox.state.lock:  # the key is in Budget Bridge's version but not in Procore
        project = sandbox.state.companies[int(demo_data.PROCORE_COMPANY_ID)].projects[
            int(demo_data.PROCORE_PROJECT_ID)
        ]
        gone = next(
            line
            for line in project.lines.values()
            if project.wbs_codes[line.wbs_code_id].flat_code == _flat(key)
        )
        del project.lines[gone.id]
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)
    assert key in recorded[1]

    with pytest.raises(NotFound, match="in Procore has no line"):
        _edit(pilot, key, UNITS_AND_AMOUNT)

    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_an_amount_edit_waits_for_a_job_applying_to_the_procore_budget(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)

    with pytest.raises(JobInProgress):
        _edit(pilot, key, LineEdit(original_budget_amount=Decimal("500.00")))

    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_an_invalid_value_is_refused_before_anything_is_written_to_procore(sandbox):
    pilot = _pilot(sandbox)
    key = _key(pilot)
    before, recorded = pilot.procore.by_flat_code(), _recorded(pilot)
    calls = len(sandbox.state.calls)

    with pytest.raises(InvalidRequest, match="original_budget_amount is not valid"):
        _edit(pilot, key, LineEdit(uom="LF", original_budget_amount=Decimal("1.001")))

    assert not [route for _, route in sandbox.state.calls[calls:] if "sync" in route]
    assert pilot.procore.by_flat_code() == before
    assert _recorded(pilot) == recorded


def test_an_edit_reads_procore_s_budget_only_as_far_as_the_edited_line(sandbox):
    """A person waits for an edit: Procore's pages are read until the line turns up, not to the
    end (a budget of tens of thousands of lines is tens of pages)."""
    grown = demo_data.large_project(BUDGET, 2500, seed=5, company_id="pilot")
    pilot = _pilot(sandbox, grown)
    first = pilot.procore.lines()[0]
    key = WbsKey(
        (first["sub_job"] or {}).get("code", ""),
        first["cost_code"]["full_code"],
        first["line_item_type"]["code"],
    )
    since = time.time()

    line = _edit(pilot, key, LineEdit(original_budget_amount=Decimal("12.34")))

    with sandbox.state.lock:
        reads = [
            route
            for moment, route in sandbox.state.calls
            if moment >= since and route.endswith("/rest/v1.0/budget_line_items")
        ]
    assert len(reads) == 1  # of the 3 pages
    assert line.original_budget_amount == Decimal("12.34")
    assert pilot.procore.by_flat_code()[_flat(key)]["original_budget_amount"] == "12.34"
