"""The exports store on moto: presigned uploads carry S3's size condition and the bucket's own
address; the latest upload of a job is the one read; an oversized object is refused unread."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.erp.spreadsheet import Export
from chalicelib.adapters.exports import S3ExportStore
from chalicelib.domain.errors import ErpRejected


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3ExportStore]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv(resources.EXPORTS.upload_url_env_var, raising=False)
    with mock_aws():
        aws.reset_clients()
        boto3.client("s3").create_bucket(Bucket=resources.EXPORTS.default_name)
        yield S3ExportStore(resources.EXPORTS.default_name, None, "us-east-1")
    aws.reset_clients()


def test_an_upload_form_limits_the_size_and_posts_to_the_bucket_itself(store):
    form = store.upload_form("acme", "P 1/2", "Budget.XLSX")

    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    # The bucket's regional address: the origin the deployed web app's CSP allows.
    assert form["url"] == f"https://{resources.EXPORTS.default_name}.s3.us-east-1.amazonaws.com/"
    assert form["key"].startswith("exports/acme/P%201%2F2/") and form["key"].endswith(".xlsx")


def test_the_latest_upload_of_a_job_is_read_and_jobs_are_listed(store):
    store.put("acme", "P-1", Export("a.csv", b"first"))
    store.put("acme", "P-1", Export("b.csv", b"second"))
    store.put("acme", "P-2", Export("c.csv", b"other job"))
    store.put("other", "P-9", Export("d.csv", b"other company"))

    latest = store.latest("acme", "P-1")

    assert latest is not None and latest.data == b"second" and latest.name.endswith(".csv")
    assert store.jobs("acme") == ["P-1", "P-2"]
    assert store.latest("acme", "P-3") is None


def test_an_object_over_10_mb_is_refused_before_it_is_read(store):
    store.put("acme", "P-1", Export("big.csv", b"x" * (10 * 1024 * 1024 + 1)))

    with pytest.raises(ErpRejected, match="10 MB"):
        store.latest("acme", "P-1")
