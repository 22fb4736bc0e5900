"""The demo world keeps the promises README ("Demo sign-ins") and docs/local-stack.md make about it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from devstack import demo_data


def test_the_demo_companies_have_the_promised_jobs_statuses_and_locks():
    seen = {
        (c.company_id, c.tenant, p.project_id, p.status, p.locked)
        for c in demo_data.companies()
        for p in c.projects
    }

    assert seen >= {
        ("demo", "Demo", "P-1001", "synced", False),
        ("demo", "Demo", "P-1002", "synced", True),
        ("demo", "Demo", "P-1003", "synced", False),
        ("demo", "Demo", "P-1004", "ready_to_import", False),
        ("other", "Other", "P-2001", "synced", False),
    }


@pytest.mark.parametrize("project_id", ["P-1001", "P-1002", "P-1003", "P-1004", "P-2001"])
def test_every_demo_budget_exercises_the_rules(project_id):
    company = next(
        c for c in demo_data.companies() if project_id in [p.project_id for p in c.projects]
    )
    project = company.project(project_id)
    cost = [line for line in project.erp_lines if line.type == demo_data.EXPENSE]

    assert 10 <= len(project.erp_lines) <= 60
    assert len(project.erp_lines) - len(cost) >= 2  # revenue lines, to be ignored
    assert (
        len({line.cost_code for line in cost}) >= 3
        and len({line.account_group for line in cost}) >= 3
    )
    assert max(Counter(line.key for line in cost).values()) >= 2  # a key fed by two lines
    assert {line.cost_code for line in cost} <= set(company.cost_codes)
    assert {line.account_group for line in cost} <= set(company.cost_types)
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in cost)
    assert set(project.project_units) <= set(project.cost_sums())
    assert bool(project.project_units) == (project.status == "synced")


def test_the_demo_data_is_the_same_on_every_call():
    assert demo_data.companies() == demo_data.companies()
    assert demo_data.large_project("P-9", 500, seed=7) == demo_data.large_project(
        "P-9", 500, seed=7
    )


def test_a_large_project_has_as_many_distinct_valid_keys_as_asked():
    project = demo_data.large_project("P-9001", 5_000, seed=1)
    company = demo_data.company("demo")

    assert len({line.key for line in project.erp_lines}) == 5_000
    assert {line.cost_code for line in project.erp_lines} <= set(company.cost_codes)
    assert len({line.task for line in project.erp_lines}) > 50


def test_every_demo_user_belongs_to_a_demo_company():
    known = {c.company_id for c in demo_data.companies()}
    users = demo_data.users()

    assert {u.email for u in users} == {
        "admin@demo.test", "standard@demo.test", "readonly@demo.test", "none@demo.test",
        "admin@other.test", "accountant@demo.test", "admin@pilot.test", "admin@fresh.test",
        "admin@myob.test", "admin@intacct.test", "admin@cmic.test", "admin@qbo.test",
        "admin@xero.test", "admin@netsuite.test",
        "admin@workday.test", "admin@yardi.test", "admin@mri.test", "admin@spreadsheet.test",
    }  # fmt: skip
    assert all(u.permissions and set(u.permissions) <= known for u in users)


def test_the_demo_users_have_the_promised_permissions_in_each_of_their_companies():
    seen = {
        (u.email, c, erp, budget)
        for u in demo_data.users()
        for c, (erp, budget) in u.permissions.items()
    }

    assert seen == {
        ("admin@demo.test", "demo", "admin", "admin"),
        ("standard@demo.test", "demo", "standard", "standard"),
        ("readonly@demo.test", "demo", "read_only", "read_only"),
        ("none@demo.test", "demo", "none", "none"),
        ("admin@other.test", "other", "admin", "admin"),
        ("admin@pilot.test", "pilot", "admin", "admin"),
        ("admin@fresh.test", "fresh", "admin", "admin"),
        # one person in both companies, with different rights in each
        ("accountant@demo.test", "demo", "standard", "read_only"),
        ("accountant@demo.test", "other", "read_only", "standard"),
        ("admin@myob.test", "myob", "admin", "admin"),
        ("admin@intacct.test", "intacct", "admin", "admin"),
        ("admin@cmic.test", "cmic", "admin", "admin"),
        ("admin@qbo.test", "qbo", "admin", "admin"),
        ("admin@xero.test", "xero", "admin", "admin"),
        ("admin@netsuite.test", "netsuite", "admin", "admin"),
        ("admin@workday.test", "workday", "admin", "admin"),
        ("admin@yardi.test", "yardi", "admin", "admin"),
        ("admin@mri.test", "mri", "admin", "admin"),
        ("admin@spreadsheet.test", "spreadsheet", "admin", "admin"),
    }


def test_every_demo_permission_is_one_the_app_understands():
    from chalicelib.domain.model import Permission

    for user in demo_data.users():
        for erp, budget in user.permissions.values():
            assert Permission.parse(erp).label == erp
            assert Permission.parse(budget).label == budget


@pytest.mark.parametrize(
    ("company_id", "erp", "tenant", "job"),
    [("myob", "myob", "MYOB Demo", "M-5001"), ("intacct", "intacct", "intacct-demo", "I-6001"),
     ("cmic", "cmic", "BB", "C-7001"), ("workday", "workday", "bb_demo", "W-1201"),
     ("yardi", "yardi", "bb_demo", "Y-1301"), ("mri", "mri", "BBDEMO", "R-1401")],
)  # fmt: skip
def test_each_other_erps_demo_company_has_one_synced_job_that_exercises_the_rules(
    company_id, erp, tenant, job
):
    company = demo_data.company(company_id)
    (project,) = company.projects
    cost = [line for line in project.erp_lines if line.type == demo_data.EXPENSE]

    assert (company.erp_system, company.tenant, project.project_id, project.status) == (
        erp,
        tenant,
        job,
        "synced",
    )
    assert 20 <= len(cost) <= 60
    assert len({line.cost_code for line in cost}) >= 4
    assert len({line.account_group for line in cost}) >= 3
    assert sum(1 for n in Counter(line.key for line in cost).values() if n >= 2) >= 2
    assert len(project.erp_lines) - len(cost) >= 2  # revenue lines
    assert {line.cost_code for line in cost} <= set(company.cost_codes)
    assert company.erp_connection().path == f"/{erp}"


def test_each_accounting_demo_budget_has_the_promised_shape():
    for company_id in ("qbo", "xero", "netsuite"):
        (project,) = demo_data.company(company_id).projects
        cost = [line for line in project.erp_lines if line.type == demo_data.EXPENSE]
        keys = [line.key for line in cost]
        assert 20 <= len(cost) <= 60, company_id
        assert len({k[1] for k in keys}) >= 4 and len({k[2] for k in keys}) >= 3, company_id
        assert len(keys) > len(set(keys)), f"{company_id}: a key split over two lines"
        assert sum(line.type == demo_data.INCOME for line in project.erp_lines) >= 2, company_id


def test_the_spreadsheet_demo_export_is_what_the_import_reads():
    from chalicelib.adapters.erp.spreadsheet import Export, SpreadsheetSource

    company = demo_data.company("spreadsheet")
    (project,) = company.projects
    export = Export("S-1501.csv", demo_data.export_csv(project))

    class One:
        def latest(self, prefix: str, job: str) -> Export:
            return export

        def jobs(self, prefix: str) -> list[str]:
            return [project.project_id]

    settings = dict(company.erp_connection().settings)
    lines = SpreadsheetSource(One(), "spreadsheet", settings).fetch_budget(project.project_id)

    assert [(line.key.sub_job, line.key.cost_code, line.key.cost_type, line.amount)
            for line in lines] == [(x.task, x.cost_code, x.account_group, x.amount)
                                   for x in project.erp_lines]  # fmt: skip
    assert [line.ref for line in lines] == [f"row {n}" for n in range(2, len(lines) + 2)]


def test_fresh_start_builders_lives_only_in_the_sandbox_erp():
    fresh = demo_data.company("fresh")
    tower, depot = fresh.project("F-3001"), fresh.project("F-3002")
    tower_cost = [line for line in tower.erp_lines if line.type == demo_data.EXPENSE]

    assert (fresh.name, fresh.tenant, fresh.seeded) == ("Fresh Start Builders", "Fresh", False)
    assert (tower.name, depot.name) == ("Fresh Tower", "Fresh Depot")
    assert len(tower_cost) == 30
    assert len([line for line in tower.erp_lines if line.type == demo_data.INCOME]) == 3
    assert len({line.cost_code for line in tower_cost}) >= 4
    assert len({line.account_group for line in tower_cost}) >= 3
    assert len(depot.erp_lines) == 12
