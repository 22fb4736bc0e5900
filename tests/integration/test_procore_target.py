"""Re-importing into Procore: the Procore target against the Procore sandbox over real HTTP.

What a person checks in Procore afterwards (through Procore's own REST API): new amounts with
units and quantities untouched, added keys with a WBS code of their own, dropped keys at 0, and,
whenever anything goes wrong between request and the last batch, every amount as it was.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from itertools import count
from types import SimpleNamespace

import pytest

from chalicelib.adapters.targets import procore as procore_adapter
from chalicelib.adapters.targets.procore import ProcoreBudget, forget_tokens
from chalicelib.domain.errors import (
    BudgetLocked,
    ErpUnavailable,
    InvalidTargetProject,
    JobInProgress,
    TargetRejected,
    TargetUnavailable,
    UnsafeErpAddress,
)
from chalicelib.domain.model import (
    CostCatalog,
    ErpCredentials,
    ErpLine,
    ErpProject,
    ErpProjectPage,
    JobKind,
    JobStatus,
    LineKind,
    PreviewBasis,
    TargetConfig,
    TargetKind,
    TargetWrite,
    WbsKey,
)
from chalicelib.domain.ports import Identity, JobMessage, RemoteBudget
from chalicelib.services import erp_projects, history, reimports
from chalicelib.services.ports import Ports
from chalicelib.services.reimports import request_job, request_preview, run_job
from chalicelib.services.targets import PutBackUnfinished, TargetChoice, put_target
from devstack import demo_data, seed
from devstack.sandbox.procore import ProcoreSandbox
from tests import worlds
from tests.fixtures.procore import ProcoreClient, sandbox_switch
from tests.fixtures.services import Clock, FakeErp

ADMIN = Identity(email="admin@pilot.test", subject="admin@pilot.test")
BUDGET = "K-4001"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ProcoreSandbox]:
    with ProcoreSandbox() as running:
        yield running


@dataclass
class Pilot:
    ports: Ports
    erp: FakeErp
    procore: ProcoreClient
    sandbox: ProcoreSandbox

    def reimport(self) -> JobStatus:
        job = request_job(self.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
        message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
        self.message = message
        return run_job(self.ports, message, final_attempt=False).job.status

    def job(self):  # the last job
        return self.ports.jobs.get("pilot", self.message.job_id)

    def amounts(self) -> dict[str, str]:
        return {
            code: row["original_budget_amount"] for code, row in self.procore.by_flat_code().items()
        }


def _pilot(sandbox: ProcoreSandbox, project: demo_data.DemoProject | None = None) -> Pilot:
    sandbox.state.reset()
    forget_tokens()
    company = demo_data.company("pilot")
    project = project or company.projects[0]
    if project is not company.projects[0]:
        with sandbox.state.lock:
            held = sandbox.state.companies[int(demo_data.PROCORE_COMPANY_ID)]
            held.projects[int(demo_data.PROCORE_PROJECT_ID)] = sandbox.state.project_from_demo(
                int(demo_data.PROCORE_PROJECT_ID), project
            )
    stores = worlds.stores("memory")
    catalog = CostCatalog(frozenset(company.cost_codes), frozenset(company.cost_types))
    stores.directory.put_company("pilot", company.name)
    stores.directory.put_cost_catalog("pilot", catalog)
    stores.directory.save_target(
        "pilot",
        TargetConfig(
            target=TargetKind.PROCORE,
            base_url=sandbox.url,
            procore_company_id=demo_data.PROCORE_COMPANY_ID,
            credentials_secret_id="pilot-procore",
        ),
    )
    stores.secrets.put(
        "pilot-procore",
        ErpCredentials.of(
            client_id=demo_data.PROCORE_CLIENT_ID, client_secret=demo_data.PROCORE_CLIENT_SECRET
        ),
    )
    from chalicelib.domain.model import ErpConnection, Permission

    stores.directory.put_erp_connection(
        "pilot",
        ErpConnection(
            erp_system="acumatica",
            base_url="http://erp.invalid",
            credentials_secret_id="pilot-procore",
        ),
    )
    stores.directory.put_member("pilot", ADMIN.email, Permission.ADMIN, Permission.ADMIN)
    budget, lines = seed.project_budget(company, project, catalog, Clock()())
    budget = budget.model_copy(
        update={"budget_id": BUDGET, "target_project_id": demo_data.PROCORE_PROJECT_ID}
    )
    stores.budgets.create_budget(budget, lines)
    erp = FakeErp(seed.erp_lines(company, project))
    ids = count(1)
    ports = worlds.ports(
        stores, erp_sources=erp, clock=Clock(), new_id=lambda: f"job-{next(ids)}",
        remote_budgets=partial(ProcoreBudget.from_config, allow_local_urls=True),
    )  # fmt: skip
    return Pilot(ports, erp, ProcoreClient(sandbox.url), sandbox)


def _with_amount(line: ErpLine, amount: Decimal) -> ErpLine:
    return replace(line, amount=amount)


def _flat(key: WbsKey) -> str:
    return ".".join(part for part in (key.sub_job, key.cost_code, key.cost_type) if part)


def test_reimport_writes_the_erp_amounts_to_procore_and_leaves_units_as_they_were(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.procore.by_flat_code()
    cost = [line for line in pilot.erp.lines if line.kind is LineKind.COST]
    changed, dropped = cost[-1], cost[-2]
    added = WbsKey("02", "26-100", "O")
    assert _flat(added) not in before
    lines = [line for line in pilot.erp.lines if line.key != dropped.key]
    lines = [_with_amount(line, Decimal("4321.09")) if line is changed else line for line in lines]
    lines.append(ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"))
    pilot.erp.lines = lines

    assert pilot.reimport() is JobStatus.SUCCEEDED
    assert pilot.job().message == "Successfully Re-imported to Procore"
    after = pilot.procore.by_flat_code()
    row = after[_flat(changed.key)]
    assert row["original_budget_amount"] == "4321.09"
    assert (row["uom"], row["quantity"], row["unit_cost"]) == (
        before[_flat(changed.key)]["uom"],
        before[_flat(changed.key)]["quantity"],
        before[_flat(changed.key)]["unit_cost"],
    )
    assert row["uom"] and row["quantity"]
    assert after[_flat(dropped.key)]["original_budget_amount"] == "0.00"
    assert after[_flat(added)]["original_budget_amount"] == "777.70"
    assert after[_flat(added)]["description"] == "New electrical"
    assert _flat(added) in {code["flat_code"] for code in pilot.procore.wbs_codes()}
    summary = pilot.job().summary
    assert (summary.lines_updated, summary.lines_added, summary.lines_zeroed) == (1, 1, 1)
    # Budget Bridge keeps the version it wrote, for history.
    mirror = {
        line.key: line.original_budget_amount
        for line in pilot.ports.budgets.read_lines(pilot.ports.budgets.get("pilot", BUDGET))
    }
    assert mirror[added] == Decimal("777.70") and mirror[dropped.key] == Decimal("0.00")


def test_a_new_key_s_wbs_code_is_made_of_the_ids_of_procore_s_segment_items(sandbox):
    """Procore creates a WBS code from `{segment_id, segment_item_id}` pairs; the code is the
    project's sub job 02, cost code 100 under division 26, and cost type O."""
    pilot = _pilot(sandbox)
    added = WbsKey("02", "26-100", "O")
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]

    assert pilot.reimport() is JobStatus.SUCCEEDED

    code = next(c for c in pilot.procore.wbs_codes() if c["flat_code"] == _flat(added))
    assert [item["path_codes"] for item in code["segment_items"]] == [["02"], ["26", "100"], ["O"]]
    assert code["description"] == "New electrical"


def test_a_wbs_code_procore_holds_without_a_line_is_used_not_created_again(sandbox):
    pilot = _pilot(sandbox)
    added = WbsKey("02", "26-100", "O")
    project = f"/rest/v1.0/projects/{demo_data.PROCORE_PROJECT_ID}/work_breakdown_structure"
    segments = pilot.procore.request("GET", f"{project}/segments")
    items = []
    for segment, code in zip(segments, ("02", "26-100", "O"), strict=True):
        rows = pilot.procore.request("GET", f"{project}/segments/{segment['id']}/segment_items")
        item = next(row for row in rows if row["path_code"] == code and not row["is_parent"])
        items.append({"segment_id": segment["id"], "segment_item_id": item["id"]})
    made = pilot.procore.request("POST", f"{project}/wbs_codes", {"segment_items": items})
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]
    since = time.time()

    assert pilot.reimport() is JobStatus.SUCCEEDED

    with sandbox.state.lock:
        routes = [route for moment, route in sandbox.state.calls if moment >= since]
    assert any(route.startswith("GET") and route.endswith("/wbs_codes") for route in routes)
    assert not any(route.startswith("POST") and "wbs_codes" in route for route in routes)
    assert pilot.procore.by_flat_code()[_flat(added)]["wbs_code"]["id"] == made["id"]


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        (  # the segment's and the item's names, not their ids
            {"segment_items": [{"segment": "cost_code", "code": "26-100"}]},
            400,
            "segment_items must be a list of {segment_id, segment_item_id}",
        ),
        ({"segment_items": [{"segment_id": 1, "segment_item_id": 2}]}, 422, "does not exist"),
        ("division", 422, "is a division, not a code"),
    ],
    ids=["by-name", "unknown-item", "division"],
)
def test_the_sandbox_creates_a_wbs_code_from_segment_item_ids_only(sandbox, body, status, said):
    pilot = _pilot(sandbox)
    project = f"/rest/v1.0/projects/{demo_data.PROCORE_PROJECT_ID}/work_breakdown_structure"
    if body == "division":
        cost_codes = pilot.procore.request("GET", f"{project}/segments")[1]
        rows = pilot.procore.request("GET", f"{project}/segments/{cost_codes['id']}/segment_items")
        division = next(row for row in rows if row["is_parent"])
        body = {
            "segment_items": [{"segment_id": cost_codes["id"], "segment_item_id": division["id"]}]
        }
    with pytest.raises(urllib.error.HTTPError) as refused:
        pilot.procore.request("POST", f"{project}/wbs_codes", body)
    assert refused.value.code == status
    assert said in json.load(refused.value)["errors"]


def _known_to_budget_bridge_only(pilot: Pilot) -> None:
    """Cost code 99-900 and cost type X are the company's in Budget Bridge (so ERP lines on
    them are valid) but not in Procore's Work Breakdown Structure."""
    company = demo_data.company("pilot")
    pilot.ports.directory.put_cost_catalog(
        "pilot",
        CostCatalog(
            frozenset({*company.cost_codes, "99-900"}), frozenset({*company.cost_types, "X"})
        ),
    )


def _sub_jobs(pilot: Pilot) -> list[str]:
    """The codes of the Procore project's Sub Job segment items."""
    project = f"/rest/v1.0/projects/{demo_data.PROCORE_PROJECT_ID}/work_breakdown_structure"
    segment = pilot.procore.request("GET", f"{project}/segments")[0]
    assert segment["name"] == "Sub Job"
    rows = pilot.procore.request("GET", f"{project}/segments/{segment['id']}/segment_items")
    return sorted(row["code"] for row in rows)


def test_new_keys_whose_codes_procore_lacks_fail_the_job_naming_each_line_and_change_nothing(
    sandbox,
):
    """Procore creates a WBS code only from segment items it holds: a cost code or cost type
    the project's Work Breakdown Structure lacks is named, line by line, before anything is
    written or created (not even the new sub job another line needs)."""
    pilot = _pilot(sandbox)
    _known_to_budget_bridge_only(pilot)
    before, codes_before, sub_jobs = (
        pilot.amounts(),
        len(pilot.procore.wbs_codes()),
        _sub_jobs(pilot),
    )
    cost = [line for line in pilot.erp.lines if line.kind is LineKind.COST]
    pilot.erp.lines = [
        *(
            _with_amount(line, Decimal("1.23")) if line is cost[0] else line
            for line in pilot.erp.lines
        ),
        ErpLine(98, "new-1", WbsKey("07", "26-100", "O"), LineKind.COST, Decimal("5.00"), "New"),
        ErpLine(99, "new-2", WbsKey("02", "99-900", "O"), LineKind.COST, Decimal("6.00"), "Code"),
        ErpLine(100, "new-3", WbsKey("02", "26-100", "X"), LineKind.COST, Decimal("7.00"), "Type"),
    ]

    assert pilot.reimport() is JobStatus.FAILED

    job = pilot.job()
    assert job.error_code == "target_rejected"
    assert "Work Breakdown Structure" in job.message and "Nothing was written" in job.message
    # Each error is on the ERP line of its key, as the rules number bad lines.
    assert [(error.line, error.field) for error in job.errors] == [
        (99, "cost_code"),
        (100, "cost_type"),
    ]
    said = {error.field: error.message for error in job.errors}
    assert said.keys() == {"cost_code", "cost_type"}
    assert said["cost_code"].startswith("02 / 99-900 / O: ")
    assert "no Cost Code 99-900" in said["cost_code"]
    assert (
        said["cost_type"].startswith("02 / 26-100 / X: ") and "no Cost Type X" in said["cost_type"]
    )
    assert pilot.amounts() == before
    assert len(pilot.procore.wbs_codes()) == codes_before
    assert _sub_jobs(pilot) == sub_jobs


def test_a_new_sub_job_is_added_to_the_procore_project_and_its_line_created(sandbox):
    """Procore keeps sub jobs per project: a key on an ERP task the project does not have yet
    adds that sub job (Create Project Segment Item), then its WBS code and line."""
    pilot = _pilot(sandbox)
    added = WbsKey("07", "26-100", "O")
    assert "07" not in _sub_jobs(pilot)
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]

    assert pilot.reimport() is JobStatus.SUCCEEDED

    assert "07" in _sub_jobs(pilot)
    assert pilot.procore.by_flat_code()[_flat(added)]["original_budget_amount"] == "777.70"


def test_a_preview_names_the_new_lines_whose_codes_procore_lacks_as_its_reimport_would(sandbox):
    pilot = _pilot(sandbox)
    _known_to_budget_bridge_only(pilot)
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", WbsKey("02", "99-900", "O"), LineKind.COST, Decimal("7.00"), "x"),
    ]
    before, codes_before = pilot.amounts(), len(pilot.procore.wbs_codes())
    job = request_preview(pilot.ports, ADMIN, "pilot", BUDGET)

    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    finished = run_job(pilot.ports, message, final_attempt=False).job

    assert finished.status is JobStatus.FAILED
    assert finished.error_code == "target_rejected"
    assert [(error.line, error.field, error.message[:18]) for error in finished.errors] == [
        (99, "cost_code", "02 / 99-900 / O: t")
    ]
    assert pilot.amounts() == before
    assert len(pilot.procore.wbs_codes()) == codes_before


def test_a_cost_code_written_as_a_leaf_s_own_code_is_refused_and_procore_s_line_untouched(
    sandbox,
):
    """Procore holds code 300 under division 03 and answers its lines as 03-300: a key on "300"
    is another key, and matched to that item it would share the WBS code of the 03-300 line,
    write one line for two keys and, failing, delete a line the job never created. It is
    refused as a code Procore lacks, on each ERP line of it, and nothing changes."""
    pilot = _pilot(sandbox)
    company = demo_data.company("pilot")
    pilot.ports.directory.put_cost_catalog(
        "pilot",
        CostCatalog(frozenset({*company.cost_codes, "300"}), frozenset(company.cost_types)),
    )
    held = next(code for code in pilot.amounts() if code.startswith("01.03-300."))
    cost_type = held.split(".")[-1]
    before, lines_before = pilot.amounts(), len(pilot.procore.lines())
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(97, "leaf-1", WbsKey("01", "300", cost_type), LineKind.COST, Decimal("40.00"), "x"),
        ErpLine(98, "leaf-2", WbsKey("01", "300", cost_type), LineKind.COST, Decimal("2.00"), "y"),
    ]

    assert pilot.reimport() is JobStatus.FAILED

    job = pilot.job()
    assert job.error_code == "target_rejected"
    assert [(error.line, error.field) for error in job.errors] == [
        (97, "cost_code"),
        (98, "cost_code"),
    ]
    assert "no Cost Code 300 " in job.errors[0].message
    assert pilot.amounts() == before
    assert len(pilot.procore.lines()) == lines_before


class _AnswersAHeldCode:
    """Procore answering, for a new key's WBS code, the code of a line it holds for another key
    (a code Procore matched by a spelling of its own)."""

    def __init__(self, inner: RemoteBudget, held_ref: str) -> None:
        self._inner = inner
        self._held_ref = held_ref
        self.name = inner.name
        self.batch_size = inner.batch_size

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def ensure_wbs_codes(self, wanted):
        return {key: self._held_ref for key, _ in wanted}


def test_a_new_key_given_the_wbs_code_of_another_line_is_refused_before_any_write(sandbox):
    pilot = _pilot(sandbox)
    held = pilot.procore.lines()[0]
    before, lines_before = pilot.amounts(), len(pilot.procore.lines())
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _AnswersAHeldCode(
        real(*args), str(held["wbs_code"]["id"])
    )
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new", WbsKey("07", "26-100", "O"), LineKind.COST, Decimal("5.00"), "New"),
    ]

    assert pilot.reimport() is JobStatus.FAILED

    job = pilot.job()
    assert job.error_code == "target_rejected"
    assert "holds under another key" in job.message
    assert [(error.line, error.field) for error in job.errors] == [(99, "cost_code")]
    assert pilot.amounts() == before
    assert len(pilot.procore.lines()) == lines_before


def test_a_reimport_that_changes_nothing_writes_nothing_to_procore(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    assert pilot.reimport() is JobStatus.SUCCEEDED
    assert pilot.job().message == "Successfully Re-imported to Procore"
    assert pilot.job().change_count == 0
    assert pilot.amounts() == before


def test_locking_the_budget_in_procore_between_request_and_apply_fails_the_job_and_changes_nothing(
    sandbox,
):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    pilot.erp.lines = [_with_amount(line, Decimal("1.00")) for line in pilot.erp.lines]
    pilot.erp.before_answer = lambda: pilot.procore.lock(True)

    assert pilot.reimport() is JobStatus.FAILED
    assert "locked" in pilot.job().message
    assert pilot.amounts() == before
    # The lock the worker read is what the Budgets list shows until it is read again.
    assert pilot.ports.budgets.get("pilot", BUDGET).target_locked is True


def _large(sandbox: ProcoreSandbox, lines: int = 2500) -> Pilot:
    project = demo_data.large_project(BUDGET, lines, seed=3, company_id="pilot")
    pilot = _pilot(sandbox, project)
    pilot.erp.lines = [
        _with_amount(line, line.amount + Decimal("1.00")) for line in pilot.erp.lines
    ]
    return pilot


def test_procore_failing_the_second_batch_fails_the_job_naming_its_errors_and_puts_every_amount_back(
    sandbox,
):
    pilot = _large(sandbox)
    before = pilot.amounts()
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 2}
    )

    assert pilot.reimport() is JobStatus.FAILED
    job = pilot.job()
    assert "Procore refused batch 2 of 3" in job.message
    assert "sandbox fault" in job.message
    assert "put back" in job.message
    assert job.errors and "sandbox fault" in job.errors[0].message
    assert job.error_code == "target_rejected"  # the errors are Procore's lines, not the ERP's
    assert pilot.amounts() == before


def test_a_refused_batch_that_adds_a_key_leaves_procore_with_no_new_line(sandbox):
    """The put-back writes a line new to Procore only when Procore holds it: written blindly, it
    would add a 0.00 line the budget never had."""
    pilot = _pilot(sandbox)
    before = pilot.procore.by_flat_code()
    added = WbsKey("02", "26-100", "O")
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults", {"prefix": "procore", "fail_sync_batch": 1}
    )

    assert pilot.reimport() is JobStatus.FAILED
    assert "put back" in pilot.job().message
    after = pilot.procore.by_flat_code()
    assert set(after) == set(before)
    assert {code: row["original_budget_amount"] for code, row in after.items()} == {
        code: row["original_budget_amount"] for code, row in before.items()
    }


class _Killed(BaseException):
    """The worker's process ending mid-job: nothing in the job catches it."""


class _DiesAfterFirstBatch:
    """The Procore target of a worker that is killed right after its first sync batch."""

    def __init__(self, inner: RemoteBudget) -> None:
        self._inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.writes = 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def write(self, writes: Sequence[TargetWrite]) -> None:
        self._inner.write(writes)
        self.writes += 1
        if self.writes == 1:
            raise _Killed()


def test_a_worker_killed_between_batches_is_undone_by_the_redelivered_message(sandbox):
    pilot = _large(sandbox)
    before = pilot.amounts()
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _DiesAfterFirstBatch(real(*args))

    with pytest.raises(_Killed):
        pilot.reimport()
    assert pilot.amounts() != before  # the first batch reached Procore

    pilot.ports.remote_budgets = real  # the message comes back to a fresh worker
    result = run_job(pilot.ports, pilot.message, final_attempt=False)
    assert result.job.status is JobStatus.FAILED
    assert "put back" in result.job.message
    assert pilot.amounts() == before


def test_the_target_cannot_change_while_a_job_it_wrote_for_is_unfinished(sandbox):
    """The redelivered message must put Procore's amounts back; had the company moved to Budget
    Bridge's own store meanwhile, it would have succeeded there and left them in Procore."""
    pilot = _large(sandbox)
    before = pilot.amounts()
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _DiesAfterFirstBatch(real(*args))
    with pytest.raises(_Killed):
        pilot.reimport()
    pilot.ports.remote_budgets = real

    for choice in (
        TargetChoice(TargetKind.BUDGET_BRIDGE),
        TargetChoice(
            TargetKind.PROCORE, base_url=sandbox.url, procore_company_id="1002",
            client_id="other-client", client_secret="other-secret",
        ),
    ):  # fmt: skip
        with pytest.raises(JobInProgress) as refused:
            put_target(pilot.ports, ADMIN, "pilot", choice, allow_local=True)
        assert refused.value.details["job_id"] == pilot.message.job_id
    assert pilot.ports.directory.target("pilot").procore_company_id == demo_data.PROCORE_COMPANY_ID

    result = run_job(pilot.ports, pilot.message, final_attempt=False)
    assert result.job.status is JobStatus.FAILED
    assert pilot.amounts() == before
    moved = put_target(
        pilot.ports, ADMIN, "pilot", TargetChoice(TargetKind.BUDGET_BRIDGE), allow_local=True
    )
    assert moved.config.target is TargetKind.BUDGET_BRIDGE


class _LockUnreadOnce:
    """Procore not answering (after the client's own retries) the lock read right before the
    first write: the job's write-ahead record is made, nothing is written yet."""

    def __init__(self, inner: RemoteBudget) -> None:
        self._inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.reads = 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def locked(self) -> bool:
        self.reads += 1
        if self.reads == 2:
            raise TargetUnavailable("Procore is not answering right now (503).")
        return self._inner.locked()


def test_an_attempt_stopped_before_its_first_write_is_tried_again_and_succeeds(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    cost = [line for line in pilot.erp.lines if line.kind is LineKind.COST][-1]
    pilot.erp.lines = [
        _with_amount(line, Decimal("999.99")) if line is cost else line for line in pilot.erp.lines
    ]
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _LockUnreadOnce(real(*args))
    with pytest.raises(TargetUnavailable):
        pilot.reimport()
    assert pilot.amounts() == before
    assert pilot.ports.jobs.recorded_writes(pilot.job())  # the record was made

    pilot.ports.remote_budgets = real  # the message comes back
    result = run_job(pilot.ports, pilot.message, final_attempt=False)

    assert result.job.status is JobStatus.SUCCEEDED, result.job.message
    assert pilot.amounts()[_flat(cost.key)] == "999.99"


class _ErpWithProjects(FakeErp):
    def list_projects(self, offset: int, limit: int) -> ErpProjectPage:
        projects = [ErpProject("K-4002", "Pilot Depot", "Active")]
        return ErpProjectPage(projects[offset : offset + limit], has_more=False)


def _linking(sandbox: ProcoreSandbox) -> Pilot:
    pilot = _pilot(sandbox)
    erp = _ErpWithProjects(pilot.erp.lines)
    pilot.ports.erp_sources = erp
    return pilot


def test_linking_an_erp_job_names_the_procore_project_it_lives_in(sandbox):
    pilot = _linking(sandbox)

    budget = erp_projects.link(pilot.ports, ADMIN, "pilot", "K-4002", None, "2001")

    assert budget.target_project_id == "2001"
    assert pilot.ports.budgets.get("pilot", budget.budget_id).target_project_id == "2001"


@pytest.mark.parametrize("procore_project_id", [None, "999", "not-a-number"])
def test_a_link_to_a_procore_project_that_does_not_answer_is_refused(sandbox, procore_project_id):
    pilot = _linking(sandbox)

    with pytest.raises(InvalidTargetProject):
        erp_projects.link(pilot.ports, ADMIN, "pilot", "K-4002", None, procore_project_id)
    assert "K-4002" not in pilot.ports.directory.links("pilot")


def test_a_preview_of_a_procore_budget_shows_procore_s_amounts_and_changes_nothing(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    cost = [line for line in pilot.erp.lines if line.kind is LineKind.COST]
    pilot.erp.lines = [
        _with_amount(line, Decimal("999.99")) if line is cost[0] else line
        for line in pilot.erp.lines
    ]

    job = reimports.request_preview(pilot.ports, ADMIN, "pilot", BUDGET)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    preview = run_job(pilot.ports, message, final_attempt=False).job

    assert preview.status is JobStatus.SUCCEEDED
    assert preview.change_count == 1
    assert preview.totals is not None
    assert preview.totals.current_total == sum(Decimal(amount) for amount in before.values())
    assert preview.totals.new_total - preview.totals.current_total == Decimal("999.99") - (
        cost[0].amount
    )
    assert pilot.amounts() == before


def test_a_preview_of_a_budget_locked_in_procore_fails_as_its_reimport_is_refused(sandbox):
    pilot = _pilot(sandbox)
    pilot.procore.lock(True)
    before = pilot.amounts()

    job = reimports.request_preview(pilot.ports, ADMIN, "pilot", BUDGET)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    preview = run_job(pilot.ports, message, final_attempt=False).job

    with pytest.raises(BudgetLocked) as refused:
        request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    assert (preview.status, preview.error_code) == (JobStatus.FAILED, "budget_locked")
    assert preview.message == refused.value.message
    assert "locked in Procore" in preview.message
    assert pilot.amounts() == before


def test_restoring_the_version_before_a_reimport_puts_procore_s_amounts_back(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    pilot.erp.lines = [_with_amount(line, line.amount + 1) for line in pilot.erp.lines]
    assert pilot.reimport() is JobStatus.SUCCEEDED
    assert pilot.amounts() != before
    reimported = pilot.ports.budgets.get("pilot", BUDGET).version

    job = history.request_restore(pilot.ports, ADMIN, "pilot", "K-4001", reimported - 1)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    restored = run_job(pilot.ports, message, final_attempt=False).job

    assert restored.status is JobStatus.SUCCEEDED, restored.message
    assert pilot.amounts() == before
    units = {
        code: (row["uom"], row["quantity"]) for code, row in pilot.procore.by_flat_code().items()
    }
    assert all(uom and quantity for uom, quantity in units.values())


def test_a_request_for_a_budget_locked_in_procore_is_refused_at_once(sandbox):
    pilot = _pilot(sandbox)
    pilot.procore.lock(True)

    with pytest.raises(BudgetLocked, match="locked in Procore"):
        request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    assert pilot.ports.budgets.get("pilot", BUDGET).active_job_id is None


@pytest.mark.parametrize("status", [429, 503])
def test_procore_answering_429_or_503_is_waited_out_as_retry_after_says_and_the_reimport_succeeds(
    sandbox, monkeypatch, status
):
    pilot = _pilot(sandbox)
    keys = [line.key for line in pilot.erp.lines if line.kind is LineKind.COST]
    changed = next(key for key in keys if keys.count(key) == 1)
    pilot.erp.lines = [
        _with_amount(line, Decimal("4321.09")) if line.key == changed else line
        for line in pilot.erp.lines
    ]
    waits: list[float] = []
    monkeypatch.setattr(
        procore_adapter, "time", SimpleNamespace(time=time.time, sleep=waits.append)
    )
    sandbox_switch(
        sandbox.root, "POST", "/sandbox/faults",
        {"prefix": "procore", "fail_next": 2, "status": status, "retry_after": "7"},
    )  # fmt: skip

    assert pilot.reimport() is JobStatus.SUCCEEDED, pilot.job().message
    assert waits[:2] == [7.0, 7.0]
    assert pilot.amounts()[_flat(changed)] == "4321.09"


def test_procore_s_token_is_reused_by_the_next_job_until_it_expires(sandbox):
    pilot = _pilot(sandbox)  # the test's own ProcoreClient holds one token
    for amount in ("1.00", "2.00"):
        pilot.erp.lines = [_with_amount(line, Decimal(amount)) for line in pilot.erp.lines]
        assert pilot.reimport() is JobStatus.SUCCEEDED, pilot.job().message
    assert len(sandbox.state.tokens) == 2  # the test's and one for both jobs

    with sandbox.state.lock:  # Procore ends the token early: the next job signs in once more
        for token in sandbox.state.tokens.values():
            token.expires_at = time.time() - 1
    pilot.erp.lines = [_with_amount(line, Decimal("3.00")) for line in pilot.erp.lines]
    assert pilot.reimport() is JobStatus.SUCCEEDED, pilot.job().message
    assert len(sandbox.state.tokens) == 3


def test_a_cached_procore_token_is_not_handed_to_the_same_client_id_with_another_secret(sandbox):
    # One warm worker serves every company: another company that names the pilot's client id with
    # a wrong secret must sign in itself and be refused, not get the pilot's token.
    pilot = _pilot(sandbox)
    config = pilot.ports.directory.target("pilot")
    right = ErpCredentials.of(
        client_id=demo_data.PROCORE_CLIENT_ID, client_secret=demo_data.PROCORE_CLIENT_SECRET
    )
    wrong = ErpCredentials.of(client_id=demo_data.PROCORE_CLIENT_ID, client_secret="a-guess")
    project = demo_data.PROCORE_PROJECT_ID
    ProcoreBudget.from_config(config, right, project, allow_local_urls=True).locked()

    with pytest.raises(TargetRejected, match="refused the service account's client credentials"):
        ProcoreBudget.from_config(config, wrong, project, allow_local_urls=True).locked()
    # The pilot's own token is still reused.
    before = len(sandbox.state.tokens)
    ProcoreBudget.from_config(config, right, project, allow_local_urls=True).locked()
    assert len(sandbox.state.tokens) == before


# --- whatever stops the writing, every amount goes back before the job ends failed -----------


class _FailsWrites:
    """A Procore target whose sync calls number `failing` (counted from 1, put-backs included)
    raise `failure` before reaching Procore; the others go through."""

    def __init__(self, inner: RemoteBudget, failure: Exception, failing: set[int]) -> None:
        self._inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.failure = failure
        self.failing = failing
        self.writes = 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def write(self, writes: Sequence[TargetWrite]) -> None:
        self.writes += 1
        if self.writes in self.failing:
            raise self.failure
        self._inner.write(writes)


def _requested(pilot: Pilot) -> JobMessage:
    job = request_job(pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT)
    pilot.message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    return pilot.message


@pytest.mark.parametrize(
    ("failure", "final_attempt"),
    [
        (http.client.IncompleteRead(b""), False),
        (UnsafeErpAddress("The address is private. Budget Bridge did not call it."), False),
        (
            ErpUnavailable("The ERP's address could not be found (its name does not resolve)."),
            False,
        ),
        (ErpUnavailable("The ERP's address could not be found (its name does not resolve)."), True),
    ],
    ids=["answer-cut-short", "address-refused", "name-unresolved", "name-unresolved-final"],
)
def test_any_failure_while_writing_puts_every_amount_back_before_the_job_fails(
    sandbox, failure, final_attempt
):
    pilot = _large(sandbox, 1500)
    before = pilot.amounts()
    message = _requested(pilot)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _FailsWrites(real(*args), failure, {2})

    job = run_job(pilot.ports, message, final_attempt=final_attempt).job

    assert job.status is JobStatus.FAILED
    assert "Writing batch 2 of 2 to Procore stopped" in job.message
    assert "put back" in job.message and "nothing was changed" not in job.message
    assert pilot.amounts() == before


def test_a_put_back_that_fails_on_the_last_attempt_leaves_the_job_in_progress_saying_so_and_the_dead_letter_handler_puts_the_amounts_back(
    sandbox,
):
    pilot = _large(sandbox, 1500)
    before = pilot.amounts()
    message = _requested(pilot)
    real = pilot.ports.remote_budgets
    down = TargetUnavailable("Procore did not answer after several attempts.")
    pilot.ports.remote_budgets = lambda *args: _FailsWrites(real(*args), down, {2, 3})

    with pytest.raises(PutBackUnfinished):
        run_job(pilot.ports, message, final_attempt=True)
    waiting = pilot.job()
    assert waiting.status is JobStatus.IN_PROGRESS
    assert "could not all be put back yet" in waiting.message
    assert pilot.amounts() != before  # the first batch is still in Procore

    pilot.ports.remote_budgets = real  # the message lands in the dead-letter queue
    failed = reimports.fail_dead_letter(pilot.ports, message)

    assert failed.status is JobStatus.FAILED
    assert "put back" in failed.message
    assert pilot.amounts() == before


def test_a_dead_letter_of_a_worker_killed_mid_write_puts_every_amount_back_before_failing_the_job(
    sandbox,
):
    pilot = _large(sandbox, 1500)
    before = pilot.amounts()
    message = _requested(pilot)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _DiesAfterFirstBatch(real(*args))
    with pytest.raises(_Killed):
        run_job(pilot.ports, message, final_attempt=True)
    assert pilot.amounts() != before

    # Procore is down when the dead letter first arrives: the job stays in progress, saying why,
    # and the handler raises so that the dead-letter queue brings the message back.
    down = TargetUnavailable("Procore did not answer after several attempts.")
    pilot.ports.remote_budgets = lambda *args: _FailsWrites(real(*args), down, {1})
    with pytest.raises(PutBackUnfinished):
        reimports.fail_dead_letter(pilot.ports, message)
    assert pilot.job().status is JobStatus.IN_PROGRESS
    assert "could not all be put back yet" in pilot.job().message

    pilot.ports.remote_budgets = real
    failed = reimports.fail_dead_letter(pilot.ports, message)

    assert failed.status is JobStatus.FAILED
    assert "put back" in failed.message
    assert pilot.amounts() == before
    assert pilot.ports.budgets.get("pilot", BUDGET).active_job_id is None


# --- the lock is read before any WBS code is made, and again right before writing --------------


class _LockedAfterRead:
    """The budget is locked in Procore right after the job first reads the lock."""

    def __init__(self, inner: RemoteBudget, procore: ProcoreClient) -> None:
        self._inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self._procore = procore
        self.reads = 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def locked(self) -> bool:
        answer = self._inner.locked()
        self.reads += 1
        if self.reads == 1:
            self._procore.lock(True)
        return answer


def test_a_budget_locked_in_procore_after_the_plan_gets_no_new_wbs_code_and_no_amount(sandbox):
    pilot = _pilot(sandbox)
    before = pilot.amounts()
    added = WbsKey("02", "26-100", "O")
    pilot.erp.lines = [
        *pilot.erp.lines,
        ErpLine(99, "new-ref", added, LineKind.COST, Decimal("777.70"), "New electrical"),
    ]
    message = _requested(pilot)
    real = pilot.ports.remote_budgets
    pilot.ports.remote_budgets = lambda *args: _LockedAfterRead(real(*args), pilot.procore)

    job = run_job(pilot.ports, message, final_attempt=False).job

    assert job.status is JobStatus.FAILED
    assert "locked" in job.message
    assert _flat(added) not in {code["flat_code"] for code in pilot.procore.wbs_codes()}
    assert pilot.amounts() == before


# --- applying a preview proves Procore's lines did not move either -----------------------------


def _previewed_then_edited_in_procore(pilot: Pilot) -> tuple[str, dict[str, str]]:
    """A preview of a one-line change, then another line's amount changed directly in Procore;
    answers the preview's id and Procore's amounts after the edit."""
    cost = [line for line in pilot.erp.lines if line.kind is LineKind.COST]
    pilot.erp.lines = [
        _with_amount(line, Decimal("999.99")) if line is cost[0] else line
        for line in pilot.erp.lines
    ]
    job = reimports.request_preview(pilot.ports, ADMIN, "pilot", BUDGET)
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    preview = run_job(pilot.ports, message, final_attempt=False).job
    assert preview.status is JobStatus.SUCCEEDED and preview.change_count == 1
    other = next(
        row for row in pilot.procore.lines() if row["wbs_code"]["flat_code"] != _flat(cost[0].key)
    )
    pilot.procore.request(
        "POST", "/rest/v1.0/budget_line_items/sync",
        {"project_id": 2001,
         "budget_line_items": [{"id": other["id"], "original_budget_amount": "12345.67"}]},
    )  # fmt: skip
    return preview.job_id, pilot.amounts()


def _apply_preview(pilot: Pilot, preview_job_id: str):
    job = request_job(
        pilot.ports, ADMIN, "pilot", BUDGET, JobKind.REIMPORT, preview_job_id=preview_job_id
    )
    message = JobMessage(job_id=job.job_id, company_id="pilot", budget_id=BUDGET)
    return run_job(pilot.ports, message, final_attempt=False).job


def test_applying_a_preview_after_amounts_changed_in_procore_fails_preview_stale_and_changes_nothing(
    sandbox,
):
    pilot = _pilot(sandbox)
    preview_job_id, edited = _previewed_then_edited_in_procore(pilot)

    applied = _apply_preview(pilot, preview_job_id)

    assert (applied.status, applied.error_code) == (JobStatus.FAILED, "preview_stale")
    assert applied.message.startswith(
        "The budget in Procore changed after the preview, so nothing was changed. Preview again"
    )
    assert pilot.amounts() == edited


def test_a_preview_kept_before_procore_s_lines_were_recorded_applies_without_that_check(sandbox):
    pilot = _pilot(sandbox)
    preview_job_id, _ = _previewed_then_edited_in_procore(pilot)
    preview = pilot.ports.jobs.get("pilot", preview_job_id)
    assert preview.basis is not None and preview.basis.target_digest is not None
    kept = json.loads(preview.basis.model_dump_json())
    del kept["target_digest"]
    older = preview.model_copy(update={"basis": PreviewBasis.model_validate(kept)})
    pilot.ports.jobs.db.jobs["pilot", preview_job_id] = older  # as a job stored before it

    applied = _apply_preview(pilot, preview_job_id)

    assert applied.status is JobStatus.SUCCEEDED, applied.message
