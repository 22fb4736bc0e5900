"""The adoption use cases on in-memory ports: the ERP connection's fields, links, the cost
catalog, members, unknown codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from chalicelib.domain import limits
from chalicelib.domain.erp_fields import FIELDS
from chalicelib.domain.errors import (
    AlreadyLinked,
    AlreadyMember,
    InUse,
    InvalidConnection,
    JobInProgress,
    LastAdmin,
    NotFound,
    NotLinked,
    PermissionDenied,
)
from chalicelib.domain.model import (
    BudgetStatus,
    CatalogEntry,
    ConnectionStatus,
    ErpCatalog,
    ErpConnection,
    ErpCredentials,
    ErpProject,
    ErpSettings,
    JobKind,
    JobStatus,
    MemberStatus,
    Permission,
    TargetKind,
    WbsKey,
    utc_now,
)
from chalicelib.domain.ports import Directory, JobMessage
from chalicelib.services import (
    catalog,
    connections,
    erp_projects,
    history,
    mapping_preview,
    members,
    reimports,
    targets,
)
from chalicelib.services import exports as spreadsheet_exports
from chalicelib.services.ports import Ports
from tests.fixtures.services import COMPANY, K1, World, erp_line, me, world

ADMIN = me("admin@acme.test")


def test_linking_an_erp_job_creates_a_project_named_as_in_the_erp_ready_to_import() -> None:
    w = world()

    budget = erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)
    page = erp_projects.list_projects(w.ports, ADMIN, COMPANY, 10, None)

    assert (budget.project_name, budget.status, budget.line_count) == (
        "Northside Clinic", BudgetStatus.READY_TO_IMPORT, 0,
    )  # fmt: skip
    ready = w.ports.budgets.list(COMPANY, BudgetStatus.READY_TO_IMPORT, 10, None).items
    assert budget.budget_id in {b.budget_id for b in ready}
    assert {r.project.erp_job_id: r.project_id for r in page.rows}["J-9"] == budget.project_id
    with pytest.raises(AlreadyLinked):
        erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", "Again")
    with pytest.raises(NotFound):
        erp_projects.link(w.ports, ADMIN, COMPANY, "NOPE-1", None)


def test_an_erp_name_longer_than_a_given_one_may_be_is_shortened_when_linking() -> None:
    # ERP text has no bound of ours; the project's name is keyed in an index (at most 1,024 bytes).
    w = world()
    w.erp.projects.append(ErpProject("L-1100", "Tower " * 200, "Active"))

    budget = erp_projects.link(w.ports, ADMIN, COMPANY, "L-1100", None)

    assert budget.project_name == ("Tower " * 200)[: limits.MAX_PROJECT_NAME].strip()


def test_a_link_whose_budget_could_not_be_made_is_taken_back_so_it_can_be_linked_again() -> None:
    w = world()
    create = w.ports.budgets.create_budget

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store refused the budget")

    w.ports.budgets.create_budget = refused  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)
    assert "J-9" not in w.ports.directory.links(COMPANY)

    w.ports.budgets.create_budget = create  # type: ignore[method-assign]
    assert (
        erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None).project_name == "Northside Clinic"
    )


def test_a_link_whose_budget_was_written_before_an_error_is_kept() -> None:
    # A timeout on the answer after the write: taking the link back would let a second link make
    # a second budget for the same ERP job.
    w = world()
    create = w.ports.budgets.create_budget

    def written_then_lost(*args: Any, **kwargs: Any) -> Any:
        create(*args, **kwargs)
        raise TimeoutError("the answer was lost")

    w.ports.budgets.create_budget = written_then_lost  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)
    assert "J-9" in w.ports.directory.links(COMPANY)


def test_a_name_given_when_linking_wins_over_the_erp_s() -> None:
    w = world()

    budget = erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", "Clinic, phase 1")

    assert budget.project_name == "Clinic, phase 1"


def test_the_erp_s_projects_are_paged_with_a_cursor() -> None:
    w = world()

    first = erp_projects.list_projects(w.ports, ADMIN, COMPANY, 2, None)
    second = erp_projects.list_projects(w.ports, ADMIN, COMPANY, 2, first.next_cursor)

    assert [r.project.erp_job_id for r in first.rows + second.rows] == ["P-1", "P-2", "J-9"]
    assert second.next_cursor is None


def test_unlinking_keeps_the_project_s_lines_and_takes_it_off_the_budgets_list() -> None:
    w = world()
    budget = erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)

    erp_projects.unlink(w.ports, ADMIN, COMPANY, "J-9")

    listed = w.ports.budgets.list(COMPANY, None, 10, None).items
    assert budget.budget_id not in {b.budget_id for b in listed}
    assert w.ports.budgets.get_by_project(COMPANY, budget.project_id).project_name
    with pytest.raises(NotLinked):
        reimports.request_job(w.ports, ADMIN, COMPANY, budget.budget_id, JobKind.IMPORT)
    with pytest.raises(NotFound):
        erp_projects.unlink(w.ports, ADMIN, COMPANY, "J-9")


def test_unlinking_while_a_job_runs_is_refused_with_the_job() -> None:
    w = world()
    budget = erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)
    job = reimports.request_job(w.ports, ADMIN, COMPANY, budget.budget_id, JobKind.IMPORT)

    with pytest.raises(JobInProgress) as refused:
        erp_projects.unlink(w.ports, ADMIN, COMPANY, "J-9")

    assert refused.value.job_id == job.job_id


def test_the_connection_cannot_be_deleted_while_a_preview_is_queued_or_running() -> None:
    w = world()
    preview = reimports.request_preview(w.ports, ADMIN, COMPANY, "P-1")  # it holds no budget

    with pytest.raises(JobInProgress) as refused:
        connections.delete_connection(w.ports, ADMIN, COMPANY)
    assert refused.value.job_id == preview.job_id
    assert "preview of the budget for" in refused.value.message
    w.ports.jobs.start(COMPANY, preview.job_id, w.clock())
    with pytest.raises(JobInProgress):
        connections.delete_connection(w.ports, ADMIN, COMPANY)

    reimports.run_job(w.ports, JobMessage(**preview.model_dump()), final_attempt=False)
    connections.delete_connection(w.ports, ADMIN, COMPANY)
    with pytest.raises(NotFound):
        w.ports.directory.erp_connection(COMPANY)


def test_the_connection_cannot_be_deleted_while_an_unlinked_project_s_job_is_queued() -> None:
    w = world()
    w.ports.directory.put_link(COMPANY, "P-1", "P-1")
    erp_projects.unlink(w.ports, ADMIN, COMPANY, "P-1")  # off the lists, history kept
    version = w.budget().version
    restore = history.request_restore(w.ports, ADMIN, COMPANY, "P-1", version)

    with pytest.raises(JobInProgress) as refused:
        connections.delete_connection(w.ports, ADMIN, COMPANY)

    assert refused.value.job_id == restore.job_id
    assert w.ports.directory.erp_connection(COMPANY).erp_system


def test_removing_a_cost_code_a_line_uses_is_refused_listing_the_lines() -> None:
    w = world()
    current = w.ports.directory.catalog_entries(COMPANY)
    without = ErpCatalog([e for e in current.cost_codes if e.code != "01-100"], current.cost_types)

    with pytest.raises(InUse) as refused:
        catalog.put_catalog(w.ports, ADMIN, COMPANY, without)

    assert refused.value.keys == [
        {"project_id": "P-1", "sub_job": "T1", "cost_code": "01-100", "cost_type": "L"}
    ]
    assert {e.code for e in w.ports.directory.catalog_entries(COMPANY).cost_codes} >= {"01-100"}


def test_a_cost_code_an_unlinked_project_s_lines_use_cannot_be_removed() -> None:
    w = world()
    w.ports.directory.put_link(COMPANY, "P-1", "P-1")
    erp_projects.unlink(w.ports, ADMIN, COMPANY, "P-1")  # the project and its lines stay
    current = w.ports.directory.catalog_entries(COMPANY)
    without = ErpCatalog([e for e in current.cost_codes if e.code != "01-100"], current.cost_types)

    with pytest.raises(InUse) as refused:
        catalog.put_catalog(w.ports, ADMIN, COMPANY, without)

    assert refused.value.keys == [
        {"project_id": "P-1", "sub_job": "T1", "cost_code": "01-100", "cost_type": "L"}
    ]
    assert "01-100" in {e.code for e in w.ports.directory.catalog_entries(COMPANY).cost_codes}


def test_a_catalog_keeps_descriptions_and_a_sync_adds_what_the_erp_has_but_never_removes() -> None:
    w = world()
    current = w.ports.directory.catalog_entries(COMPANY)
    described = ErpCatalog(
        [CatalogEntry(e.code, f"Code {e.code}") for e in current.cost_codes], current.cost_types
    )
    catalog.put_catalog(w.ports, ADMIN, COMPANY, described)

    added = catalog.sync_catalog(w.ports, ADMIN, COMPANY)
    again = catalog.sync_catalog(w.ports, ADMIN, COMPANY)

    after = catalog.get_catalog(w.ports, me("readonly@acme.test"), COMPANY)
    assert (added, again) == ((1, 1), (0, 0))
    codes = {e.code: e.description for e in after.cost_codes}
    assert codes == {"01-100": "Code 01-100", "02-200": "Code 02-200",
                     "03-300": "Code 03-300", "04-400": "Masonry"}  # fmt: skip
    assert {e.code for e in after.cost_types} == {"E", "L", "M", "S"}


def test_with_add_unknown_cost_codes_an_import_adds_the_codes_instead_of_failing() -> None:
    unknown = WbsKey("T1", "77-700", "X")
    w = world([erp_line(1, K1, Decimal("10.00")), erp_line(2, unknown, Decimal("5.00"))])
    w.ports.directory.save_erp_settings(COMPANY, ErpSettings(add_unknown_cost_codes=True))
    job = reimports.request_job(w.ports, ADMIN, COMPANY, "P-2", JobKind.IMPORT)

    done = reimports.run_job(w.ports, JobMessage(**job.model_dump()), final_attempt=False).job

    assert done.status is JobStatus.SUCCEEDED, done.message
    known = w.ports.directory.cost_catalog(COMPANY)
    assert "77-700" in known.cost_codes and "X" in known.cost_types
    assert w.amounts("P-2")[unknown] == Decimal("5.00")


def test_the_added_codes_are_audited_with_the_job_that_added_them() -> None:
    unknown = WbsKey("T1", "77-700", "X")
    w = world([erp_line(1, K1, Decimal("10.00")), erp_line(2, unknown, Decimal("5.00"))])
    w.ports.directory.save_erp_settings(COMPANY, ErpSettings(add_unknown_cost_codes=True))
    job = reimports.request_job(w.ports, ADMIN, COMPANY, "P-2", JobKind.IMPORT)

    reimports.run_job(w.ports, JobMessage(**job.model_dump()), final_attempt=False)

    changed = [e for e in w.ports.audit.list(COMPANY, 10, None).items
               if e.action == "catalog.changed"]  # fmt: skip
    assert len(changed) == 1
    assert changed[0].details["added_cost_codes"] == ["77-700"]
    assert changed[0].details["added_cost_types"] == ["X"]
    assert changed[0].details["job_id"] == job.job_id


def test_a_preview_with_add_unknown_cost_codes_plans_them_but_leaves_the_catalog_alone() -> None:
    unknown = WbsKey("T1", "77-700", "X")
    w = world([erp_line(1, K1, Decimal("10.00")), erp_line(2, unknown, Decimal("5.00"))])
    w.ports.directory.save_erp_settings(COMPANY, ErpSettings(add_unknown_cost_codes=True))
    before = w.ports.directory.catalog_entries(COMPANY)
    job = reimports.request_preview(w.ports, ADMIN, COMPANY, "P-2")

    done = reimports.run_job(w.ports, JobMessage(**job.model_dump()), final_attempt=False).job

    assert done.status is JobStatus.SUCCEEDED, done.message  # planned with the codes known
    assert done.summary is not None and done.summary.lines_added == 2
    assert w.ports.directory.catalog_entries(COMPANY) == before  # a preview changes nothing
    assert "77-700" not in w.ports.directory.cost_catalog(COMPANY).cost_codes


def test_an_import_refused_for_another_line_adds_no_code() -> None:
    unknown = WbsKey("T1", "77-700", "X")
    bad = erp_line(3, WbsKey("T1", "01-100", "L"), Decimal("1.001"))  # more than two decimals
    w = world([erp_line(1, K1, Decimal("10.00")), erp_line(2, unknown, Decimal("5.00")), bad])
    w.ports.directory.save_erp_settings(COMPANY, ErpSettings(add_unknown_cost_codes=True))
    before = w.ports.directory.catalog_entries(COMPANY)
    job = reimports.request_job(w.ports, ADMIN, COMPANY, "P-2", JobKind.IMPORT)

    done = reimports.run_job(w.ports, JobMessage(**job.model_dump()), final_attempt=False).job

    assert done.status is JobStatus.FAILED
    assert [e.line for e in done.errors] == [3]
    assert w.ports.directory.catalog_entries(COMPANY) == before


def test_without_the_setting_an_unknown_code_fails_the_import_as_before() -> None:
    w = world([erp_line(1, WbsKey("T1", "77-700", "L"), Decimal("5.00"))])
    job = reimports.request_job(w.ports, ADMIN, COMPANY, "P-2", JobKind.IMPORT)

    done = reimports.run_job(w.ports, JobMessage(**job.model_dump()), final_attempt=False).job

    assert done.status is JobStatus.FAILED
    assert "77-700" not in w.ports.directory.cost_catalog(COMPANY).cost_codes


def test_inviting_a_new_person_sends_a_temporary_password_and_an_existing_account_just_joins() -> (
    None
):
    w = world()
    both = (Permission.STANDARD, Permission.STANDARD)

    invited = members.add_member(w.ports, ADMIN, COMPANY, " PM@Acme.test ", both)
    w.ports.accounts.invite("known@else.test", "Else")  # an account made for another company
    w.ports.accounts.existing.add("known@else.test")  # ... and signed in to since
    joined = members.add_member(w.ports, ADMIN, COMPANY, "known@else.test", both)

    assert (invited.email, invited.status) == ("pm@acme.test", MemberStatus.INVITED)
    assert joined.status is MemberStatus.ACTIVE
    assert {m.to for m in w.ports.accounts.outbox()} == {"known@else.test", "pm@acme.test"}
    with pytest.raises(AlreadyMember):
        members.add_member(w.ports, ADMIN, COMPANY, "pm@acme.test", both)


def test_the_last_admin_of_a_tool_can_be_neither_removed_nor_demoted() -> None:
    w = world()

    with pytest.raises(LastAdmin):
        members.remove_member(w.ports, ADMIN, COMPANY, "admin@acme.test")
    with pytest.raises(LastAdmin):
        members.change_member(w.ports, ADMIN, COMPANY, "admin@acme.test", None, Permission.STANDARD)
    members.change_member(w.ports, ADMIN, COMPANY, "standard@acme.test", Permission.ADMIN, None)
    members.change_member(w.ports, ADMIN, COMPANY, "admin@acme.test", Permission.READ_ONLY, None)

    assert w.ports.directory.membership(COMPANY, "admin@acme.test").erp_permission is (  # type: ignore[union-attr]
        Permission.READ_ONLY
    )


class _Meanwhile:
    """The world's directory, where `meanwhile` runs once just after a use case has made the
    read `after` (by default the company's members, read after the member it changes): another
    request landing in between."""

    def __init__(self, w: World, meanwhile: Callable[[], object], after: str) -> None:
        self._directory = w.ports.directory
        self._meanwhile: Callable[[], object] | None = meanwhile
        self._after = after

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._directory, name)
        if name != self._after:
            return found

        def read_then_meanwhile(*args: Any) -> Any:
            answer = found(*args)
            if self._meanwhile is not None:
                run, self._meanwhile = self._meanwhile, None
                run()
            return answer

        return read_then_meanwhile


def _racing(w: World, meanwhile: Callable[[], object], after: str = "members") -> Ports:
    directory = cast(Directory, _Meanwhile(w, meanwhile, after))
    return dataclasses.replace(w.ports, directory=directory)


def _erp_admins(w: World) -> list[str]:
    listed = w.ports.directory.members(COMPANY)
    return [m.email for m in listed if m.erp_permission is Permission.ADMIN]


def test_two_admins_stepping_down_at_once_leave_the_tool_one_admin() -> None:
    w = world()
    second = me("second@acme.test")
    w.ports.directory.put_member(COMPANY, second.email, Permission.ADMIN, Permission.ADMIN)
    step_down = (COMPANY, second.email, Permission.STANDARD, None)
    ports = _racing(w, lambda: members.change_member(w.ports, second, *step_down))

    with pytest.raises(LastAdmin):
        members.change_member(ports, ADMIN, COMPANY, ADMIN.email, Permission.STANDARD, None)

    assert _erp_admins(w) == [ADMIN.email]


def test_two_admins_demoting_each_other_at_once_leave_the_tool_one_admin() -> None:
    w = world()
    second = me("second@acme.test")
    w.ports.directory.put_member(COMPANY, second.email, Permission.ADMIN, Permission.ADMIN)
    demote_admin = (COMPANY, ADMIN.email, Permission.STANDARD, None)
    ports = _racing(w, lambda: members.change_member(w.ports, second, *demote_admin))

    # Read again, the caller is no longer an ERP admin: the ERP permission is not theirs to give.
    with pytest.raises(PermissionDenied):
        members.change_member(ports, ADMIN, COMPANY, second.email, Permission.STANDARD, None)

    assert _erp_admins(w) == [second.email]


def test_a_change_racing_a_removal_does_not_bring_the_member_back() -> None:
    w = world()
    remove = (w.ports, ADMIN, COMPANY, "standard@acme.test")
    ports = _racing(w, lambda: members.remove_member(*remove))

    with pytest.raises(NotFound):
        members.change_member(ports, ADMIN, COMPANY, "standard@acme.test", Permission.ADMIN, None)

    assert w.ports.directory.membership(COMPANY, "standard@acme.test") is None


def test_two_admins_removing_each_other_at_once_leave_the_tool_one_admin() -> None:
    w = world()
    second = me("second@acme.test")
    w.ports.directory.put_member(COMPANY, second.email, Permission.ADMIN, Permission.ADMIN)
    ports = _racing(w, lambda: members.remove_member(w.ports, ADMIN, COMPANY, second.email))

    # Read again, the caller is no longer a member of the company at all.
    with pytest.raises(NotFound):
        members.remove_member(ports, second, COMPANY, ADMIN.email)

    assert _erp_admins(w) == [ADMIN.email]


def test_two_invitations_of_one_person_at_once_add_them_once() -> None:
    w = world()
    first = (w.ports, ADMIN, COMPANY, "New@acme.test", (Permission.READ_ONLY, Permission.NONE))
    # Once the second has found no member by that address, the first invites them.
    ports = _racing(w, lambda: members.add_member(*first), after="company_name")

    # The second must not overwrite the first's permissions (nor mark them active).
    with pytest.raises(AlreadyMember):
        members.add_member(ports, ADMIN, COMPANY, "new@acme.test", (Permission.ADMIN,
                                                                    Permission.ADMIN))  # fmt: skip

    added = w.ports.directory.membership(COMPANY, "new@acme.test")
    assert added is not None
    assert (added.erp_permission, added.budget_permission, added.status) == (
        Permission.READ_ONLY, Permission.NONE, MemberStatus.INVITED,
    )  # fmt: skip


def test_a_member_who_administers_neither_tool_cannot_see_or_change_members() -> None:
    w = world()

    for call in (
        lambda: members.list_members(w.ports, me(), COMPANY),
        lambda: members.remove_member(w.ports, me(), COMPANY, "none@acme.test"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_every_change_is_in_the_audit_log_newest_first() -> None:
    w = world()

    erp_projects.link(w.ports, ADMIN, COMPANY, "J-9", None)
    catalog.sync_catalog(w.ports, ADMIN, COMPANY)
    members.add_member(w.ports, ADMIN, COMPANY, "pm@acme.test", (Permission.NONE,) * 2)  # type: ignore[arg-type]

    events = w.ports.audit.list(COMPANY, 10, None).items
    assert [e.action for e in events] == ["member.added", "catalog.synced", "project.linked"]
    assert events[0].actor == "admin@acme.test" and events[0].target == "pm@acme.test"


def _any_url(url: str) -> None:
    """The URL guard's stand-in: these tests are about the fields, not the address."""


def _save(
    w: World, erp: str, settings: dict[str, str], credentials: dict[str, str] | None
) -> ErpConnection:
    given = connections.ConnectionInput(erp, "https://erp.example.com", settings, credentials)
    return connections.put_connection(w.ports, ADMIN, COMPANY, given, _any_url)


@pytest.mark.parametrize(
    ("settings", "credentials", "field"),
    [
        ({"company": "Acme", "password": "InSettings-Secret-55"}, {"username": "u", "password": "p"},
         "settings.password"),
        ({"company": "Acme"}, {"username": "u", "password": "p", "token": "Token-Secret-55"},
         "credentials.token"),
        ({"company": "Acme", "password": "InSettings-Secret-55"}, None, "settings.password"),
    ],
    ids=["a password among the settings", "an unknown credential", "without credentials"],
)  # fmt: skip
def test_a_field_the_erp_does_not_have_is_refused_naming_it_and_nothing_is_saved(
    settings: dict[str, str], credentials: dict[str, str] | None, field: str
) -> None:
    w = world()
    before = w.ports.directory.erp_connection(COMPANY)

    with pytest.raises(InvalidConnection) as refused:
        _save(w, "acumatica", settings, credentials)

    kind, name = field.split(".")
    assert refused.value.field == field
    assert f"no {kind.removesuffix('s')} '{name}'" in refused.value.message
    assert "Secret-55" not in refused.value.message
    assert w.ports.directory.erp_connection(COMPANY) == before
    assert w.ports.secrets.erp_credentials("acme-erp") == ErpCredentials.of(
        username="admin", password="sandbox"
    )
    assert w.ports.audit.list(COMPANY, 10, None).items == []


def test_switching_to_another_erp_that_signs_in_takes_its_credentials() -> None:
    w = world()
    before = w.ports.directory.erp_connection(COMPANY)

    with pytest.raises(InvalidConnection) as refused:
        _save(w, "intacct", {}, None)  # the stored secret is Acumatica's username and password

    assert refused.value.field == "credentials"
    assert "Sage Intacct" in refused.value.message
    assert "client_id, client_secret" in refused.value.message
    assert w.ports.directory.erp_connection(COMPANY) == before
    assert w.ports.audit.list(COMPANY, 10, None).items == []
    saved = _save(w, "intacct", {}, {"client_id": "id", "client_secret": "s"})
    assert (saved.erp_system, saved.signs_in) == ("intacct", True)
    assert w.ports.secrets.erp_credentials(saved.credentials_secret_id) == ErpCredentials.of(
        client_id="id", client_secret="s"
    )


def test_a_save_of_the_same_erp_without_credentials_keeps_the_stored_ones() -> None:
    w = world()
    _save(w, "acumatica", {"company": "Acme"}, {"username": "u", "password": "p"})

    saved = _save(w, "acumatica", {"company": "Acme East"}, None)

    assert (saved.settings, saved.signs_in) == ({"company": "Acme East"}, True)
    assert w.ports.secrets.erp_credentials(saved.credentials_secret_id) == ErpCredentials.of(
        username="u", password="p"
    )


def _save_at(
    w: World, base_url: str, erp: str, settings: dict[str, str], credentials: dict[str, str] | None
) -> ErpConnection:
    given = connections.ConnectionInput(erp, base_url, settings, credentials)
    return connections.put_connection(w.ports, ADMIN, COMPANY, given, _any_url)


def test_a_save_that_moves_the_base_url_without_credentials_is_refused_and_saves_nothing() -> None:
    # The stored secrets are only sent to the address they were saved for (docs/adoption.md).
    w = world()
    saved = _save(w, "acumatica", {"company": "Acme"}, {"username": "u", "password": "p"})
    audited = len(w.ports.audit.list(COMPANY, 10, None).items)

    with pytest.raises(InvalidConnection) as refused:
        _save_at(w, "https://collector.example.net", "acumatica", {"company": "Acme"}, None)

    assert refused.value.field == "credentials"
    assert refused.value.message.startswith("Enter the credentials again (username, password)")
    assert "only sent to the address they were saved for" in refused.value.message
    assert "Base URL" in refused.value.message
    assert w.ports.directory.erp_connection(COMPANY) == saved
    assert len(w.ports.audit.list(COMPANY, 10, None).items) == audited
    # With the credentials given again, the new address is saved; the same address written with
    # a trailing slash is not another one.
    moved = _save_at(w, "https://erp2.example.com", "acumatica", {"company": "Acme"},
                     {"username": "u2", "password": "p2"})  # fmt: skip
    kept = _save_at(w, "https://erp2.example.com/", "acumatica", {"company": "Acme"}, None)
    assert (moved.base_url, kept.signs_in) == ("https://erp2.example.com", True)
    assert w.ports.secrets.erp_credentials(kept.credentials_secret_id) == ErpCredentials.of(
        username="u2", password="p2"
    )


def test_saving_the_connection_again_unchanged_keeps_its_last_test_and_any_change_clears_it() -> (
    None
):
    w = world()
    saved = _save(w, "acumatica", {"company": "Acme"}, {"username": "u", "password": "p"})
    tested = saved.model_copy(
        update={"status": ConnectionStatus.OK, "last_tested_at": utc_now(), "last_error": None}
    )
    w.ports.directory.put_erp_connection(COMPANY, tested)

    again = _save(w, "acumatica", {"company": "Acme"}, None)
    other_company = _save(w, "acumatica", {"company": "Acme West"}, None)
    w.ports.directory.put_erp_connection(COMPANY, tested)
    new_password = _save(w, "acumatica", {"company": "Acme"}, {"username": "u", "password": "p2"})

    assert (again.status, again.last_tested_at) == (ConnectionStatus.OK, tested.last_tested_at)
    for changed in (other_company, new_password):
        assert (changed.status, changed.last_tested_at) == (ConnectionStatus.UNTESTED, None)


def test_a_save_that_moves_the_token_url_without_credentials_is_refused() -> None:
    w = world()
    settings = {"realm_id": "9130", "default_cost_type": "Other"}
    secrets = {"client_id": "id", "client_secret": "s", "refresh_token": "r"}
    _save(w, "qbo", settings, secrets)
    _save(w, "qbo", {**settings, "budget_name": "FY27"}, None)  # any other setting keeps them

    with pytest.raises(InvalidConnection) as refused:
        _save(w, "qbo", {**settings, "token_url": "https://collector.example.net"}, None)

    assert refused.value.field == "credentials"
    assert "client_id, client_secret, refresh_token" in refused.value.message
    assert "token URL" in refused.value.message
    assert "token_url" not in w.ports.directory.erp_connection(COMPANY).settings


def test_a_new_connection_without_credentials_is_refused_naming_them() -> None:
    w = world()
    _save(w, "spreadsheet", {}, None)  # keeps no secret

    with pytest.raises(InvalidConnection) as refused:
        _save(w, "cmic", {"company_code": "01"}, None)

    assert refused.value.field == "credentials"
    assert refused.value.message.endswith("username, password.")


@pytest.mark.parametrize("erp", sorted(FIELDS))
def test_every_field_an_erp_declares_is_saved_and_its_settings_answered(erp: str) -> None:
    w = world()
    declared = FIELDS[erp]
    settings = {name: f"{name}-value" for name in declared.known_settings}
    settings |= {name: COMPANY for name in declared.company_settings}  # the company's own id
    settings |= {name: allowed[-1] for name, allowed in declared.choices.items()}  # one of them
    credentials = {name: f"{name}-secret" for name in declared.known_secrets}

    saved = _save(w, erp, settings, credentials if declared.calls_erp else None)

    assert saved.settings == settings
    assert w.ports.directory.erp_connection(COMPANY).settings == settings


def test_the_spreadsheet_settings_budget_bridge_writes_itself_can_be_saved_back() -> None:
    w = world()
    _save(w, "spreadsheet", {}, None)
    spreadsheet_exports.put_mapping(w.ports, ADMIN, COMPANY, {
        "cost_code_column": "Code", "cost_type_column": "Type", "amount_column": "Budget",
        "description_column": "Item",
    })  # fmt: skip
    stored = dict(w.ports.directory.erp_connection(COMPANY).settings)

    # The web app's Connection form sends the saved mapping back when the connection is saved.
    again = _save(w, "spreadsheet", stored, None)

    assert stored["exports_prefix"] == COMPANY and stored["amount_column"] == "Budget"
    assert again.settings == stored
    assert spreadsheet_exports.get_mapping(w.ports, ADMIN, COMPANY)["amount_column"] == "Budget"
    with pytest.raises(InvalidConnection) as refused:
        _save(w, "spreadsheet", {**stored, "password": "x"}, None)
    assert refused.value.field == "settings.password"
    with pytest.raises(InvalidConnection) as refused:
        _save(w, "spreadsheet", stored, {"username": "u"})
    assert refused.value.field == "credentials.username"


def test_the_mapping_preview_of_an_uploaded_export_reads_no_credentials() -> None:
    """An uploaded export has none: the preview asks its source as every other call does, rather
    than the secret store for a secret id the connection does not have."""
    w = world()
    _save(w, "spreadsheet", {}, None)
    assert w.ports.directory.erp_connection(COMPANY).credentials_secret_id == ""

    preview = mapping_preview.preview_mapping(w.ports, ADMIN, COMPANY, "P-1001")

    assert preview.erp_system == "spreadsheet"


def test_the_spreadsheet_folder_of_another_company_cannot_be_set() -> None:
    w = world()
    _save(w, "spreadsheet", {}, None)
    spreadsheet_exports.put_mapping(w.ports, ADMIN, COMPANY, {
        "cost_code_column": "Code", "cost_type_column": "Type", "amount_column": "Budget",
    })  # fmt: skip
    before = w.ports.directory.erp_connection(COMPANY)

    with pytest.raises(InvalidConnection) as refused:
        _save(w, "spreadsheet", {**before.settings, "exports_prefix": "other"}, None)

    assert refused.value.field == "settings.exports_prefix"
    assert w.ports.directory.erp_connection(COMPANY) == before


BUDGET_ADMIN = "budget-admin@acme.test"  # Budget admin, ERP read-only
ERP_ADMIN = "erp-admin@acme.test"  # ERP admin, Budget read-only


def _with_one_tool_admins() -> World:
    w = world()
    w.ports.directory.put_member(COMPANY, BUDGET_ADMIN, Permission.READ_ONLY, Permission.ADMIN)
    w.ports.directory.put_member(COMPANY, ERP_ADMIN, Permission.ADMIN, Permission.READ_ONLY)
    return w


def _permissions(w: World, email: str) -> tuple[Permission, Permission] | None:
    found = w.ports.directory.membership(COMPANY, email)
    return None if found is None else (found.erp_permission, found.budget_permission)


def test_a_budget_admin_cannot_make_themselves_or_anyone_else_an_erp_admin() -> None:
    w = _with_one_tool_admins()
    caller = me(BUDGET_ADMIN)

    for email in (BUDGET_ADMIN, "standard@acme.test"):
        with pytest.raises(PermissionDenied) as refused:
            members.change_member(w.ports, caller, COMPANY, email, Permission.ADMIN, None)
        assert "admin permission in the ERP Integrations tool" in refused.value.message

    assert _permissions(w, BUDGET_ADMIN) == (Permission.READ_ONLY, Permission.ADMIN)
    assert _permissions(w, "standard@acme.test") == (Permission.STANDARD, Permission.STANDARD)
    assert w.ports.audit.list(COMPANY, 10, None).items == []


@pytest.mark.parametrize(
    ("caller", "erp", "budget", "tool"),
    [
        (BUDGET_ADMIN, Permission.NONE, None, "ERP Integrations"),  # lowering it too
        (BUDGET_ADMIN, Permission.READ_ONLY, Permission.READ_ONLY, "ERP Integrations"),
        (ERP_ADMIN, None, Permission.ADMIN, "Budget"),
        (ERP_ADMIN, Permission.READ_ONLY, Permission.NONE, "Budget"),
    ],
)
def test_an_admin_of_one_tool_cannot_change_the_other_tool_s_permission(
    caller: str, erp: Permission | None, budget: Permission | None, tool: str
) -> None:
    w = _with_one_tool_admins()

    with pytest.raises(PermissionDenied) as refused:
        members.change_member(w.ports, me(caller), COMPANY, "standard@acme.test", erp, budget)

    assert f"admin permission in the {tool} tool" in refused.value.message
    assert _permissions(w, "standard@acme.test") == (Permission.STANDARD, Permission.STANDARD)


def test_an_admin_of_one_tool_changes_that_tool_s_permission_and_may_restate_the_other() -> None:
    w = _with_one_tool_admins()

    members.change_member(w.ports, me(BUDGET_ADMIN), COMPANY, "standard@acme.test", None,
                          Permission.ADMIN)  # fmt: skip
    members.change_member(w.ports, me(ERP_ADMIN), COMPANY, "readonly@acme.test",
                          Permission.STANDARD, Permission.READ_ONLY)  # fmt: skip

    assert _permissions(w, "standard@acme.test") == (Permission.STANDARD, Permission.ADMIN)
    assert _permissions(w, "readonly@acme.test") == (Permission.STANDARD, Permission.READ_ONLY)


def test_an_admin_of_one_tool_invites_with_the_other_tool_s_permission_none_only() -> None:
    w = _with_one_tool_admins()

    with pytest.raises(PermissionDenied) as refused:
        members.add_member(w.ports, me(BUDGET_ADMIN), COMPANY, "pm@acme.test",
                           (Permission.READ_ONLY, Permission.STANDARD))  # fmt: skip
    with pytest.raises(PermissionDenied) as refused_too:
        members.add_member(w.ports, me(ERP_ADMIN), COMPANY, "pm@acme.test",
                           (Permission.ADMIN, Permission.ADMIN))  # fmt: skip
    assert _permissions(w, "pm@acme.test") is None and w.ports.accounts.outbox() == []
    invited = members.add_member(w.ports, me(BUDGET_ADMIN), COMPANY, "pm@acme.test",
                                 (Permission.NONE, Permission.ADMIN))  # fmt: skip

    assert "admin permission in the ERP Integrations tool" in refused.value.message
    assert "admin permission in the Budget tool" in refused_too.value.message
    assert _permissions(w, invited.email) == (Permission.NONE, Permission.ADMIN)


def test_removing_an_admin_of_a_tool_takes_an_admin_of_that_tool() -> None:
    w = _with_one_tool_admins()

    with pytest.raises(PermissionDenied) as refused:
        members.remove_member(w.ports, me(BUDGET_ADMIN), COMPANY, ERP_ADMIN)
    with pytest.raises(PermissionDenied) as refused_too:
        members.remove_member(w.ports, me(ERP_ADMIN), COMPANY, BUDGET_ADMIN)
    with pytest.raises(PermissionDenied):
        members.remove_member(w.ports, me(BUDGET_ADMIN), COMPANY, "admin@acme.test")
    members.remove_member(w.ports, me(BUDGET_ADMIN), COMPANY, "standard@acme.test")
    members.remove_member(w.ports, me(ERP_ADMIN), COMPANY, "readonly@acme.test")

    assert "admin permission in the ERP Integrations tool" in refused.value.message
    assert "admin permission in the Budget tool" in refused_too.value.message
    assert None not in (_permissions(w, e) for e in (ERP_ADMIN, BUDGET_ADMIN, "admin@acme.test"))
    assert _permissions(w, "standard@acme.test") is None
    assert _permissions(w, "readonly@acme.test") is None


def test_choosing_the_target_and_mapping_an_export_are_in_the_audit_log_without_a_secret() -> None:
    w = world()
    _save(w, "spreadsheet", {}, None)
    choice = targets.TargetChoice(
        TargetKind.PROCORE, "https://api.procore.com", "1234567", "client", "Target-Secret-55"
    )

    spreadsheet_exports.put_mapping(w.ports, ADMIN, COMPANY, {
        "cost_code_column": "Code", "cost_type_column": "Type", "amount_column": "Budget",
    })  # fmt: skip
    targets.put_target(w.ports, ADMIN, COMPANY, choice, allow_local=False)
    targets.put_target(
        w.ports, ADMIN, COMPANY, targets.TargetChoice(TargetKind.BUDGET_BRIDGE), allow_local=False
    )

    events = w.ports.audit.list(COMPANY, 10, None).items
    assert [(e.action, e.target) for e in events[:3]] == [
        ("target.changed", "budget_bridge"),
        ("target.changed", "procore"),
        ("connection.saved", "spreadsheet"),
    ]
    assert events[1].details["credentials_changed"] == ["client_id", "client_secret"]
    assert events[2].details["settings"] == [
        "amount_column",
        "cost_code_column",
        "cost_type_column",
    ]
    assert "Target-Secret-55" not in repr(events)
