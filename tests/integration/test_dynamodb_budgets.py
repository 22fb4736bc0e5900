"""Budgets on DynamoDB (moto): packed versions, atomic commits, edits, locks, pages and scale."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.adapters.dynamodb.budgets import DynamoBudgetStore
from chalicelib.adapters.dynamodb.jobs import DynamoJobStore
from chalicelib.domain.errors import BudgetLocked, ConcurrentChange, InvalidRequest, NotFound
from chalicelib.domain.model import (
    Budget,
    BudgetStatus,
    ChangeKind,
    ChangeRecord,
    Job,
    JobKind,
    JobStatus,
    LineItem,
    Summary,
    WbsKey,
)
from chalicelib.domain.ports import LineEdit
from tests.fixtures.aws import WriteCounter
from tests.fixtures.domain import commit_as_worker

NOW = datetime(2026, 11, 26, 10, 45, tzinfo=UTC)


def lines(count: int, amount_of=lambda i: Decimal(i) + Decimal("0.25")) -> list[LineItem]:
    """`count` lines sorted by WBS key, as a budget stores them."""
    made = [
        LineItem(
            key=WbsKey(f"T{i % 7:02d}", f"{i:06d}", "L" if i % 2 else "M"),
            description=f"Line {i} — poured concrete, level {i % 12}",
            original_budget_amount=amount_of(i),
            uom="CY" if i % 3 == 0 else None,
            quantity=Decimal("12.5") if i % 3 == 0 else None,
            unit_cost=Decimal("100.02") if i % 3 == 0 else None,
            erp_refs=(f"ref-{i}",),
        )
        for i in range(count)
    ]
    return sorted(made, key=lambda line: line.key)


def budget(budget_id: str = "P-1001", status: BudgetStatus = BudgetStatus.SYNCED) -> Budget:
    return Budget(
        company_id="demo",
        budget_id=budget_id,
        project_id=budget_id,
        project_name="Riverside Medical Center",
        erp_job_id=budget_id,
        erp_system="acumatica",
        status=status,
    )


def job(budget_id: str = "P-1001", job_id: str = "job-1") -> Job:
    return Job(
        job_id=job_id,
        company_id="demo",
        budget_id=budget_id,
        kind=JobKind.REIMPORT,
        requested_by="admin@demo.test",
        requested_at=NOW,
    )


@pytest.fixture
def stores(dynamodb_tables):
    return DynamoBudgetStore(), DynamoJobStore()


def running_job(stores, stored: Budget, job_id: str = "job-1") -> tuple[Budget, Job]:
    budgets, jobs = stores
    queued = jobs.enqueue(job(stored.budget_id, job_id), stored, None)
    started = jobs.start(queued.company_id, queued.job_id, NOW)
    return budgets.get(stored.company_id, stored.budget_id), started


def with_amount(items: list[LineItem], index: int, amount: str) -> list[LineItem]:
    changed = list(items)
    old = changed[index]
    changed[index] = LineItem(old.key, old.description, Decimal(amount), old.uom, old.quantity,
                              old.unit_cost, old.erp_refs)  # fmt: skip
    return changed


def commit(stores, current: Budget, running: Job, new_lines: list[LineItem]) -> Job:
    budgets, _ = stores
    changes = [
        ChangeRecord(
            line.line_item_id,
            line.key,
            ChangeKind.UPDATED,
            Decimal("1.00"),
            line.original_budget_amount,
        )  # fmt: skip
        for line in new_lines[:3]
    ]
    summary = Summary(lines_updated=len(changes), lines_unchanged=len(new_lines) - len(changes))
    return commit_as_worker(budgets, current, running, new_lines, changes, summary, at=NOW)


def test_a_created_budget_reads_back_its_lines_header_and_project(stores):
    budgets, _ = stores
    original = lines(40)
    created = budgets.create_budget(budget(), list(reversed(original)))

    assert created.line_count == 40
    assert created.total == sum(line.original_budget_amount for line in original)
    assert budgets.get("demo", "P-1001") == created
    assert budgets.get_by_project("demo", "P-1001") == created
    assert budgets.read_lines(created) == sorted(original, key=lambda line: line.key)
    with pytest.raises(NotFound):
        budgets.get("other", "P-1001")
    with pytest.raises(NotFound):
        budgets.get_by_project("other", "P-1001")


def test_commit_shows_the_new_lines_and_keeps_the_previous_version_for_readers(stores):
    budgets, jobs = stores
    before = budgets.create_budget(budget(), lines(30))
    old_lines = budgets.read_lines(before)
    current, running = running_job(stores, before)
    new_lines = with_amount(old_lines, 4, "999.99")

    done = commit(stores, current, running, new_lines)

    after = budgets.get("demo", "P-1001")
    assert after.version == before.version + 1
    assert after.active_job_id is None
    assert after.status is BudgetStatus.SYNCED
    assert after.last_synced_at == NOW
    assert after.total == sum(line.original_budget_amount for line in new_lines)
    assert budgets.read_lines(after) == new_lines
    # A reader that read the header before the commit still reads the whole old version.
    assert budgets.read_lines(before) == old_lines
    assert done.status is JobStatus.SUCCEEDED
    stored_job = jobs.get("demo", running.job_id)
    assert stored_job.status is JobStatus.SUCCEEDED
    assert stored_job.change_count == 3
    assert [c.new_amount for c in jobs.changes(stored_job, 0, 100)] == [
        line.original_budget_amount for line in new_lines[:3]
    ]


def test_commit_with_a_stale_version_changes_nothing(stores):
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(10))
    current, running = running_job(stores, created)
    stale = current.model_copy(update={"version": current.version - 1})

    with pytest.raises(ConcurrentChange):
        commit(stores, stale, running, with_amount(lines(10), 0, "5.00"))

    assert budgets.get("demo", "P-1001") == current
    assert budgets.read_lines(current) == lines(10)
    assert jobs.get("demo", running.job_id).status is JobStatus.IN_PROGRESS


class _AnswerLost:
    """The store's client, whose next transaction's answer is lost (a read timeout): after
    DynamoDB applied it when `applied`, before it reached DynamoDB otherwise."""

    def __init__(self, client, applied: bool) -> None:
        self._client, self._applied = client, applied

    def transact_write_items(self, **request):
        if self._applied:
            self._client.transact_write_items(**request)
        raise ReadTimeoutError(endpoint_url="https://dynamodb.invalid")

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not applied"])
def test_a_commit_whose_answer_was_lost_says_whether_it_happened(stores, monkeypatch, applied):
    """A caller that wrote elsewhere first (Procore) puts that back only on a failed commit."""
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(10))
    current, running = running_job(stores, created)
    monkeypatch.setattr(budgets, "_client", _AnswerLost(budgets.client, applied))

    if applied:
        commit(stores, current, running, with_amount(lines(10), 0, "5.00"))
    else:
        with pytest.raises(ReadTimeoutError):
            commit(stores, current, running, with_amount(lines(10), 0, "5.00"))

    now = budgets.get("demo", "P-1001")
    assert (now.version == current.version + 1) is applied
    assert (jobs.get("demo", running.job_id).status is JobStatus.SUCCEEDED) is applied


def test_a_commit_stands_when_marking_an_old_version_to_expire_fails(stores, monkeypatch):
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(10))
    current, running = running_job(stores, created)

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")

    monkeypatch.setattr(budgets, "_expire_beyond_kept", throttled)

    commit(stores, current, running, with_amount(lines(10), 0, "5.00"))

    assert budgets.get("demo", "P-1001").version == current.version + 1
    assert jobs.get("demo", running.job_id).status is JobStatus.SUCCEEDED


def test_commit_on_a_budget_locked_in_between_fails_and_changes_nothing(stores):
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(10))
    current, running = running_job(stores, created)
    budgets.set_locked(current, True)

    with pytest.raises(BudgetLocked) as raised:
        commit(stores, current, running, with_amount(lines(10), 0, "5.00"))

    assert "Riverside Medical Center" in raised.value.message
    assert budgets.read_lines(budgets.get("demo", "P-1001")) == lines(10)
    assert budgets.get("demo", "P-1001").version == current.version
    assert jobs.get("demo", running.job_id).status is JobStatus.IN_PROGRESS


def test_commit_locked_between_its_checks_and_its_switch_fails_on_the_condition(
    stores, monkeypatch
):
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(10))
    current, running = running_job(stores, created)
    write_chunks = budgets.write_chunks

    def lock_meanwhile(*args, **kwargs):
        written = write_chunks(*args, **kwargs)
        budgets.set_locked(current, True)  # a Budget admin locks it while the chunks are written
        return written

    monkeypatch.setattr(budgets, "write_chunks", lock_meanwhile)

    with pytest.raises(BudgetLocked):
        commit(stores, current, running, with_amount(lines(10), 0, "5.00"))

    assert budgets.read_lines(budgets.get("demo", "P-1001")) == lines(10)
    assert jobs.get("demo", running.job_id).status is JobStatus.IN_PROGRESS


def test_a_crash_after_writing_chunks_leaves_readers_on_the_old_version_and_a_retry_commits_once(
    stores,
):
    budgets, jobs = stores
    created = budgets.create_budget(budget(), lines(20))
    current, running = running_job(stores, created)
    new_lines = with_amount(lines(20), 2, "77.70")
    budgets.write_chunks(current, running.job_id, new_lines)  # ...and the worker dies here

    assert budgets.read_lines(budgets.get("demo", "P-1001")) == lines(20)

    redelivered = jobs.start(running.company_id, running.job_id, NOW)
    assert redelivered.attempts == 2
    commit(stores, budgets.get("demo", "P-1001"), redelivered, new_lines)
    after = budgets.get("demo", "P-1001")
    assert after.version == current.version + 1
    assert budgets.read_lines(after) == new_lines
    with pytest.raises(ConcurrentChange):
        commit(stores, after, redelivered, new_lines)
    assert budgets.get("demo", "P-1001").version == after.version


def test_every_version_stays_readable_and_none_expires_within_the_last_100(
    stores,
    dynamodb_tables,
):
    budgets, _ = stores
    first = budgets.create_budget(budget(), lines(5))
    current = first
    for n in range(3):
        current, running = running_job(stores, current, f"job-{n}")
        commit(stores, current, running, with_amount(lines(5), 0, f"{n}.00"))
        current = budgets.get("demo", "P-1001")

    assert budgets.read_lines(first) == lines(5)
    for n in range(3):
        as_of = current.model_copy(update={"version": first.version + 1 + n})
        assert budgets.read_lines(as_of) == with_amount(lines(5), 0, f"{n}.00")
    items = dynamodb_tables.scan(TableName="budget-bridge-budgets")["Items"]
    assert not [i for i in items if "expires_at" in i]


def test_fifty_thousand_lines_round_trip_to_the_cent(stores):
    budgets, _ = stores
    cents = Decimal("0.01")
    big = lines(50_000, amount_of=lambda i: (Decimal(i * 37 % 1_000_003) / 100).quantize(cents))
    created = budgets.create_budget(budget(), big)

    read = budgets.read_lines(created)

    assert read == big
    assert [str(line.original_budget_amount) for line in read] == [
        str(line.original_budget_amount) for line in big
    ]
    assert created.total == sum(line.original_budget_amount for line in big)
    assert len(budgets.header("demo", "P-1001").chunk_index) > 2


def test_a_thousand_line_commit_takes_a_handful_of_write_calls(stores, dynamodb_tables):
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(1000))
    current, running = running_job(stores, created)
    counter = WriteCounter(dynamodb_tables)

    commit(stores, current, running, with_amount(lines(1000), 500, "1.00"))

    assert counter.writes <= math.ceil(1000 / 25) + 10
    assert counter.calls.count("TransactWriteItems") == 1


def test_read_page_returns_the_right_slice_across_chunk_boundaries(stores, monkeypatch):
    from chalicelib.adapters.dynamodb import items

    monkeypatch.setattr(items, "RAW_CHUNK_BYTES", 2_000)  # many small chunks
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(300))
    everything = budgets.read_lines(created)
    assert len(budgets.header("demo", "P-1001").chunk_index) > 5

    for offset, limit in [(0, 10), (15, 40), (290, 50), (0, 300), (299, 1), (300, 5)]:
        assert budgets.read_page(created, offset, limit) == everything[offset : offset + limit]


def test_a_page_read_after_get_fetches_only_its_own_chunk(stores, dynamodb_tables):
    """What a budget page costs: the header read by `get` is not read again, and a 1,000-line
    page fetches the one chunk that holds it (a chunk holds at most a page of rows)."""
    from chalicelib.adapters.dynamodb.items import MAX_CHUNK_ROWS, load_index

    budgets, _ = stores
    budgets.create_budget(budget(), lines(2_500))
    index = load_index(budgets.header("demo", "P-1001").chunk_index)
    assert [count for _, count in index] == [MAX_CHUNK_ROWS, MAX_CHUNK_ROWS, 500]
    current = budgets.get("demo", "P-1001")
    # Read by another store (another worker): this one remembers no chunk yet.
    everything = DynamoBudgetStore().read_lines(current)
    calls: list[tuple[str, int]] = []

    def seen(model, params, **_):
        keys = params.get("RequestItems", {})
        calls.append((model.name, sum(len(t["Keys"]) for t in keys.values())))

    dynamodb_tables.meta.events.register("before-parameter-build.dynamodb", seen)
    page = budgets.read_page(current, 1_000, 1_000)

    assert page == everything[1_000:2_000]
    assert calls == [("BatchGetItem", 1)]


def test_a_warm_store_reads_only_the_chunks_a_new_version_rewrote(stores, dynamodb_tables):
    """A version's chunk items never change, so a store that read them keeps their rows: after a
    one-line edit, reading the new version fetches the one rewritten chunk, and every line is
    still the version's own (the edit included, the other chunks as they were)."""
    budgets, _ = stores
    budgets.create_budget(budget(), lines(2_500))
    before = budgets.read_lines(budgets.get("demo", "P-1001"))
    edited = before[1_200]
    budgets.edit_line(
        budgets.get("demo", "P-1001"), edited.line_item_id, LineEdit(quantity=Decimal("7"))
    )
    calls: list[tuple[str, int]] = []

    def seen(model, params, **_):
        keys = params.get("RequestItems", {})
        calls.append((model.name, sum(len(t["Keys"]) for t in keys.values())))

    dynamodb_tables.meta.events.register("before-parameter-build.dynamodb", seen)
    after = budgets.read_lines(budgets.get("demo", "P-1001"))

    assert [c for c in calls if c[0] == "BatchGetItem"] == [("BatchGetItem", 1)]
    assert after == DynamoBudgetStore().read_lines(budgets.get("demo", "P-1001"))  # a cold read
    assert after[1_200].quantity == Decimal("7")
    assert after[:1_200] == before[:1_200] and after[1_201:] == before[1_201:]


def test_a_warm_read_gives_each_caller_its_own_list_and_the_versions_own_lines(stores):
    """A warm store hands out the lines it built once: a caller may reorder or empty its list,
    and an edit builds a new line, so an earlier read still shows the version it read."""
    budgets, _ = stores
    budgets.create_budget(budget(), lines(300))
    first = budgets.read_lines(budgets.get("demo", "P-1001"))
    snapshot = [(line.key, line.quantity) for line in first]
    first.reverse()
    first.pop()
    second = budgets.read_lines(budgets.get("demo", "P-1001"))
    assert [(line.key, line.quantity) for line in second] == snapshot

    budgets.edit_line(
        budgets.get("demo", "P-1001"), second[5].line_item_id, LineEdit(quantity=Decimal("3"))
    )
    third = budgets.read_lines(budgets.get("demo", "P-1001"))
    assert third[5].quantity == Decimal("3")
    assert [(line.key, line.quantity) for line in second] == snapshot


def test_a_page_of_an_older_budget_object_shows_that_version(stores):
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(50))
    before = budgets.get("demo", "P-1001")
    target = budgets.read_lines(before)[7]
    budgets.edit_line(before, target.line_item_id, LineEdit(original_budget_amount=Decimal("9.99")))
    after = budgets.get("demo", "P-1001")

    assert (
        budgets.read_page(before, 7, 1)[0].original_budget_amount == target.original_budget_amount
    )
    assert (
        budgets.read_page(created, 7, 1)[0].original_budget_amount == target.original_budget_amount
    )
    assert budgets.read_page(after, 7, 1)[0].original_budget_amount == Decimal("9.99")


def test_edit_line_keeps_other_lines_and_bumps_the_version(stores, monkeypatch):
    from chalicelib.adapters.dynamodb import items

    monkeypatch.setattr(items, "RAW_CHUNK_BYTES", 2_000)
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(100))
    before = budgets.read_lines(created)
    target = before[57]

    edited = budgets.edit_line(
        created,
        target.line_item_id,
        LineEdit(original_budget_amount=Decimal("12.34"), uom="EA", clear=frozenset({"quantity"})),
    )

    after = budgets.get("demo", "P-1001")
    assert after.version == created.version + 1
    assert after.total == created.total - target.original_budget_amount + Decimal("12.34")
    now = budgets.read_lines(after)
    assert now[57] == edited
    assert (edited.original_budget_amount, edited.uom, edited.quantity) == (
        Decimal("12.34"), "EA", None,
    )  # fmt: skip
    assert edited.unit_cost == target.unit_cost
    assert now[:57] + now[58:] == before[:57] + before[58:]
    with pytest.raises(ConcurrentChange):
        budgets.edit_line(created, target.line_item_id, LineEdit(description="stale"))


def test_edit_line_refuses_unknown_ids_bad_numbers_and_locked_budgets(stores):
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(10))
    other = WbsKey("T99", "999999", "X").line_item_id
    line_id = lines(10)[0].line_item_id

    for bad in (other, "garbage!", "", "bm90IGEga2V5"):
        with pytest.raises(NotFound):
            budgets.edit_line(created, bad, LineEdit(description="x"))
    with pytest.raises(InvalidRequest, match="more than 2 decimal places"):
        budgets.edit_line(created, line_id, LineEdit(original_budget_amount=Decimal("1.001")))
    with pytest.raises(InvalidRequest, match="finite"):
        budgets.edit_line(created, line_id, LineEdit(quantity=Decimal("NaN")))
    locked = budgets.set_locked(created, True)
    assert locked.locked
    with pytest.raises(BudgetLocked, match="Riverside Medical Center"):
        budgets.edit_line(locked, line_id, LineEdit(description="x"))
    assert budgets.read_lines(budgets.set_locked(locked, False)) == lines(10)


def test_list_orders_by_project_name_filters_by_status_and_pages(stores):
    budgets, _ = stores
    for n, name in enumerate(["beta", "Alpha", "gamma", "Delta"]):
        status = BudgetStatus.SYNCED if n % 2 == 0 else BudgetStatus.READY_TO_IMPORT
        b = budget(f"P-{n}", status).model_copy(update={"project_name": name})
        budgets.create_budget(b, [])
    budgets.create_budget(budget("P-9").model_copy(update={"company_id": "other"}), [])

    synced = budgets.list("demo", BudgetStatus.SYNCED, 10, None)
    assert [b.project_name for b in synced.items] == ["beta", "gamma"]
    first = budgets.list("demo", None, 3, None)
    assert [b.project_name for b in first.items] == ["Alpha", "beta", "Delta"]
    rest = budgets.list("demo", None, 3, first.next_cursor)
    assert [b.project_name for b in rest.items] == ["gamma"]
    assert rest.next_cursor is None
    with pytest.raises(InvalidRequest):
        budgets.list("demo", None, 3, "not-a-cursor")


# --- copy on write: a commit writes only the chunks whose lines it changed ---------------------


def _chunk_items(dynamodb_tables) -> dict[str, dict]:
    items = dynamodb_tables.scan(TableName="budget-bridge-budgets")["Items"]
    return {i["sk"]["S"]: i for i in items if i["sk"]["S"].startswith("SET#")}


def _commit_one_line(stores, current: Budget, job_id: str, position: int, amount: str) -> Budget:
    budgets, _ = stores
    current, running = running_job(stores, current, job_id)
    now = budgets.read_lines(current)
    new_lines = with_amount(now, position, amount)
    change = ChangeRecord(now[position].line_item_id, now[position].key, ChangeKind.UPDATED,
                          now[position].original_budget_amount, Decimal(amount))  # fmt: skip
    commit_as_worker(budgets, current, running, new_lines, [change], at=NOW,
                     touched=frozenset({now[position].key}))  # fmt: skip
    return budgets.get("demo", "P-1001")


def test_a_one_line_commit_writes_one_chunk_and_shares_the_others(
    stores, dynamodb_tables, monkeypatch
):
    from chalicelib.adapters.dynamodb import items

    monkeypatch.setattr(items, "RAW_CHUNK_BYTES", 4_000)  # many small chunks
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(300))
    before = _chunk_items(dynamodb_tables)
    assert len(before) > 5
    current, running = running_job(stores, created)
    counter = WriteCounter(dynamodb_tables)
    new_lines = with_amount(lines(300), 150, "9.99")

    commit_as_worker(budgets, current, running, new_lines, at=NOW,
                     touched=frozenset({new_lines[150].key}))  # fmt: skip

    after = _chunk_items(dynamodb_tables)
    assert len(after) == len(before) + 1  # one new chunk item, the rest shared
    assert counter.calls == ["TransactWriteItems"]  # the chunk rides in the switch
    head = budgets.get("demo", "P-1001")
    assert budgets.read_lines(head) == new_lines
    assert budgets.read_lines(created) == lines(300)  # the version before stays whole
    for offset, limit in [(0, 50), (140, 20), (290, 50)]:
        assert budgets.read_page(head, offset, limit) == new_lines[offset : offset + limit]


def test_an_added_line_lands_in_its_chunk_and_a_grown_chunk_is_rewritten_whole(
    stores, dynamodb_tables, monkeypatch
):
    from chalicelib.adapters.dynamodb import items

    monkeypatch.setattr(items, "RAW_CHUNK_BYTES", 4_000)
    budgets, _ = stores
    created = budgets.create_budget(budget(), lines(200))
    current, running = running_job(stores, created)
    added = LineItem(WbsKey("T03", "000000", "A"), "New line", Decimal("12.00"))
    new_lines = sorted([*lines(200), added], key=lambda line: line.key)

    commit_as_worker(budgets, current, running, new_lines, at=NOW,
                     touched=frozenset({added.key}))  # fmt: skip

    head = budgets.get("demo", "P-1001")
    assert budgets.read_lines(head) == new_lines
    assert head.line_count == 201
    # A plan that does not say what it touched rewrites every chunk, and still reads right.
    current, running = running_job(stores, head, "job-2")
    commit_as_worker(budgets, current, running, with_amount(new_lines, 0, "1.00"), at=NOW)
    assert budgets.read_lines(budgets.get("demo", "P-1001")) == with_amount(new_lines, 0, "1.00")


def test_a_chunk_shared_by_kept_versions_never_expires_and_expires_once_no_kept_version_has_it(
    stores, dynamodb_tables, monkeypatch
):
    """Versions share chunks (copy on write); when a version leaves the last KEPT_VERSIONS, only
    the chunks that the version after it no longer names get `expires_at` (a chunk is named by a
    run of consecutive versions, as every commit starts from the current one)."""
    from chalicelib.adapters.dynamodb import budgets as module
    from chalicelib.adapters.dynamodb import items

    monkeypatch.setattr(items, "RAW_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(module, "KEPT_VERSIONS", 2)
    budgets, _ = stores
    current = budgets.create_budget(budget(), lines(200))
    first = current.version
    # Touch chunk 0, chunk 1, chunk 0, chunk 2, chunk 3: versions first+1 .. first+5.
    for n, position in enumerate([0, 40, 1, 80, 120]):
        current = _commit_one_line(stores, current, f"job-{n}", position, f"{n + 1}.00")

    newest = current.version
    kept = {v: budgets._version_item(current, v) for v in range(newest - 1, newest + 1)}
    named_by_kept = {items.chunk_sk(s, n) for record in kept.values()
                     for n, s in enumerate(record.sets())}  # fmt: skip
    chunks = _chunk_items(dynamodb_tables)
    expiring = {sk for sk, item in chunks.items() if "expires_at" in item}
    assert expiring, "versions left the last KEPT_VERSIONS, so some chunks expire"
    assert not expiring & named_by_kept
    # Every chunk no kept version names has left with its versions, shared or not.
    for v in range(first, newest - 1):
        record = budgets._version_item(current, v)
        assert "expires_at" in record.model_dump() and record.expires_at is not None
        gone = {items.chunk_sk(s, n) for n, s in enumerate(record.sets())} - named_by_kept
        assert gone <= expiring
    for v in kept:  # and every kept version still reads whole
        assert len(budgets.read_lines(current.model_copy(update={"version": v}))) == 200
