"""The storage ports' behaviour, written once (`StoreContract`) and run on the in-memory stores here
and on the DynamoDB stores in tests/integration/test_dynamodb_contract.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.errors import (
    AlreadyMember,
    BudgetLocked,
    ConcurrentChange,
    InvalidRequest,
    JobInProgress,
    NotFound,
)
from chalicelib.domain.model import (
    QUEUED_MESSAGE,
    RUNNING_MESSAGE,
    Budget,
    BudgetStatus,
    ChangeKind,
    ChangeRecord,
    CostCatalog,
    Job,
    JobKind,
    JobStatus,
    LineError,
    LineItem,
    MemberStatus,
    Permission,
    WbsKey,
)
from chalicelib.domain.ports import JobMessage, LineEdit
from devstack.memory import MemoryStores
from tests.fixtures.domain import commit_as_worker

NOW = datetime(2026, 11, 26, 10, 45, tzinfo=UTC)


def lines(count: int, amount: str = "10.00") -> list[LineItem]:
    return [
        LineItem(WbsKey(f"T{i % 3}", f"{i:04d}", "L"), f"Line {i}", Decimal(amount) + i)
        for i in sorted(range(count), key=lambda i: (f"T{i % 3}", f"{i:04d}"))
    ]


def budget(budget_id: str = "P-1001", name: str = "Riverside Medical Center") -> Budget:
    return Budget(
        company_id="demo", budget_id=budget_id, project_id=budget_id, project_name=name,
        erp_job_id=budget_id, erp_system="acumatica", status=BudgetStatus.SYNCED,
    )  # fmt: skip


def job(
    job_id: str, budget_id: str = "P-1001", minutes: int = 0, at: datetime | None = None
) -> Job:
    return Job(
        job_id=job_id, company_id="demo", budget_id=budget_id, kind=JobKind.REIMPORT,
        requested_by="standard@demo.test", requested_at=at or NOW + timedelta(minutes=minutes),
    )  # fmt: skip


def budget_for(stores, budget_id: str) -> Budget:  # type: ignore[no-untyped-def]
    return stores.budgets.create_budget(budget(budget_id), [])


class StoreContract:
    """Behaviour every BudgetStore/JobStore/Directory implementation must show.

    Subclasses provide a `stores` fixture with `.budgets`, `.jobs` and `.directory`.
    """

    def _running(self, stores, current: Budget, job_id: str = "job-1") -> tuple[Budget, Job]:
        queued = stores.jobs.enqueue(job(job_id, current.budget_id), current, None)
        started = stores.jobs.start(queued.company_id, queued.job_id, NOW)
        return stores.budgets.get("demo", current.budget_id), started

    def _commit(self, stores, current: Budget, running: Job, new: list[LineItem]) -> Job:
        changes = [
            ChangeRecord(
                new[0].line_item_id,
                new[0].key,
                ChangeKind.UPDATED,
                Decimal("1.00"),
                new[0].original_budget_amount,
            )  # fmt: skip
        ]
        return commit_as_worker(stores.budgets, current, running, new, changes, at=NOW)

    def test_a_commit_is_seen_whole_and_the_previous_version_stays_readable(self, stores):
        before = stores.budgets.create_budget(budget(), lines(12))
        current, running = self._running(stores, before)

        done = self._commit(stores, current, running, lines(12, "20.00"))

        after = stores.budgets.get("demo", "P-1001")
        assert (after.version, after.active_job_id) == (before.version + 1, None)
        assert after.total == sum(x.original_budget_amount for x in lines(12, "20.00"))
        assert stores.budgets.read_lines(after) == lines(12, "20.00")
        assert stores.budgets.read_lines(before) == lines(12)
        assert stores.budgets.read_page(after, 10, 5) == lines(12, "20.00")[10:]
        assert done.status is JobStatus.SUCCEEDED
        assert stores.jobs.get("demo", "job-1").change_count == 1
        assert len(stores.jobs.changes(done, 0, 100)) == 1

    def test_a_stale_or_locked_commit_changes_nothing(self, stores):
        created = stores.budgets.create_budget(budget(), lines(5))
        current, running = self._running(stores, created)
        stale = current.model_copy(update={"version": current.version + 5})
        with pytest.raises(ConcurrentChange):
            self._commit(stores, stale, running, lines(5, "1.00"))
        stores.budgets.set_locked(current, True)
        with pytest.raises(BudgetLocked):
            self._commit(stores, current, running, lines(5, "1.00"))
        assert stores.budgets.read_lines(stores.budgets.get("demo", "P-1001")) == lines(5)
        assert stores.jobs.get("demo", "job-1").status is JobStatus.IN_PROGRESS

    def test_a_started_job_says_it_is_running_never_queued(self, stores):
        current = stores.budgets.create_budget(budget(), [])
        queued = stores.jobs.enqueue(job("job-1").model_copy(update={"message": QUEUED_MESSAGE}),
                                     current, None)  # fmt: skip
        started = stores.jobs.start(queued.company_id, queued.job_id, NOW)
        assert (started.status, started.message) == (JobStatus.IN_PROGRESS, RUNNING_MESSAGE)
        stores.jobs.report_waiting(started, "Waiting to retry in about 1 minute: the ERP is busy.")
        assert "Waiting to retry" in stores.jobs.get("demo", "job-1").message
        # The message comes back and runs again: it is no longer waiting.
        again = stores.jobs.start("demo", "job-1", NOW)
        assert again.message == stores.jobs.get("demo", "job-1").message == RUNNING_MESSAGE

    def test_one_active_job_per_budget_and_idempotency_keys(self, stores):
        current = stores.budgets.create_budget(budget(), [])
        first = stores.jobs.enqueue(job("job-1"), current, "key-1")
        with pytest.raises(JobInProgress) as refused:
            stores.jobs.enqueue(job("job-2"), current, None)
        assert refused.value.job_id == "job-1"
        assert stores.jobs.enqueue(job("job-3"), current, "key-1").job_id == first.job_id
        stores.jobs.fail(first, "Stopped.", [LineError(line=1, field="x", message="m")], NOW)
        assert stores.budgets.get("demo", "P-1001").active_job_id is None
        locked = stores.budgets.set_locked(current, True)
        with pytest.raises(BudgetLocked, match="Riverside Medical Center is locked"):
            stores.jobs.enqueue(job("job-4"), locked, None)

    def test_edit_line_bumps_the_version_and_refuses_unknown_lines(self, stores):
        created = stores.budgets.create_budget(budget(), lines(6))
        target = lines(6)[2]
        edited = stores.budgets.edit_line(
            created, target.line_item_id, LineEdit(original_budget_amount=Decimal("3.50"))
        )
        after = stores.budgets.get("demo", "P-1001")
        assert after.version == created.version + 1
        assert stores.budgets.read_lines(after)[2] == edited
        assert stores.budgets.read_lines(after)[3:] == lines(6)[3:]
        for bad in ("garbage", WbsKey("X", "Y", "Z").line_item_id):
            with pytest.raises(NotFound):
                stores.budgets.edit_line(after, bad, LineEdit(description="x"))
        with pytest.raises(InvalidRequest):
            stores.budgets.edit_line(
                after, target.line_item_id, LineEdit(original_budget_amount=Decimal("0.001"))
            )

    def test_jobs_list_newest_first_and_refuse_foreign_cursors(self, stores):
        for n in range(3):
            current = stores.budgets.create_budget(budget(f"P-{n}"), [])
            stores.jobs.enqueue(job(f"job-{n}", f"P-{n}", minutes=n), current, None)
        first = stores.jobs.list("demo", None, 2, None)
        rest = stores.jobs.list("demo", None, 2, first.next_cursor)
        assert [j.job_id for j in first.items + rest.items] == ["job-2", "job-1", "job-0"]
        assert [j.job_id for j in stores.jobs.list("demo", "P-1", 5, None).items] == ["job-1"]
        cutoff = NOW + timedelta(minutes=1, seconds=30)
        assert [j.job_id for j in stores.jobs.abandoned(cutoff)] == ["job-0", "job-1"]
        with pytest.raises(InvalidRequest):
            stores.jobs.list("demo", None, 2, "garbage")

    def test_jobs_requested_within_one_second_list_newest_first(self, stores):
        # Three requests in one second, with ids that sort against the order they came in: only
        # the time of each request, below the second, can put the newest first.
        requests = [("job-c", "P-0", 100), ("job-b", "P-1", 400), ("job-a", "P-2", 900)]
        for job_id, budget_id, milliseconds in requests:
            current = stores.budgets.create_budget(budget(budget_id), [])
            stores.jobs.enqueue(
                job(job_id, budget_id, at=NOW + timedelta(milliseconds=milliseconds)), current, None
            )
        listed, cursor = [], None
        for _ in range(len(requests)):
            page = stores.jobs.list("demo", None, 1, cursor)
            listed += [j.job_id for j in page.items]
            cursor = page.next_cursor
        assert listed == ["job-a", "job-b", "job-c"]
        assert cursor is None or stores.jobs.list("demo", None, 1, cursor).items == []
        # The same on one budget (its index), for jobs one after the other.
        first = stores.jobs.enqueue(job("job-z", "P-9", at=NOW), budget_for(stores, "P-9"), None)
        stores.jobs.fail(first, "Stopped.", [], NOW)
        later = NOW + timedelta(microseconds=1)
        stores.jobs.enqueue(job("job-y", "P-9", at=later), stores.budgets.get("demo", "P-9"), None)
        assert [j.job_id for j in stores.jobs.list("demo", "P-9", 5, None).items] == [
            "job-y", "job-z",
        ]  # fmt: skip
        # A queued job is abandoned only once the cut-off is past its request, to the microsecond.
        assert "job-y" not in {j.job_id for j in stores.jobs.abandoned(later)}
        assert "job-y" in {
            j.job_id for j in stores.jobs.abandoned(later + timedelta(microseconds=1))
        }

    def test_unfinished_jobs_are_the_company_s_queued_and_running_ones(self, stores):
        first, second, third = (budget_for(stores, b) for b in ("P-1", "P-2", "P-3"))
        preview = job("job-preview", "P-3", minutes=3).model_copy(update={"kind": JobKind.PREVIEW})
        stores.jobs.enqueue(job("job-done", "P-1", minutes=0), first, None)
        stores.jobs.enqueue(job("job-running", "P-2", minutes=1), second, None)
        stores.jobs.enqueue(job("job-queued", "P-3", minutes=2), third, None)
        stores.jobs.enqueue(preview, third, None)  # a preview holds nothing
        stores.jobs.fail(stores.jobs.get("demo", "job-done"), "Stopped.", [], NOW)
        stores.jobs.start("demo", "job-running", NOW)
        assert [j.job_id for j in stores.jobs.unfinished("demo", 10)] == [
            "job-preview", "job-queued", "job-running",
        ]  # fmt: skip
        assert [j.job_id for j in stores.jobs.unfinished("demo", 1)] == ["job-preview"]
        assert stores.jobs.unfinished("other", 10) == []

        running = stores.jobs.start("demo", "job-preview", NOW)
        done = {"status": JobStatus.SUCCEEDED, "finished_at": NOW, "message": "Planned."}
        stores.jobs.finish_preview(running.model_copy(update=done), [])
        stores.jobs.fail(stores.jobs.get("demo", "job-running"), "Stopped.", [], NOW)
        assert [j.job_id for j in stores.jobs.unfinished("demo", 10)] == ["job-queued"]

    def test_budgets_list_by_project_name(self, stores):
        for budget_id, name in (("P-1", "beta"), ("P-2", "Alpha"), ("P-3", "gamma")):
            stores.budgets.create_budget(budget(budget_id, name), [])
        first = stores.budgets.list("demo", BudgetStatus.SYNCED, 2, None)
        rest = stores.budgets.list("demo", None, 2, first.next_cursor)
        assert [b.project_name for b in first.items + rest.items] == ["Alpha", "beta", "gamma"]
        assert stores.budgets.list("other", None, 5, None).items == []

    def test_unlinked_budgets_leave_the_lists_and_are_listed_on_their_own(self, stores):
        for budget_id, name in (("P-1", "beta"), ("P-2", "Alpha"), ("P-3", "gamma"), ("P-4", "d")):
            stores.budgets.create_budget(budget(budget_id, name), lines(2))
        for budget_id in ("P-1", "P-3", "P-4"):
            stores.budgets.unlink(stores.budgets.get("demo", budget_id))
        first = stores.budgets.list_unlinked("demo", 2, None)
        rest = stores.budgets.list_unlinked("demo", 2, first.next_cursor)
        assert [b.project_name for b in first.items + rest.items] == ["beta", "d", "gamma"]
        assert rest.next_cursor is None
        assert [b.project_name for b in stores.budgets.list("demo", None, 5, None).items] == [
            "Alpha"
        ]
        assert stores.budgets.read_lines(first.items[0]) == lines(2)
        assert stores.budgets.list_unlinked("other", 5, None).items == []

    def test_a_job_committed_on_an_unlinked_budget_leaves_it_off_the_lists(self, stores):
        created = stores.budgets.create_budget(budget(), lines(3))
        stores.budgets.unlink(created)
        current = stores.budgets.get("demo", created.budget_id)
        restore = job("job-1").model_copy(
            update={"kind": JobKind.RESTORE, "restore_version": created.version}
        )
        stores.jobs.enqueue(restore, current, None)  # a restore needs no link
        running = stores.jobs.start("demo", "job-1", NOW)
        held = stores.budgets.get("demo", created.budget_id)

        self._commit(stores, held, running, lines(3, "20.00"))

        assert stores.budgets.list("demo", None, 5, None).items == []
        [unlinked] = stores.budgets.list_unlinked("demo", 5, None).items
        assert unlinked.version == created.version + 1

    def test_directory_memberships_and_catalog(self, stores):
        stores.directory.put_company("demo", "Demo Construction Co.")
        stores.directory.put_member("demo", "Admin@demo.test", Permission.ADMIN, Permission.ADMIN)
        stores.directory.put_cost_catalog("demo", CostCatalog(frozenset({"01"}), frozenset({"L"})))
        [member] = stores.directory.memberships("admin@demo.test")
        assert (member.company_name, member.erp_permission) == (
            "Demo Construction Co.", Permission.ADMIN,
        )  # fmt: skip
        assert stores.directory.membership("other", "admin@demo.test") is None
        assert stores.directory.cost_catalog("demo").cost_codes == {"01"}

    def test_a_member_change_is_written_only_while_what_it_read_still_holds(self, stores):
        directory = stores.directory
        directory.put_company("demo", "Demo Construction Co.")
        for email in ("a@demo.test", "b@demo.test"):
            directory.put_member("demo", email, Permission.ADMIN, Permission.ADMIN)
        directory.put_member("demo", "c@demo.test", Permission.STANDARD, Permission.STANDARD,
                             MemberStatus.INVITED)  # fmt: skip
        a, b, c = (directory.membership("demo", f"{x}@demo.test") for x in "abc")

        # a and b demote each other, each relying on the other staying admin: one only succeeds.
        directory.change_member(b, Permission.STANDARD, Permission.ADMIN, [a])
        with pytest.raises(ConcurrentChange):
            directory.change_member(a, Permission.STANDARD, Permission.ADMIN, [b])
        # A change read before a removal does not write the removed member back.
        directory.remove_member(c)
        with pytest.raises(ConcurrentChange):
            directory.change_member(c, Permission.ADMIN, Permission.ADMIN)
        with pytest.raises(ConcurrentChange):
            directory.remove_member(a, [b])  # b is no longer what it was read as

        held = {m.email: (m.erp_permission, m.budget_permission) for m in directory.members("demo")}
        assert held == {
            "a@demo.test": (Permission.ADMIN, Permission.ADMIN),
            "b@demo.test": (Permission.STANDARD, Permission.ADMIN),
        }
        fresh_b = directory.membership("demo", "b@demo.test")
        directory.change_member(fresh_b, Permission.READ_ONLY, Permission.ADMIN, [a])
        assert directory.membership("demo", "b@demo.test").status is MemberStatus.ACTIVE

    def test_adding_a_member_never_overwrites_one(self, stores):
        stores.directory.put_company("demo", "Demo Construction Co.")
        stores.directory.add_member("demo", "New@demo.test", Permission.READ_ONLY,
                                    Permission.NONE, MemberStatus.INVITED)  # fmt: skip

        with pytest.raises(AlreadyMember):
            stores.directory.add_member("demo", "new@demo.test", Permission.ADMIN,
                                        Permission.ADMIN, MemberStatus.ACTIVE)  # fmt: skip

        [member] = stores.directory.members("demo")
        assert (member.email, member.erp_permission, member.status) == (
            "new@demo.test", Permission.READ_ONLY, MemberStatus.INVITED,
        )  # fmt: skip

    def test_a_member_change_keeps_the_member_s_status(self, stores):
        stores.directory.put_company("demo", "Demo Construction Co.")
        stores.directory.put_member("demo", "c@demo.test", Permission.STANDARD,
                                    Permission.STANDARD, MemberStatus.INVITED)  # fmt: skip
        c = stores.directory.membership("demo", "c@demo.test")
        stores.directory.change_member(c, Permission.READ_ONLY, Permission.STANDARD)
        after = stores.directory.membership("demo", "c@demo.test")
        assert (after.erp_permission, after.status) == (Permission.READ_ONLY, MemberStatus.INVITED)


class TestMemoryStores(StoreContract):
    @pytest.fixture
    def stores(self) -> MemoryStores:
        return MemoryStores()


def test_the_memory_queue_collects_messages_and_can_refuse_them():
    stores = MemoryStores()
    message = JobMessage(job_id="job-1", company_id="demo", budget_id="P-1001")
    stores.queue.send(message)
    assert stores.queue.drain() == [message]
    stores.queue.available = False
    with pytest.raises(Exception, match="not available"):
        stores.queue.send(message)
    stores.queue.postpone("receipt-1", 60)  # a retry's backoff, kept for the test to read
    assert stores.queue.postponed == [("receipt-1", 60)]


def test_idempotency_keys_expire_after_a_day():
    clock = [1_000_000.0]
    stores = MemoryStores()
    stores.db.clock = lambda: clock[0]
    current = stores.budgets.create_budget(budget(), [])
    first = stores.jobs.enqueue(job("job-1"), current, "key")
    stores.jobs.fail(first, "Stopped.", [], NOW)
    clock[0] += 24 * 3600 + 1
    assert stores.jobs.enqueue(job("job-2"), current, "key").job_id == "job-2"


def test_a_job_store_built_on_a_budget_store_shares_its_database():
    from devstack.memory import MemoryBudgetStore, MemoryJobStore

    budgets = MemoryBudgetStore()
    jobs = MemoryJobStore(budgets)
    current = budgets.create_budget(budget(), [])
    jobs.enqueue(job("job-1"), current, None)
    assert budgets.get("demo", "P-1001").active_job_id == "job-1"


def test_the_memory_identity_provider_signs_in_known_users_only():
    from chalicelib.domain.errors import InvalidCredentials, Unauthenticated
    from devstack.memory import MemoryIdentityProvider

    identity = MemoryIdentityProvider({"Admin@demo.test": "Demo-pass-1"})
    session = identity.sign_in("admin@demo.test", "Demo-pass-1")
    assert identity.verify(session.token).email == "admin@demo.test"
    for email, password in (("admin@demo.test", "wrong"), ("nobody@demo.test", "Demo-pass-1")):
        with pytest.raises(InvalidCredentials):
            identity.sign_in(email, password)
    with pytest.raises(Unauthenticated):
        identity.verify("forged")
