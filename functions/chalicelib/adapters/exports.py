"""Uploaded budget exports in S3: presigned uploads in, the latest file per job out.

Keys are `exports/<company>/<job>/<UTC time>-<id>.<csv|xlsx>`, so the latest upload of a job is
the greatest key under its folder. A presigned POST carries S3's own `content-length-range`
condition (S3 refuses a larger file); the reader checks the size again before reading it.
"""

from __future__ import annotations

import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import Any

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.erp.spreadsheet import Export, check_size

UPLOAD_SECONDS = 900


def job_folder(prefix: str, erp_job_id: str) -> str:
    return f"{resources.EXPORTS.key_prefix}{prefix}/{urllib.parse.quote(erp_job_id, safe='')}/"


class S3ExportStore:
    """`upload_url` None: browsers post to the bucket's own regional address."""

    def __init__(self, bucket: str, upload_url: str | None, region: str) -> None:
        self._bucket = bucket
        self._upload_url = upload_url
        self._region = region

    def upload_form(self, prefix: str, erp_job_id: str, file_name: str) -> dict[str, Any]:
        """A presigned POST for one new export of the job: {url, fields, key}."""
        extension = file_name.lower().rsplit(".", 1)[-1]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        key = f"{job_folder(prefix, erp_job_id)}{stamp}-{uuid.uuid4().hex[:8]}.{extension}"
        form = aws.s3().generate_presigned_post(
            self._bucket, key,
            Conditions=[["content-length-range", 1, resources.EXPORTS.max_object_bytes]],
            ExpiresIn=UPLOAD_SECONDS,
        )  # fmt: skip
        # The bucket's regional virtual-hosted address (set by the CDK app, which puts exactly
        # that origin in the web app's CSP: resources.SecurityHeaders); the POST policy's
        # signature does not depend on the address it is sent to.
        url = self._upload_url or f"https://{self._bucket}.s3.{self._region}.amazonaws.com/"
        return {"url": url, "fields": form["fields"], "key": key}

    def put(self, prefix: str, erp_job_id: str, export: Export) -> str:
        """Stores one export directly (the local stack's seed and the tests)."""
        extension = export.name.lower().rsplit(".", 1)[-1]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        key = f"{job_folder(prefix, erp_job_id)}{stamp}-{uuid.uuid4().hex[:8]}.{extension}"
        aws.s3().put_object(Bucket=self._bucket, Key=key, Body=export.data)
        return key

    def latest(self, prefix: str, erp_job_id: str) -> Export | None:
        folder = job_folder(prefix, erp_job_id)
        newest: dict[str, Any] | None = None
        for page in (
            aws.s3().get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=folder)
        ):
            for item in page.get("Contents", []):
                if newest is None or item["Key"] > newest["Key"]:
                    newest = item
        if newest is None:
            return None
        check_size(int(newest["Size"]))  # before reading a byte of it
        body = aws.s3().get_object(Bucket=self._bucket, Key=newest["Key"])["Body"]
        data = body.read(resources.EXPORTS.max_object_bytes + 1)
        check_size(len(data))
        return Export(newest["Key"].rsplit("/", 1)[-1], data)

    def jobs(self, prefix: str) -> list[str]:
        folder = f"{resources.EXPORTS.key_prefix}{prefix}/"
        found: set[str] = set()
        for page in (
            aws.s3()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self._bucket, Prefix=folder, Delimiter="/")
        ):
            for common in page.get("CommonPrefixes", []):
                found.add(urllib.parse.unquote(common["Prefix"][len(folder) :].rstrip("/")))
        return sorted(found)
