"""The limits every layer agrees on, the size of what is stored, and the jobs the sweep reads.

Rules on plain values; storage through the real DynamoDB adapters on moto (docs/reliability.md).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from moto import mock_aws

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.base import batch_write, serialize
from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.items import (
    MAX_CHUNK_BYTES,
    JobItem,
    line_row,
    pack_chunks,
    to_item,
)
from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from chalicelib.adapters.dynamodb.provision import create_tables
from chalicelib.config import settings
from chalicelib.domain import limits
from chalicelib.domain.errors import TooLargeToStore
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    BudgetVersion,
    CostCatalog,
    ErpLine,
    Job,
    JobKind,
    JobStatus,
    LineItem,
    LineKind,
    Summary,
    Totals,
    VersionSource,
    WbsKey,
    utc_now,
)
from chalicelib.domain.money import MAX_AMOUNT, MAX_TOTAL, format_amount
from chalicelib.domain.reimport import BudgetTotalTooLarge, InvalidErpBudget, plan_reimport
from chalicelib.entrypoints.api import schemas

CATALOG = CostCatalog(frozenset({"01-100"}), frozenset({"M"}))


def erp(n: int, amount: object = "10.00", **text: str) -> ErpLine:
    key = WbsKey(text.get("sub_job", "01"), text.get("cost_code", "01-100"), "M")
    return ErpLine(
        line=n, ref=text.get("ref", f"ref-{n}"), key=key, kind=LineKind.COST, amount=amount,
        description=text.get("description", "Concrete"),
    )  # fmt: skip


def noise(length: int, seed: int = 7) -> str:
    """Text that does not compress, the worst case for an item's size."""
    return "".join(random.Random(seed).choices(string.ascii_letters + string.digits, k=length))


# --- 1. one money limit ---------------------------------------------------------------------


def test_every_answer_model_carries_the_largest_amounts_and_totals_the_rules_admit() -> None:
    for amount in (MAX_AMOUNT, -MAX_AMOUNT):
        schemas.ChangeOut.model_validate(
            {"line_item_id": "x", "sub_job": "", "cost_code": "c", "cost_type": "t",
             "kind": "updated", "old_amount": format_amount(amount),
             "new_amount": format_amount(amount)}
        )  # fmt: skip
    for total in (MAX_TOTAL, -MAX_TOTAL):
        budget = Budget(
            company_id="c", budget_id="b", project_id="p", project_name="P", erp_job_id="E",
            erp_system="acumatica", status=BudgetStatus.SYNCED, total=total,
        )  # fmt: skip
        assert schemas.BudgetHeader.of(budget).total == format_amount(total)
        fetched = budget.model_copy(update={"current_erp_total": total})
        row = schemas.BudgetListItem.of(fetched, can_reimport=False, can_import=False)
        assert row.current_procore_total == row.current_erp_total == format_amount(total)
        # A job's totals and a version's total are whole budgets' totals too.
        totals = schemas.TotalsOut.of(Totals.unchanged(total, total))
        assert totals is not None and totals.new_total == format_amount(total)
        version = BudgetVersion(
            version=1, at=utc_now(), by="seed", source=VersionSource.IMPORT, total=total,
            line_count=1000, summary=Summary(),
        )  # fmt: skip
        assert schemas.VersionOut.of(version).total == format_amount(total)


def test_erp_lines_each_valid_but_beyond_the_total_limit_fail_the_job() -> None:
    lines = [
        ErpLine(n, f"r{n}", WbsKey("01", "01-100", f"T{n}"), LineKind.COST, MAX_AMOUNT)
        for n in range(1, 1002)
    ]
    catalog = CostCatalog(frozenset({"01-100"}), frozenset(f"T{n}" for n in range(1, 1002)))

    with pytest.raises(BudgetTotalTooLarge) as refused:
        plan_reimport([], lines, catalog)

    assert "beyond" in refused.value.message and "unchanged" in refused.value.message
    assert len(plan_reimport([], lines[:1000], catalog).lines) == 1000


# --- 2. text limits that agree everywhere ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("sub_job", limits.MAX_SUB_JOB),
        ("cost_code", limits.MAX_COST_CODE),
        ("description", limits.MAX_DESCRIPTION),
        ("ref", limits.MAX_ERP_REF),
    ],
)
def test_erp_text_beyond_its_limit_is_a_line_error_and_at_it_is_fine(name: str, limit: int) -> None:
    at_limit = "A" * limit
    catalog = CATALOG
    if name == "cost_code":
        catalog = CostCatalog(frozenset({at_limit, "01-100"}), frozenset({"M"}))
    plan_reimport([], [erp(1, **{name: at_limit})], catalog)

    with pytest.raises(InvalidErpBudget) as refused:
        plan_reimport([], [erp(1), erp(2, **{name: noise(limit + 1)})], catalog)

    assert [(e.line, e.field) for e in refused.value.errors] == [(2, name)]
    assert len(refused.value.errors[0].message) < 400


def test_a_person_s_edit_obeys_the_same_text_limits() -> None:
    fields = schemas.LineItemPatch.model_fields
    assert fields["description"].metadata[0].max_length == limits.MAX_DESCRIPTION
    assert fields["uom"].metadata[0].max_length == limits.MAX_UOM


def test_the_largest_line_the_rules_admit_fits_well_within_one_item() -> None:
    refs = tuple(noise(limits.MAX_ERP_REF, seed) for seed in range(limits.MAX_REFS_PER_LINE))
    line = LineItem(
        key=WbsKey(noise(limits.MAX_SUB_JOB), noise(limits.MAX_COST_CODE, 2),
                   noise(limits.MAX_COST_TYPE, 3)),
        description=noise(limits.MAX_DESCRIPTION, 4), original_budget_amount=MAX_AMOUNT,
        uom=noise(limits.MAX_UOM, 5), quantity=Decimal("999999999999.999999"),
        unit_cost=Decimal("-999999999999.999999"), erp_refs=refs,
    )  # fmt: skip

    chunks = pack_chunks([line_row(line)] * 50)

    assert all(len(chunk.data) <= MAX_CHUNK_BYTES for chunk in chunks)


def test_a_key_summed_from_many_erp_lines_keeps_a_bounded_number_of_references() -> None:
    lines = [erp(n, "1.00", ref=noise(limits.MAX_ERP_REF, n)) for n in range(1, 5001)]

    plan = plan_reimport([], lines, CATALOG)

    assert plan.lines[0].original_budget_amount == Decimal("5000.00")
    assert len(plan.lines[0].erp_refs) == limits.MAX_REFS_PER_LINE


def test_a_row_that_cannot_fit_one_item_is_refused_before_anything_is_written() -> None:
    with pytest.raises(TooLargeToStore):
        pack_chunks([["01", "c", "t", noise(900_000), "1.00", None, None, None, []]])


# --- 6. the sweep's sparse index and the jobs' retention -------------------------------------


@pytest.fixture
def stores() -> Iterator[tuple[DynamoBudgetStore, DynamoJobStore]]:
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        aws.reset_clients()
        create_tables(aws.dynamodb())
        yield DynamoBudgetStore(), DynamoJobStore()
        aws.reset_clients()


def _budget(number: int) -> Budget:
    return Budget(
        company_id="demo", budget_id=f"b-{number}", project_id=f"p-{number}",
        project_name=f"Project {number}", erp_job_id=f"E-{number}", erp_system="acumatica",
        status=BudgetStatus.SYNCED,
    )  # fmt: skip


def test_the_sweep_finds_a_lost_message_among_many_finished_jobs(
    stores: tuple[DynamoBudgetStore, DynamoJobStore],
) -> None:
    budgets, jobs = stores
    long_ago = utc_now() - timedelta(hours=2)
    # Two jobs through the real path (one finished before it ran, one after)...
    for number in (1, 2):
        budget = budgets.create_budget(_budget(number), [])
        job = jobs.enqueue(
            Job(job_id=f"j-{number}", company_id="demo", budget_id=budget.budget_id,
                kind=JobKind.REIMPORT, requested_by="x", requested_at=long_ago),
            budget, None,
        )  # fmt: skip
        if number == 2:
            job = jobs.start(job.company_id, job.job_id, long_ago)
        jobs.fail(job, "done with", [], long_ago + timedelta(minutes=1))
    # ...and 2,000 more finished ones written as the stores write them, in batches.
    finished = [
        JobItem.from_job(
            Job(job_id=f"old-{n}", company_id="demo", budget_id="b-1", kind=JobKind.REIMPORT,
                status=JobStatus.SUCCEEDED, requested_by="x", requested_at=long_ago)
        )
        for n in range(2000)
    ]  # fmt: skip
    batch_write(
        aws.dynamodb(),
        settings().jobs_table,
        [{"PutRequest": {"Item": serialize(to_item(item))}} for item in finished],
    )
    lost_budget = budgets.create_budget(_budget(999), [])
    lost = Job(job_id="j-lost", company_id="demo", budget_id=lost_budget.budget_id,
               kind=JobKind.REIMPORT, requested_by="x", requested_at=long_ago)  # fmt: skip
    jobs.enqueue(lost, lost_budget, None)

    found = jobs.abandoned(utc_now() - timedelta(minutes=10))

    assert [job.job_id for job in found] == ["j-lost"]
    index = aws.dynamodb().scan(TableName=settings().jobs_table, IndexName="queued")
    assert index["Count"] == 1, "the sweep's index holds only the queued job"


def test_a_finished_job_expires_after_at_least_a_year(
    stores: tuple[DynamoBudgetStore, DynamoJobStore],
) -> None:
    budgets, jobs = stores
    budget = budgets.create_budget(_budget(1), [])
    now = utc_now()
    job = jobs.enqueue(
        Job(job_id="j-1", company_id="demo", budget_id="b-1", kind=JobKind.REIMPORT,
            requested_by="x", requested_at=now),
        budget, None,
    )  # fmt: skip
    queued = aws.dynamodb().get_item(
        TableName=settings().jobs_table, Key={"pk": {"S": "JOB#demo#j-1"}, "sk": {"S": "META"}}
    )["Item"]
    assert "expires_at" not in queued, "a job still to run never expires"

    jobs.fail(job, "failed", [], now)

    item = aws.dynamodb().get_item(
        TableName=settings().jobs_table, Key={"pk": {"S": "JOB#demo#j-1"}, "sk": {"S": "META"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) >= int(now.timestamp()) + 365 * 24 * 3600
    assert "queued_pk" not in item


def test_a_finished_preview_expires_like_any_finished_job_and_leaves_the_queue_index(
    stores: tuple[DynamoBudgetStore, DynamoJobStore],
) -> None:
    budgets, jobs = stores
    budget = budgets.create_budget(_budget(1), [])
    now = utc_now()
    preview = jobs.enqueue(
        Job(job_id="p-1", company_id="demo", budget_id="b-1", kind=JobKind.PREVIEW,
            requested_by="x", requested_at=now),
        budget, None,
    )  # fmt: skip
    running = jobs.start(preview.company_id, preview.job_id, now)

    jobs.finish_preview(running.model_copy(update={"message": "ok", "finished_at": now}), [])

    item = aws.dynamodb().get_item(
        TableName=settings().jobs_table, Key={"pk": {"S": "JOB#demo#p-1"}, "sk": {"S": "META"}}
    )["Item"]
    assert item["status"]["S"] == "succeeded"
    assert int(item["expires_at"]["N"]) >= int(now.timestamp()) + 365 * 24 * 3600
    assert "queued_pk" not in item
