"""Every line error of a failed job, through the API, in memory and on moto (docs/domain-rules.md,
rule 3): a job answer carries the first 100 and `error_count`, `/errors` pages through them all,
and the jobs list stays far under Lambda's 6 MB answer limit however many errors its jobs have."""

from __future__ import annotations

import json
import zlib
from typing import Any

from chalice.test import Client

from chalicelib.adapters.dynamodb.base import serialize
from chalicelib.adapters.dynamodb.items import JobItem, to_item
from chalicelib.domain.model import Job, JobKind, JobStatus, LineError, utc_now
from tests.fixtures.api import app_client
from tests.integration.api_support import World, build_world, erp_user, running_preview

ERP = "/api/v1/companies/demo/erp"
MESSAGE = "12,500 lines of the ERP budget failed validation; nothing was changed."
ERROR_COUNT = 25_000


def _bad_lines(count: int = ERROR_COUNT) -> list[LineError]:
    """Two errors a line (an unknown cost code and cost type), in line order, as the rules list
    them."""
    errors = []
    for n in range(1, count // 2 + 1):
        errors.append(LineError(line=n, field="cost_code",
                                message=f"0001 / 99-{n:05d} / Q: the cost code 99-{n:05d} is not "
                                "in the company's cost catalog."))  # fmt: skip
        errors.append(LineError(line=n, field="cost_type",
                                message=f"0001 / 99-{n:05d} / Q: the cost type Q is not in the "
                                "company's cost catalog."))  # fmt: skip
    return errors


ERRORS = _bad_lines()
WIRE = [e.model_dump() for e in ERRORS]


def _fail(world: World, job_id: str, errors: list[LineError] = ERRORS) -> None:
    job = world.jobs.start("demo", job_id, utc_now())
    world.jobs.fail(job, MESSAGE, errors, utc_now())


def _failed_preview(world: World, number: int) -> str:
    """A preview of b-1001 that found every line bad (previews hold no budget: many may fail)."""
    running = running_preview(world, "b-1001", f"preview-{number:02d}")
    world.jobs.fail(running, MESSAGE, ERRORS, utc_now())
    return running.job_id


def _get(client: Client, world: World, path: str, who: str = erp_user("read_only")) -> Any:
    return client.http.get(path, headers=world.headers(who))


def _all_pages(client: Client, world: World, job_id: str, limit: int) -> tuple[list[Any], int]:
    errors: list[Any] = []
    pages = 0
    cursor = None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = _get(client, world, f"{ERP}/jobs/{job_id}/errors{query}")
        assert answer.status_code == 200, answer.body
        page = json.loads(answer.body)
        assert set(page) == {"errors", "next_cursor"}
        errors.extend(page["errors"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return errors, pages


def test_a_job_failed_with_25000_errors_answers_100_and_pages_every_one_once_in_order(
    client: Client, world: World
) -> None:
    job_id = world.ids["job_id"]  # a re-import holding its budget: fail releases it too
    _fail(world, job_id)

    job = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}").body)
    paged, pages = _all_pages(client, world, job_id, limit=1000)
    first = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}/errors").body)

    assert job["status"] == "failed"
    assert job["error_count"] == ERROR_COUNT
    assert job["errors"] == WIRE[:100]
    assert job["message"] == MESSAGE  # no longer "Only the first 10,000 ... are listed"
    assert pages == 25
    assert paged == WIRE  # all of them, each once, in line order
    assert first["errors"] == WIRE[:100]  # the default page is the job answer's 100
    assert world.budgets.get("demo", "b-1003").active_job_id is None


def test_the_jobs_list_of_several_such_jobs_stays_small(client: Client, world: World) -> None:
    ids = [_failed_preview(world, n) for n in range(7)]

    answer = _get(client, world, f"{ERP}/jobs?budget_id=b-1001&limit=100")

    listed = json.loads(answer.body)["jobs"]
    assert sorted(j["job_id"] for j in listed) == sorted(ids)
    assert all(j["error_count"] == ERROR_COUNT and j["errors"] == WIRE[:100] for j in listed)
    # Seven jobs with every error were 7.8 MB, over Lambda's 6 MB; 100 each are ~15 KB a job.
    assert len(answer.body) < 200_000


def test_a_job_with_few_errors_lists_them_all_in_its_answer(client: Client, world: World) -> None:
    job_id = world.ids["job_id"]
    _fail(world, job_id, ERRORS[:3])

    job = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}").body)
    page = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}/errors").body)

    assert (job["errors"], job["error_count"]) == (WIRE[:3], 3)
    assert page == {"errors": WIRE[:3], "next_cursor": None}


def test_a_job_without_errors_answers_an_empty_page(client: Client, world: World) -> None:
    job_id = world.ids["job_id"]  # still queued

    job = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}").body)
    page = json.loads(_get(client, world, f"{ERP}/jobs/{job_id}/errors").body)

    assert (job["errors"], job["error_count"]) == ([], 0)
    assert page == {"errors": [], "next_cursor": None}


def test_another_company_s_job_errors_are_not_found(client: Client, world: World) -> None:
    other = world.other_ids["job_id"]
    job = world.jobs.start("other", other, utc_now())
    world.jobs.fail(job, MESSAGE, ERRORS[:150], utc_now())

    as_demo = _get(client, world, f"{ERP}/jobs/{other}/errors", erp_user("admin"))
    unknown = _get(client, world, f"{ERP}/jobs/no-such-job/errors", erp_user("admin"))
    outsider = client.http.get(
        f"/api/v1/companies/other/erp/jobs/{other}/errors",
        headers=world.headers(erp_user("admin")),
    )

    for answer in (as_demo, unknown, outsider):
        assert answer.status_code == 404
        assert json.loads(answer.body)["error"]["code"] == "not_found"
        assert "cost catalog" not in answer.body.decode()


def test_errors_need_erp_read_only(client: Client, world: World) -> None:
    _fail(world, world.ids["job_id"], ERRORS[:150])
    path = f"{ERP}/jobs/{world.ids['job_id']}/errors"

    refused = _get(client, world, path, erp_user("none"))
    allowed = _get(client, world, path, erp_user("read_only"))

    assert refused.status_code == 403
    assert "cost catalog" not in refused.body.decode()
    assert allowed.status_code == 200


def test_errors_limit_is_checked_like_the_changes_limit(client: Client, world: World) -> None:
    _fail(world, world.ids["job_id"], ERRORS[:2_500])
    path = f"{ERP}/jobs/{world.ids['job_id']}/errors"

    biggest = json.loads(_get(client, world, f"{path}?limit=1000").body)
    for query in ("limit=0", "limit=1001", "cursor=%%%"):
        assert _get(client, world, f"{path}?{query}").status_code == 400
    again = json.loads(_get(client, world, f"{path}?cursor={biggest['next_cursor']}").body)

    assert biggest["errors"] == WIRE[:1000] and biggest["next_cursor"]
    assert again["errors"] == WIRE[1000:1100]


def test_a_job_stored_before_errors_were_chunked_still_answers(aws_env: None) -> None:
    """A failed job written with the old compressed `errors` attribute (every error inline, at most
    10,000, no count) answers its first 100, the count stored, and pages the rest."""
    world = build_world("moto")
    old = JobItem.from_job(
        Job(
            job_id="job-old",
            company_id="demo",
            budget_id="b-1001",
            kind=JobKind.REIMPORT,
            status=JobStatus.FAILED,
            requested_by="schedule",
            requested_at=utc_now(),
            finished_at=utc_now(),
            message="The ERP budget was not applied. Only the first 10,000 of 25,000 line errors "
            "are listed.",
        )
    )
    stored = to_item(old)
    stored["errors"] = zlib.compress(json.dumps(WIRE[:10_000]).encode(), 6)
    jobs: Any = world.jobs
    jobs.client.put_item(TableName=jobs.jobs_table, Item=serialize(stored))

    with app_client(world.ports) as test_client:
        job = json.loads(_get(test_client, world, f"{ERP}/jobs/job-old").body)
        paged, _ = _all_pages(test_client, world, "job-old", limit=1000)

    assert (job["status"], job["error_count"], job["errors"]) == ("failed", 10_000, WIRE[:100])
    assert paged == WIRE[:10_000]
